package dev.tiergate.fleet;

/**
 * Where a fleet instance keeps the model weights and the hub's download cache.
 */
public enum WeightsDisk {
    /**
     * The instance's local NVMe (instance store): free with the instance and faster than any EBS volume, but empty after
     * every stop, so the instance formats it and fetches the weights again at each boot before Docker starts vLLM.
     */
    INSTANCE_STORE,
    /** The root EBS volume, sized and provisioned for them: for instance types without an instance store large enough. */
    ROOT_VOLUME;

    /** The value the user-data tests. */
    String scriptValue() {
        return switch (this) {
            case INSTANCE_STORE -> "instance-store";
            case ROOT_VOLUME -> "root-volume";
        };
    }
}
