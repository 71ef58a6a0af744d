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
            Optional<String> refused = launchRefusal(t.name(), f);
            if (refused.isPresent()) {
                out.add(new Finding(t.name(), false, true, refused.get()));
                continue;
            }
            Optional<ModelSpec> model = dev.tiergate.planner.Checkpoint.of(f.modelId()).flatMap(c -> ModelSpec.named(c.family()))
                    .or(() -> ModelSpec.forModelId(f.modelId()));
            Optional<InstanceType> instance = InstanceType.named(f.instanceType());
            Quantization q = f.quantization().flatMap(Quantization::named).orElse(Quantization.FP16);
            if (model.isEmpty() || instance.isEmpty()) {
                out.add(new Finding(t.name(), true, false, "tier '" + t.name() + "': cannot check capacity: "
                        + (model.isEmpty() ? "model '" + f.modelId() + "' is not in the planner's catalogue" : "instance type '"
                        + f.instanceType() + "' is not in the planner's catalogue")));
                continue;
            }
            CapacityPlanner.Fit fit = CapacityPlanner.fit(model.get(), q, instance.get(), f.vllm().maxModelLen(), 1,
                    f.vllm().gpuMemoryUtilization(), f.vllm().tensorParallelSize());
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

    /**
     * What {@code vllm serve} would refuse at start for a catalogued checkpoint (the simulator's launch contract reads the
     * same table): a quantization its weights do not carry, tensor parallelism that does not divide its heads or
     * exceeds the instance's GPUs, a context above what it derives.
     */
    static Optional<String> launchRefusal(String tier, FleetSpec f) {
        Optional<dev.tiergate.planner.Checkpoint> c = dev.tiergate.planner.Checkpoint.of(f.modelId());
        Optional<InstanceType> instance = InstanceType.named(f.instanceType());
        int tp = f.vllm().tensorParallelSize();
        String where = "tier '" + tier + "' (" + f.modelId() + " on " + f.instanceType() + ")";
        if (instance.isPresent() && tp > instance.get().gpus()) {
            return Optional.of(where + ": tensor_parallel_size " + tp + " needs " + tp + " GPUs; " + f.instanceType() + " has "
                    + instance.get().gpus() + " (vLLM: World size (" + tp + ") is larger than the number of available GPUs)");
        }
        if (f.quantization().isPresent() && !dev.tiergate.planner.Checkpoint.VLLM_METHODS.contains(f.quantization().get())) {
            return Optional.of(where + ": " + f.quantization().get() + " is not a vLLM quantization method (one of "
                    + new java.util.TreeSet<>(dev.tiergate.planner.Checkpoint.VLLM_METHODS) + "; full precision is 'none' or no quantization)");
        }
        if (c.isEmpty()) return Optional.empty();
        if (!c.get().accepts(f.quantization())) {
            String declared = c.get().quantization().orElse("none: full-precision weights");
            return Optional.of(where + ": quantization " + f.quantization().orElseThrow() + " on a checkpoint whose config declares "
                    + declared + "; vLLM refuses it at start"
                    + (c.get().quantization().isEmpty() ? " (Cannot find the config file for " + f.quantization().get().replace("_marlin", "")
                    + "): use a checkpoint quantized with it (an -AWQ repository), or fp8, which quantizes at load" : ""));
        }
        if (c.get().attentionHeads() % tp != 0) {
            return Optional.of(where + ": tensor_parallel_size " + tp + " does not divide the model's " + c.get().attentionHeads()
                    + " attention heads; vLLM refuses it at start");
        }
        if (f.vllm().maxModelLen() > c.get().derivedContext()) {
            return Optional.of(where + ": max_model_len " + f.vllm().maxModelLen() + " is above the " + c.get().derivedContext()
                    + " tokens vLLM derives from the model's config; it refuses it at start");
        }
        return Optional.empty();
    }

    /** Throws with every tier that does not fit. */
    public static void requireFits(TiergateConfig config) {
        List<String> bad = check(config).stream().filter(f -> !f.fits()).map(Finding::message).toList();
        if (!bad.isEmpty()) throw new IllegalArgumentException("impossible fleet: " + String.join("; ", bad));
    }
}
