package dev.tiergate.planner;

import java.util.List;
import java.util.Optional;

/**
 * A GPU instance: how many GPUs, how much memory each, and its hourly price. Prices are approximate on-demand list
 * prices in us-east-1 (late 2026) and are only as good as this table: check your region and discounts.
 *
 * @param gpuMemoryGiB what one GPU exposes to CUDA, as {@code nvidia-smi} reports it, which is less than its marketed
 *                     size (an A10G or an L4 "24 GB": 23,028 MiB, about 22.5 GiB); vLLM's
 *                     {@code gpu_memory_utilization} is a share of this
 * @param instanceStoreDisks  the local NVMe SSDs of the instance store (EC2's instance type specifications, "instance
 *                            store volumes"): free with the instance, faster than any EBS volume, empty after each stop
 * @param instanceStoreDiskGB the size of one of them, in GB as AWS states it
 */
public record InstanceType(String name, String gpu, int gpus, double gpuMemoryGiB, double usdPerHour, boolean sagemaker,
                           int instanceStoreDisks, int instanceStoreDiskGB) {

    public double totalGpuMemoryGiB() {
        return gpus * gpuMemoryGiB;
    }

    public static final List<InstanceType> CATALOGUE = List.of(
            new InstanceType("g6.xlarge", "L4", 1, 22.5, 0.805, false, 1, 250),
            new InstanceType("g5.xlarge", "A10G", 1, 22.5, 1.006, false, 1, 250),
            new InstanceType("g6e.xlarge", "L40S", 1, 45.0, 1.861, false, 1, 250),
            new InstanceType("g6.12xlarge", "L4", 4, 22.5, 4.602, false, 4, 940),
            new InstanceType("g5.12xlarge", "A10G", 4, 22.5, 5.672, false, 1, 3800),
            new InstanceType("g6e.12xlarge", "L40S", 4, 45.0, 10.493, false, 2, 1900),
            new InstanceType("g5.48xlarge", "A10G", 8, 22.5, 16.288, false, 2, 3800),
            new InstanceType("p4d.24xlarge", "A100-40GB", 8, 39.6, 32.773, false, 8, 1000),
            new InstanceType("p4de.24xlarge", "A100-80GB", 8, 79.3, 40.966, false, 8, 1000),
            new InstanceType("p5.48xlarge", "H100", 8, 79.6, 98.32, false, 8, 3840),
            new InstanceType("ml.g6.xlarge", "L4", 1, 22.5, 1.0098, true, 1, 250),
            new InstanceType("ml.g5.xlarge", "A10G", 1, 22.5, 1.408, true, 1, 250),
            new InstanceType("ml.g6e.xlarge", "L40S", 1, 45.0, 2.338, true, 1, 250),
            new InstanceType("ml.g5.12xlarge", "A10G", 4, 22.5, 7.09, true, 1, 3800),
            new InstanceType("ml.g6e.12xlarge", "L40S", 4, 45.0, 13.12, true, 2, 1900),
            new InstanceType("ml.p4d.24xlarge", "A100-40GB", 8, 39.6, 37.688, true, 8, 1000),
            new InstanceType("ml.p5.48xlarge", "H100", 8, 79.6, 113.07, true, 8, 3840));

    /** One instance-store disk in GiB (what {@code df} shows, before the filesystem's own share); 0 without one. */
    public double instanceStoreDiskGiB() {
        return instanceStoreDiskGB * 1e9 / (1L << 30);
    }

    public static Optional<InstanceType> named(String name) {
        return CATALOGUE.stream().filter(i -> i.name.equals(name)).findFirst();
    }
}
