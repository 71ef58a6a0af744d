package dev.tiergate.adapters.wiring;

import dev.tiergate.adapters.routing.PromptEmbeddingModel;
import dev.tiergate.core.routing.RouterModelFile;
import dev.tiergate.adapters.routing.LlmSelfAssessment;
import dev.tiergate.core.config.RoutingSettings;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.ports.FleetRegistry;
import dev.tiergate.core.ports.Upstream;
import dev.tiergate.core.routing.ComplexityClassifier;
import dev.tiergate.core.routing.HeuristicScorer;
import dev.tiergate.core.routing.SelfAssessment;
import dev.tiergate.core.routing.TierRouter;

import java.time.Duration;
import java.util.Optional;

/** Builds the router from the config and the shipped trained model: the embedding model and self-assessment when enabled. */
public final class Routing implements AutoCloseable {

    private final TierRouter router;
    private final Optional<PromptEmbeddingModel> embedding;

    private Routing(TierRouter router, Optional<PromptEmbeddingModel> embedding) {
        this.router = router;
        this.embedding = embedding;
    }

    /** The embedding model (when enabled) starts loading in the background at once. */
    public static Routing build(TiergateConfig config, Upstream upstream, FleetRegistry fleet) {
        return build(config, upstream, fleet, true);
    }

    /** @param loadModelNow false leaves the embedding model unloaded until {@link #startModelLoad} or the first prompt to score */
    public static Routing build(TiergateConfig config, Upstream upstream, FleetRegistry fleet, boolean loadModelNow) {
        RoutingSettings s = config.routing();
        // The semantic cache embeds with the same model: it is loaded when either needs it.
        boolean semantic = config.gateway().semanticCache().enabled()
                || config.teams().values().stream().anyMatch(t -> t.semanticCache().map(c -> c.enabled()).orElse(false));
        Optional<PromptEmbeddingModel> embedding = !s.embedding().enabled() && !semantic ? Optional.empty()
                : Optional.of(loadModelNow ? PromptEmbeddingModel.loadInBackground() : PromptEmbeddingModel.unloaded());
        Optional<SelfAssessment> self = s.selfAssessment().enabled()
                ? Optional.of(new LlmSelfAssessment(upstream, fleet, s.selfAssessment().tier(), config.tierNamed(s.selfAssessment().tier()).model()))
                : Optional.empty();
        ComplexityClassifier classifier = new ComplexityClassifier(s, new HeuristicScorer(), RouterModelFile.shipped(),
                embedding.map(e -> (dev.tiergate.core.ports.PromptEmbedder) e), self);
        return new Routing(new TierRouter(config, classifier), embedding);
    }

    public TierRouter router() {
        return router;
    }

    /** The embedding model, for the semantic cache; empty when neither routing nor any team's cache uses it. */
    public Optional<dev.tiergate.core.ports.PromptEmbedder> embedder() {
        return embedding.map(e -> e);
    }

    /** Starts loading the embedding model in the background, if it is enabled and not loading yet. */
    public void startModelLoad() {
        embedding.ifPresent(PromptEmbeddingModel::startLoading);
    }

    /** Waits until the embedding model is ready (true at once when it is disabled). */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return embedding.isEmpty() || embedding.get().awaitReady(timeout);
    }

    /** Lets a routing model load in progress end (see {@link PromptEmbeddingModel#close}). */
    @Override
    public void close() {
        embedding.ifPresent(PromptEmbeddingModel::close);
    }
}
