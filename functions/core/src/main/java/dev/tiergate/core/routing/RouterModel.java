package dev.tiergate.core.routing;

import java.util.List;

/**
 * A trained multinomial logistic regression over routing features: standardized features, one weight row per class
 * (simple, medium, complex), and a softmax temperature fitted on held-out folds so its probabilities are calibrated.
 *
 * @param features    the feature names, in order ({@link RoutingFeatures})
 * @param mean        each feature's training mean, subtracted before the weights apply
 * @param scale       each feature's training standard deviation, divided by
 * @param weights     weights[class][feature]
 * @param bias        bias[class]
 * @param temperature the logits are divided by this before the softmax
 */
public record RouterModel(List<String> features, double[] mean, double[] scale, double[][] weights, double[] bias, double temperature) {

    public RouterModel {
        features = List.copyOf(features);
        int d = features.size();
        if (mean.length != d || scale.length != d) throw new IllegalArgumentException("mean and scale must have " + d + " values");
        if (weights.length != 3 || bias.length != 3) throw new IllegalArgumentException("a router model has three classes");
        for (double[] w : weights) if (w.length != d) throw new IllegalArgumentException("each weight row must have " + d + " values");
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be positive, got " + temperature);
    }

    /** The raw (uncalibrated) logits of one feature vector. */
    public double[] logits(double[] x) {
        if (x.length != mean.length) throw new IllegalArgumentException("expected " + mean.length + " features, got " + x.length);
        double[] z = bias.clone();
        for (int j = 0; j < x.length; j++) {
            double v = (x[j] - mean[j]) / scale[j];
            if (v == 0) continue;
            z[0] += weights[0][j] * v;
            z[1] += weights[1][j] * v;
            z[2] += weights[2][j] * v;
        }
        return z;
    }

    /** Calibrated class probabilities. */
    public ClassScores probabilities(double[] x) {
        return softmax(logits(x), temperature);
    }

    public static ClassScores softmax(double[] z, double temperature) {
        double m = Math.max(z[0], Math.max(z[1], z[2]));
        double a = Math.exp((z[0] - m) / temperature);
        double b = Math.exp((z[1] - m) / temperature);
        double c = Math.exp((z[2] - m) / temperature);
        double s = a + b + c;
        return new ClassScores(a / s, b / s, c / s);
    }
}
