package dev.tiergate.sim;

import dev.tiergate.openai.TextLogprobs;
import dev.tiergate.openai.TokenLogprobs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Log probabilities for the simulated model's tokens, in vLLM's two shapes: deterministic for a request's seed and a
 * token's position, the sampled token the likeliest, its alternatives each less likely than the one before.
 */
final class SimulatedLogprobs {

    /** Tokens offered as the alternatives, likeliest first after the sampled one. */
    private static final String[] ALTERNATIVES = {" the", " a", " and", " to", " of", " in", " is", " that", " it", " for",
            " on", " with", " as", " this", " be", " at", " by", " or", " an", " from", " not"};

    /** A token with its log probability and the likeliest tokens in its place (itself first). */
    record Scored(String token, byte[] bytes, double logprob, List<Map.Entry<String, Double>> top) {}

    private final PromptTokenizer tokenizer;

    SimulatedLogprobs(PromptTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * @param position the index of the text's first token in its choice
     * @param top      how many alternatives to give (0: none)
     */
    List<Scored> score(String text, long seed, int position, int top) {
        List<Scored> out = new ArrayList<>();
        for (byte[] bytes : tokenizer.tokenBytes(text)) {
            SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + position++);
            double chosen = -Math.round((0.0001 + rnd.nextDouble() * rnd.nextDouble() * 1.5) * 1e4) / 1e4;
            String token = new String(bytes, StandardCharsets.UTF_8);
            List<Map.Entry<String, Double>> alternatives = new ArrayList<>();
            if (top > 0) alternatives.add(Map.entry(token, chosen));
            double next = chosen;
            for (int a = 0; alternatives.size() < top && a < ALTERNATIVES.length; a++) {
                if (ALTERNATIVES[a].equals(token)) continue;
                next -= 0.5 + Math.round(rnd.nextDouble() * 1e4) / 1e4;
                alternatives.add(Map.entry(ALTERNATIVES[a], Math.round(next * 1e4) / 1e4));
            }
            out.add(new Scored(token, bytes, chosen, alternatives));
        }
        return out;
    }

    static TokenLogprobs chat(List<Scored> tokens) {
        List<TokenLogprobs.Token> content = new ArrayList<>();
        for (Scored s : tokens) {
            List<TokenLogprobs.Top> top = new ArrayList<>();
            for (Map.Entry<String, Double> e : s.top()) {
                top.add(new TokenLogprobs.Top(e.getKey(), e.getValue(), bytes(e.getKey().getBytes(StandardCharsets.UTF_8))));
            }
            content.add(new TokenLogprobs.Token(s.token(), s.logprob(), bytes(s.bytes()), top));
        }
        return new TokenLogprobs(content);
    }

    /** @param offset the character offset of the first token in its choice's text */
    static TextLogprobs text(List<Scored> tokens, int offset) {
        List<Integer> offsets = new ArrayList<>();
        List<Double> logprobs = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        List<Map<String, Double>> top = new ArrayList<>();
        for (Scored s : tokens) {
            offsets.add(offset);
            offset += s.token().length();
            logprobs.add(s.logprob());
            texts.add(s.token());
            Map<String, Double> m = new LinkedHashMap<>();
            for (Map.Entry<String, Double> e : s.top()) m.putIfAbsent(e.getKey(), e.getValue());
            top.add(m);
        }
        return new TextLogprobs(offsets, logprobs, texts, top);
    }

    private static List<Integer> bytes(byte[] b) {
        List<Integer> out = new ArrayList<>(b.length);
        for (byte x : b) out.add(x & 0xff);
        return out;
    }
}
