package dev.tiergate.core.config;

import java.util.Optional;

/**
 * How a tier's GPU fleet is provisioned in AWS (read by the CDK app) and which vLLM flags its servers run with.
 *
 * @param kind         EC2 Auto Scaling group behind an internal ALB, or a SageMaker real-time endpoint
 * @param modelId      the Hugging Face id or S3 path of the weights ({@code vllm serve <modelId>})
 * @param quantization the vLLM {@code --quantization} value, when the checkpoint needs one named
 * @param image        the serving container (EC2 default: the vLLM OpenAI server image; SageMaker: required, an ECR URI)
 * @param warmPool     stopped, pre-initialised instances kept ready to join (EC2), so scale-out skips the model load
 * @param offHours     scale to zero and back on a schedule (EC2)
 * @param scaleOnQueueDepth the target of waiting requests per replica that target tracking keeps
 */
public record FleetSpec(Kind kind, String instanceType, int minInstances, int maxInstances, String modelId,
                        Optional<String> quantization, VllmFlags vllm, Optional<String> image, int warmPool,
                        Optional<OffHours> offHours, double scaleOnQueueDepth) {

    /** Cron expressions (five fields) for the scheduled scale-down to zero and scale-up to {@code min_instances}. */
    public record OffHours(String scaleDown, String scaleUp, String timezone) {}

    public enum Kind { EC2, SAGEMAKER }

    /** The vLLM server flags tiergate sets explicitly; everything else keeps vLLM's defaults. */
    /**
     * @param toolCallParser vLLM's parser for the model's tool calls ({@code llama3_json}, {@code hermes}, …): with it the
     *                       tier serves {@code tool_choice: "auto"}, which OpenAI's SDKs send whenever tools are given;
     *                       without it vLLM refuses such requests with a 400
     */
    public record VllmFlags(double gpuMemoryUtilization, int maxModelLen, int maxNumSeqs, int maxNumBatchedTokens,
                            int tensorParallelSize, boolean enablePrefixCaching, java.util.Optional<String> toolCallParser) {}
}
