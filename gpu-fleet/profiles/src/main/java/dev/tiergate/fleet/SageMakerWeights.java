package dev.tiergate.fleet;

/** Where a SageMaker tier's container finds the model. */
public enum SageMakerWeights {
    /** The container downloads the checkpoint from the Hugging Face hub by its id (no token reaches it). */
    FROM_HUB,
    /**
     * SageMaker copies the flat weights cache (the prefix EC2 instances fill, {@link ServingProfile#weightsPrefix()})
     * into the container's {@link #MODEL_DIR} before it starts; how gated checkpoints are served, since a token in a
     * model's environment would be readable by anyone who may describe the model.
     */
    FROM_CACHE;

    /** Where SageMaker puts a model's artifacts in its container. */
    public static final String MODEL_DIR = "/opt/ml/model";
}
