package dev.tiergate.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Produces the simulated model's answer: plausible words, deterministic for a given seed and prompt, cut into pieces
 * that are each whole pre-tokens of the tokenizer (a word with its leading space, or a punctuation mark), so the
 * pieces' token counts add up exactly to the token count of the whole text.
 */
public final class TextGenerator {

    private static final String[] WORDS = ("the a model answer token request cache tier budget router fleet replica "
            + "latency prompt context simple complex medium result value system user gateway cost price usage stream "
            + "engine block prefix queue batch memory server client metric report team key limit level data").split(" ");

    private final PromptTokenizer tokenizer;

    public TextGenerator(PromptTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** A piece of streamed text and how many tokens it is. */
    public record Piece(String text, int tokens) {}

    /** The generated answer: its pieces, its total token count and why it stopped. */
    public record Generation(List<Piece> pieces, int tokens, String finishReason) {
        public String text() {
            StringBuilder sb = new StringBuilder();
            for (Piece p : pieces) sb.append(p.text());
            return sb.toString();
        }
    }

    /**
     * @param seed     the request's seed
     * @param target   how many tokens the model "wants" to say
     * @param limit    the most it may say (max_tokens, or what is left of the context)
     */
    public Generation generate(long seed, int target, int limit) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int goal = Math.min(target, limit);
        List<Piece> pieces = new ArrayList<>();
        int tokens = 0;
        int sinceStop = 0;
        boolean first = true;
        while (tokens < goal) {
            String text;
            if (sinceStop >= 6 && rnd.nextInt(4) == 0) {
                text = ".";
                sinceStop = 0;
            } else {
                String w = WORDS[rnd.nextInt(WORDS.length)];
                if (first) w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
                text = first ? w : " " + w;
                sinceStop++;
            }
            int n = tokenizer.count(text);
            if (tokens + n > goal) break;
            pieces.add(new Piece(text, n));
            tokens += n;
            first = false;
        }
        String reason = target > limit ? "length" : "stop";
        return new Generation(List.copyOf(pieces), tokens, reason);
    }

    /**
     * A given text (a tool call's arguments, a JSON answer) as the model's output: cut after each comma, colon and
     * space into pieces, and cut short with {@code length} when it would pass {@code limit} tokens.
     */
    public Generation fixed(String text, String finishReason, int limit) {
        List<Piece> pieces = new ArrayList<>();
        int tokens = 0;
        int start = 0;
        for (int i = 0; i <= text.length(); i++) {
            boolean end = i == text.length();
            if (!end && ",: ".indexOf(text.charAt(i)) < 0) continue;
            int stop = end ? i : i + 1;
            if (stop == start) continue;
            String p = text.substring(start, stop);
            int n = tokenizer.count(p);
            if (tokens + n > limit) return new Generation(List.copyOf(pieces), tokens, "length");
            pieces.add(new Piece(p, n));
            tokens += n;
            start = stop;
        }
        return new Generation(List.copyOf(pieces), tokens, finishReason);
    }
}
