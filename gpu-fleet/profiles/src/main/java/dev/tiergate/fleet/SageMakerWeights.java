package dev.tiergate.fleet;

/** Where a SageMaker tier's container finds the model. */
public enum SageMakerWeights {
    /** The container downloads the checkpoint from the Hugging Face hub by its id (no token reaches it). */
    FROM_HUB,
    /**
     * SageMaker copies a flat model folder from S3 into the container's {@link #MODEL_DIR} before it starts: the
     * operator's own folder when the model is one, or the fleet's cache (the prefix EC2 instances fill,
     * {@link ServingProfile#weightsPrefix()}) for a gated checkpoint, since a token in a model's environment would be
     * readable by anyone who may describe the model.
     */
    FROM_S3;

    /** Where SageMaker puts a model's artifacts in its container. */
    public static final String MODEL_DIR = "/opt/ml/model";
}
