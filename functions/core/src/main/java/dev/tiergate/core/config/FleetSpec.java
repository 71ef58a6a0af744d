package dev.tiergate.core.config;

import java.util.Optional;

/**
 * How a tier's GPU fleet is provisioned in AWS (read by the CDK app) and which vLLM flags its servers run with.
 *
 * @param kind         EC2 Auto Scaling group behind an internal ALB, or a SageMaker real-time endpoint
 * @param modelId      the Hugging Face id or S3 path of the weights ({@code vllm serve <modelId>})
 * @param quantization the vLLM {@code --quantization} value, when the checkpoint needs one named
 */
public record FleetSpec(Kind kind, String instanceType, int minInstances, int maxInstances, String modelId,
                        Optional<String> quantization, VllmFlags vllm) {

    public enum Kind { EC2, SAGEMAKER }

    /** The vLLM server flags tiergate sets explicitly; everything else keeps vLLM's defaults. */
    public record VllmFlags(double gpuMemoryUtilization, int maxModelLen, int maxNumSeqs, int maxNumBatchedTokens,
                            int tensorParallelSize, boolean enablePrefixCaching) {}
}
