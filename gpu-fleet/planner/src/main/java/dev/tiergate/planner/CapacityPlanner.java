package dev.tiergate.planner;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What a model needs and where it fits. GPU memory times {@code gpu_memory_utilization} must hold the weights, a
 * working reserve (activations, CUDA graphs, the runtime: 1.5 GiB a GPU), and the KV cache of the sequences running
 * at once; vLLM will not start a model whose {@code max_model_len} does not fit one sequence.
 */
public final class CapacityPlanner {

    static final double GIB = 1024.0 * 1024 * 1024;
    static final double RESERVE_GIB_PER_GPU = 1.5;

    /** How a model sits on an instance. */
    public record Fit(ModelSpec model, Quantization quantization, InstanceType instance, double weightsGiB,
                      double kvBudgetGiB, long kvBytesPerToken, long tokensInCache, int context, int concurrencyAtContext,
                      boolean fits, String reason) {}

    private CapacityPlanner() {}

    public static double weightsGiB(ModelSpec m, Quantization q) {
        if (!q.keepsEmbeddingsFp16()) return m.paramsBillions() * 1e9 * q.weightBytes() / GIB;
        double embeddings = m.embeddingParamsBillions();
        return ((m.paramsBillions() - embeddings) * q.weightBytes() + embeddings * Quantization.FP16.weightBytes()) * 1e9 / GIB;
    }

    /** On every GPU of the instance (tensor parallelism across all of them). */
    public static Fit fit(ModelSpec m, Quantization q, InstanceType i, int context, int concurrency, double gpuMemoryUtilization) {
        return fit(m, q, i, context, concurrency, gpuMemoryUtilization, i.gpus());
    }

    /**
     * @param gpusUsed tensor × pipeline parallel size: vLLM places the model on that many GPUs, and the rest of the
     *                 instance's hold nothing of it
     */
    public static Fit fit(ModelSpec m, Quantization q, InstanceType i, int context, int concurrency, double gpuMemoryUtilization,
                          int gpusUsed) {
        double weights = weightsGiB(m, q);
        if (gpusUsed < 1 || gpusUsed > i.gpus()) {
            return new Fit(m, q, i, weights, 0, m.kvBytesPerToken(q), 0, context, 0, false, "tensor × pipeline parallel size "
                    + gpusUsed + " needs " + gpusUsed + " GPUs; " + i.name() + " has " + i.gpus());
        }
        double usable = gpusUsed * i.gpuMemoryGiB() * gpuMemoryUtilization;
        double kvBudget = usable - weights - RESERVE_GIB_PER_GPU * gpusUsed;
        long perToken = m.kvBytesPerToken(q);
        long tokens = kvBudget <= 0 ? 0 : (long) (kvBudget * GIB / perToken);
        int atContext = (int) Math.min(Integer.MAX_VALUE, tokens / Math.max(1, context));
        String reason;
        boolean fits;
        if (context > m.maxContext()) {
            fits = false;
            reason = "context " + context + " is over the model's maximum of " + m.maxContext();
        } else if (kvBudget <= 0) {
            fits = false;
            reason = String.format(java.util.Locale.ROOT, "the weights (%.1f GiB in %s) and the runtime reserve (%.1f GiB) need more than the "
                    + "%.1f GiB usable on %s (%d of its %d × %s, %.0f%% of %.1f GiB each)", weights, q, RESERVE_GIB_PER_GPU * gpusUsed, usable,
                    i.name(), gpusUsed, i.gpus(), i.gpu(), gpuMemoryUtilization * 100, i.gpuMemoryGiB());
        } else if (atContext < concurrency) {
            fits = false;
            reason = String.format(java.util.Locale.ROOT, "the KV cache holds %,d tokens (%.1f GiB at %,d bytes a token): %d sequence(s) of %,d "
                    + "tokens, fewer than the %d asked for", tokens, kvBudget, perToken, atContext, context, concurrency);
        } else {
            fits = true;
            reason = "fits";
        }
        return new Fit(m, q, i, weights, kvBudget, perToken, tokens, context, atContext, fits, reason);
    }

    /** The cheapest instance of the catalogue (EC2 or SageMaker) where the model fits. */
    public static Optional<Fit> cheapest(ModelSpec m, Quantization q, int context, int concurrency, double util, boolean sagemaker) {
        return InstanceType.CATALOGUE.stream().filter(i -> i.sagemaker() == sagemaker)
                .map(i -> fit(m, q, i, context, concurrency, util)).filter(Fit::fits)
                .min(Comparator.comparingDouble(f -> f.instance().usdPerHour()));
    }

    /** A month of traffic: requests a day, tokens each, the share served by this fleet. */
    public record Traffic(long requestsPerDay, int inputTokens, int outputTokens) {
        public double tokensPerMonth() {
            return requestsPerDay * 30.0 * (inputTokens + outputTokens);
        }
    }

    /**
     * @param instances running all month
     * @return {self-hosted USD per month, hosted USD per month at the given list prices per million tokens}
     */
    public static double[] monthlyCost(InstanceType i, int instances, Traffic t, double hostedInputPerMillion, double hostedOutputPerMillion) {
        double selfHosted = i.usdPerHour() * 730 * instances;
        double hosted = t.requestsPerDay() * 30.0 * (t.inputTokens() * hostedInputPerMillion + t.outputTokens() * hostedOutputPerMillion) / 1e6;
        return new double[]{selfHosted, hosted};
    }

    public static List<InstanceType> instances() {
        return InstanceType.CATALOGUE;
    }
}
