package dev.tiergate.core.routing;

import dev.tiergate.core.config.RoutingSettings;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.protocol.OpenAiError;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Chooses the tier of a request. A named tier or model goes to that tier; {@code "auto"} is classified by a first,
 * cheap rule (length, code, multi-step instructions) and sent to the tier that serves its class.
 */
public final class TierRouter {

    public static final String AUTO = "auto";

    private static final Pattern CODE = Pattern.compile("```|\\bdef \\w+\\(|\\bclass \\w+|\\bfunction\\s*\\w*\\(|#include|"
            + "public static|Traceback \\(most recent call last\\)|\\bException\\b.*\\bat ");
    private static final Pattern STEPS = Pattern.compile("(?m)^\\s*(\\d+[.)]|[-*])\\s+\\S");

    private final TiergateConfig config;

    public TierRouter(TiergateConfig config) {
        this.config = config;
    }

    public RouteDecision route(String model, String promptText) {
        if (!AUTO.equals(model)) {
            return config.tier(model)
                    .map(t -> new RouteDecision(t, Optional.empty(), List.of("requested:" + model)))
                    .orElseThrow(() -> OpenAiError.modelNotFound(model).failure());
        }
        RoutingSettings r = config.routing();
        List<String> reasons = new ArrayList<>();
        ComplexityClass c;
        if (CODE.matcher(promptText).find()) {
            reasons.add("code");
            c = ComplexityClass.COMPLEX;
        } else if (promptText.length() >= r.complexMinChars()) {
            reasons.add("length>=" + r.complexMinChars());
            c = ComplexityClass.COMPLEX;
        } else if (STEPS.matcher(promptText).results().count() >= 3) {
            reasons.add("multi_step");
            c = ComplexityClass.COMPLEX;
        } else if (promptText.length() <= r.simpleMaxChars()) {
            reasons.add("length<=" + r.simpleMaxChars());
            c = ComplexityClass.SIMPLE;
        } else {
            reasons.add("length");
            c = ComplexityClass.MEDIUM;
        }
        return new RouteDecision(config.tierNamed(r.classTiers().get(c.wire())), Optional.of(c), reasons);
    }
}
