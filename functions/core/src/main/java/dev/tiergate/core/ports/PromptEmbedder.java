package dev.tiergate.core.ports;

import java.util.Optional;

/** Turns a prompt into a unit vector: the router's embedding model, shared so a request is embedded once. */
public interface PromptEmbedder {

    /** The vector (unit length), or empty while the model is not ready or for a blank text. */
    Optional<float[]> embed(String text);

    /** The length of every vector this embedder gives. */
    int dimensions();

    /** Whether it embeds now (a model still loading does not). */
    default boolean ready() {
        return true;
    }

    /** No model: nothing is ever embedded, so nothing is cached by meaning. */
    PromptEmbedder NONE = new PromptEmbedder() {
        @Override
        public Optional<float[]> embed(String text) {
            return Optional.empty();
        }

        @Override
        public int dimensions() {
            return 1;
        }

        @Override
        public boolean ready() {
            return false;
        }
    };
}
