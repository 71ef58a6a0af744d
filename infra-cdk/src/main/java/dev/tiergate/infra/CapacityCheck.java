package dev.tiergate.infra;

import dev.tiergate.core.config.FleetSpec;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.planner.CapacityPlanner;
import dev.tiergate.planner.InstanceType;
import dev.tiergate.planner.ModelSpec;
import dev.tiergate.planner.Quantization;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The capacity planner applied to every fleet before anything is synthesized: a tier whose model, quantization and
 * context cannot fit its instance's GPU memory stops {@code cdk synth} with the reason, instead of a fleet that
 * crash-loops on out-of-memory at 3 a.m. Models outside the planner's catalogue cannot be checked and are reported as such.
 */
public final class CapacityCheck {

    /** The outcome for one tier. */
    public record Finding(String tier, boolean fits, boolean checked, String message) {}

    private CapacityCheck() {
    }

    public static List<Finding> check(TiergateConfig config) {
        List<Finding> out = new ArrayList<>();
        for (TierConfig t : config.tiers()) {
            if (t.fleet().isEmpty()) continue;
            FleetSpec f = t.fleet().get();
            Optional<ModelSpec> model = ModelSpec.forModelId(f.modelId());
            Optional<InstanceType> instance = InstanceType.named(f.instanceType());
            Quantization q = f.quantization().flatMap(Quantization::named).orElse(Quantization.FP16);
            if (model.isEmpty() || instance.isEmpty()) {
                out.add(new Finding(t.name(), true, false, "tier '" + t.name() + "': cannot check capacity: "
                        + (model.isEmpty() ? "model '" + f.modelId() + "' is not in the planner's catalogue" : "instance type '"
                        + f.instanceType() + "' is not in the planner's catalogue")));
                continue;
            }
            CapacityPlanner.Fit fit = CapacityPlanner.fit(model.get(), q, instance.get(), f.vllm().maxModelLen(), 1,
                    f.vllm().gpuMemoryUtilization());
            String where = "tier '" + t.name() + "' (" + model.get().name() + " " + q + " on " + f.instanceType() + ", max_model_len "
                    + f.vllm().maxModelLen() + ")";
            if (!fit.fits()) {
                String cheaper = CapacityPlanner.cheapest(model.get(), q, f.vllm().maxModelLen(), 1, f.vllm().gpuMemoryUtilization(),
                        f.kind() == FleetSpec.Kind.SAGEMAKER).map(c -> "; the cheapest that fits is " + c.instance().name()).orElse("");
                out.add(new Finding(t.name(), false, true, where + " does not fit: " + fit.reason() + cheaper));
            } else {
                out.add(new Finding(t.name(), true, true, where + " fits: " + fit.concurrencyAtContext() + " sequence(s) of "
                        + f.vllm().maxModelLen() + " tokens in the KV cache"));
            }
        }
        return out;
    }

    /** Throws with every tier that does not fit. */
    public static void requireFits(TiergateConfig config) {
        List<String> bad = check(config).stream().filter(f -> !f.fits()).map(Finding::message).toList();
        if (!bad.isEmpty()) throw new IllegalArgumentException("impossible fleet: " + String.join("; ", bad));
    }
}
