package dev.tiergate.local;

import dev.tiergate.planner.CapacityPlanner;
import dev.tiergate.planner.InstanceType;
import dev.tiergate.planner.ModelSpec;
import dev.tiergate.planner.Quantization;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code tiergate plan}: does a model fit an instance, what is cheapest, and what does a month cost against a hosted API. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Plan a tier's GPU fleet: weight memory, KV-cache bytes per token, the sequences of --context tokens that fit "
                + "in gpu_memory_utilization, the cheapest instance that fits (when --instance is left out), and the monthly cost of a "
                + "traffic profile against hosted API prices. Exits 1, saying why, when the model does not fit.",
                "Models: mistral-7b, llama-3.1-8b, llama-3.2-3b, qwen2.5-7b, qwen2.5-32b, mixtral-8x7b, llama-3.3-70b, phi-3-mini. Instances: the g5, g6, g6e, p4d, p4de and p5 families and their SageMaker ml.* equivalents."})
final class PlanCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "A catalogued model, e.g. llama-3.1-8b.")
    String model;
    @Option(names = "--quantization", defaultValue = "fp16", description = "fp16, bf16, fp8, awq or gptq (default: ${DEFAULT-VALUE}).")
    String quantization;
    @Option(names = "--instance", description = "An instance type, e.g. g5.xlarge; left out, the cheapest that fits.")
    String instance;
    @Option(names = "--sagemaker", description = "Choose among SageMaker ml.* instances when --instance is left out.")
    boolean sagemaker;
    @Option(names = "--context", defaultValue = "8192", description = "max_model_len, in tokens (default: ${DEFAULT-VALUE}).")
    int context;
    @Option(names = "--concurrency", defaultValue = "1", description = "Sequences of --context tokens that must fit at once (default: ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--gpu-memory-utilization", defaultValue = "0.92", description = "vLLM's share of GPU memory (default: ${DEFAULT-VALUE}).")
    double util;
    @Option(names = "--instances", defaultValue = "1", description = "Instances running all month, for the cost (default: ${DEFAULT-VALUE}).")
    int instances;
    @Option(names = "--requests-per-day", defaultValue = "0", description = "Traffic for the cost comparison.")
    long requestsPerDay;
    @Option(names = "--input-tokens", defaultValue = "500", description = "Prompt tokens per request (default: ${DEFAULT-VALUE}).")
    int inputTokens;
    @Option(names = "--output-tokens", defaultValue = "200", description = "Output tokens per request (default: ${DEFAULT-VALUE}).")
    int outputTokens;
    @Option(names = "--hosted-input-price", defaultValue = "3.00", description = "Hosted API USD per 1M input tokens (default: ${DEFAULT-VALUE}).")
    double hostedIn;
    @Option(names = "--hosted-output-price", defaultValue = "15.00", description = "Hosted API USD per 1M output tokens (default: ${DEFAULT-VALUE}).")
    double hostedOut;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ModelSpec m = ModelSpec.named(model).orElseThrow(() -> TiergateCli.usageError(spec, "unknown model '" + model + "'; known: "
                + ModelSpec.CATALOGUE.stream().map(ModelSpec::name).collect(Collectors.joining(", "))));
        Quantization q = Quantization.named(quantization).orElseThrow(() -> TiergateCli.usageError(spec,
                "unknown quantization '" + quantization + "'; known: fp16, bf16, fp8, awq, gptq"));
        if (util <= 0 || util > 1) throw TiergateCli.usageError(spec, "--gpu-memory-utilization must be above 0 and at most 1");
        if (context < 1 || concurrency < 1) throw TiergateCli.usageError(spec, "--context and --concurrency must be at least 1");
        Optional<CapacityPlanner.Fit> fit;
        if (instance != null) {
            InstanceType i = InstanceType.named(instance).orElseThrow(() -> TiergateCli.usageError(spec, "unknown instance '" + instance
                    + "'; known: " + InstanceType.CATALOGUE.stream().map(InstanceType::name).collect(Collectors.joining(", "))));
            fit = Optional.of(CapacityPlanner.fit(m, q, i, context, concurrency, util));
        } else {
            fit = CapacityPlanner.cheapest(m, q, context, concurrency, util, sagemaker);
            if (fit.isEmpty()) {
                System.err.printf(Locale.ROOT, "%s in %s with %d × %,d tokens fits no %s instance of the catalogue.%n", m.name(), q,
                        concurrency, context, sagemaker ? "SageMaker" : "EC2");
                return 1;
            }
        }
        CapacityPlanner.Fit f = fit.get();
        InstanceType i = f.instance();
        System.out.printf(Locale.ROOT, "model           %s, %.2fB parameters, %d layers, %d KV heads × %d dims, max context %,d%n",
                m.name(), m.paramsBillions(), m.layers(), m.kvHeads(), m.headDim(), m.maxContext());
        System.out.printf(Locale.ROOT, "weights         %.1f GiB in %s%n", f.weightsGiB(), q);
        System.out.printf(Locale.ROOT, "KV cache        %,d bytes (%.0f KiB) a token%n", f.kvBytesPerToken(), f.kvBytesPerToken() / 1024.0);
        System.out.printf(Locale.ROOT, "instance        %s: %d × %s, %.1f GiB usable each, $%.3f an hour%s%n", i.name(), i.gpus(), i.gpu(),
                i.gpuMemoryGiB(), i.usdPerHour(), instance == null ? " (the cheapest that fits)" : "");
        if (!f.fits()) {
            System.err.println("does not fit: " + f.reason());
            return 1;
        }
        System.out.printf(Locale.ROOT, "fits            KV budget %.1f GiB = %,d tokens: %d sequence(s) of %,d tokens at once (asked %d)%n",
                f.kvBudgetGiB(), f.tokensInCache(), f.concurrencyAtContext(), context, concurrency);
        if (requestsPerDay > 0) {
            double[] c = CapacityPlanner.monthlyCost(i, instances, new CapacityPlanner.Traffic(requestsPerDay, inputTokens, outputTokens), hostedIn, hostedOut);
            System.out.printf(Locale.ROOT, "monthly cost    self-hosted $%,.0f (%d × %s, 730 h) vs hosted $%,.0f at $%.2f/$%.2f per 1M tokens%n",
                    c[0], instances, i.name(), c[1], hostedIn, hostedOut);
        }
        return 0;
    }
}
