package dev.tiergate.planner;

import java.util.List;
import java.util.Optional;

/**
 * A GPU instance: how many GPUs, how much memory each, and its hourly price. Prices are approximate on-demand list
 * prices in us-east-1 (late 2026) and are only as good as this table: check your region and discounts.
 */
public record InstanceType(String name, String gpu, int gpus, double gpuMemoryGiB, double usdPerHour, boolean sagemaker) {

    public double totalGpuMemoryGiB() {
        return gpus * gpuMemoryGiB;
    }

    public static final List<InstanceType> CATALOGUE = List.of(
            new InstanceType("g6.xlarge", "L4", 1, 24, 0.805, false),
            new InstanceType("g5.xlarge", "A10G", 1, 24, 1.006, false),
            new InstanceType("g6e.xlarge", "L40S", 1, 48, 1.861, false),
            new InstanceType("g6.12xlarge", "L4", 4, 24, 4.602, false),
            new InstanceType("g5.12xlarge", "A10G", 4, 24, 5.672, false),
            new InstanceType("g6e.12xlarge", "L40S", 4, 48, 10.493, false),
            new InstanceType("g5.48xlarge", "A10G", 8, 24, 16.288, false),
            new InstanceType("p4d.24xlarge", "A100-40GB", 8, 40, 32.773, false),
            new InstanceType("p4de.24xlarge", "A100-80GB", 8, 80, 40.966, false),
            new InstanceType("p5.48xlarge", "H100", 8, 80, 98.32, false),
            new InstanceType("ml.g6.xlarge", "L4", 1, 24, 1.0098, true),
            new InstanceType("ml.g5.xlarge", "A10G", 1, 24, 1.408, true),
            new InstanceType("ml.g6e.xlarge", "L40S", 1, 48, 2.338, true),
            new InstanceType("ml.g5.12xlarge", "A10G", 4, 24, 7.09, true),
            new InstanceType("ml.g6e.12xlarge", "L40S", 4, 48, 13.12, true),
            new InstanceType("ml.p4d.24xlarge", "A100-40GB", 8, 40, 37.688, true),
            new InstanceType("ml.p5.48xlarge", "H100", 8, 80, 113.07, true));

    public static Optional<InstanceType> named(String name) {
        return CATALOGUE.stream().filter(i -> i.name.equals(name)).findFirst();
    }
}
