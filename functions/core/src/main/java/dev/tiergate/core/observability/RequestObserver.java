package dev.tiergate.core.observability;

import java.util.List;

/**
 * Told how every request ended: metrics, logs. Called on the request path, so an observer must be quick and must not
 * throw; a failing observer is the observer's problem, never the client's.
 */
public interface RequestObserver {

    void observe(RequestOutcome outcome);

    RequestObserver NONE = o -> {
    };

    static RequestObserver all(List<RequestObserver> observers) {
        List<RequestObserver> copy = List.copyOf(observers);
        return o -> {
            for (RequestObserver r : copy) {
                try {
                    r.observe(o);
                } catch (RuntimeException e) {
                    System.getLogger(RequestObserver.class.getName()).log(System.Logger.Level.WARNING,
                            "an observer failed: " + e);
                }
            }
        };
    }
}
