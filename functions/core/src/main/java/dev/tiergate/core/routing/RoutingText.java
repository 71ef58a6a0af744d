package dev.tiergate.core.routing;

import java.util.Locale;
import java.util.Set;

/**
 * What the router reads of a conversation: the latest user turn, the user turns before it, and whether the request
 * carries tool definitions.
 * <p>
 * A follow-up ("now do it for 10 items", "and in French?") says little by itself: it is classified together with the
 * earlier turns, so it inherits the task it continues. A new, self-contained question is classified alone.
 *
 * @param lastTurn     the latest user turn
 * @param earlierTurns the user turns before it, oldest first, joined by new lines (empty for a single turn)
 * @param tools        the request defines tools the model may call
 */
public record RoutingText(String lastTurn, String earlierTurns, boolean tools) {

    /** A follow-up is short: a longer turn states its own task. */
    static final int FOLLOW_UP_MAX_WORDS = 25;
    /** Of the earlier turns, only the latest this many characters are read with a follow-up. */
    static final int EARLIER_CHARS = 1_500;

    private static final Set<String> OPENERS = Set.of("and", "now", "also", "then", "ok", "okay", "great", "same", "instead",
            "again", "but", "so", "next", "what about", "how about", "make it", "do it", "do the", "try", "can you also",
            // a short instruction that edits the earlier answer ("only include ...", "exclude the venv folder")
            "add", "only", "include", "exclude", "remove", "support", "handle", "continue",
            "y", "et", "und", "e", "ahora", "maintenant", "jetzt", "agora");
    private static final Set<String> REFERENCES = Set.of("it", "its", "that", "this", "these", "those", "them", "they", "same",
            "above", "previous", "earlier", "instead", "again", "another", "else", "version", "too",
            "lo", "eso", "esto", "ça", "cela", "das", "isso");
    /** A turn made only of these closes the conversation: it continues nothing. */
    private static final Set<String> CLOSING = Set.of("ok", "okay", "thanks", "thank", "you", "great", "cool", "perfect", "bye",
            "got", "it", "that's", "all", "nice", "good", "merci", "gracias", "danke", "so", "much", "awesome");

    public RoutingText {
        if (lastTurn == null || earlierTurns == null) throw new IllegalArgumentException("turns must not be null");
    }

    /** A single prompt, no tools. */
    public static RoutingText of(String prompt) {
        return new RoutingText(prompt, "", false);
    }

    /** Whether the latest turn continues an earlier one rather than asking something new. */
    public boolean followUp() {
        // A long turn states its own task (and is not split into words for nothing: a pasted document can be megabytes).
        if (earlierTurns.isBlank() || lastTurn.length() > 400) return false;
        String t = lastTurn.strip().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) return true;
        String[] words = t.split("[^\\p{L}\\p{N}']+");
        int n = 0;
        for (String w : words) if (!w.isEmpty()) n++;
        if (n > FOLLOW_UP_MAX_WORDS) return false;
        boolean closing = true;
        for (String w : words) if (!w.isEmpty() && !CLOSING.contains(w)) closing = false;
        if (closing) return false;
        for (String opener : OPENERS) {
            if (t.startsWith(opener) && (t.length() == opener.length() || !Character.isLetter(t.charAt(opener.length())))) return true;
        }
        for (String w : words) if (REFERENCES.contains(w)) return true;
        return false;
    }

    /** The text the classifier reads: the latest turn, after the end of the earlier turns when it is a follow-up. */
    public String classified() {
        if (!followUp()) return lastTurn;
        String earlier = earlierTurns.length() <= EARLIER_CHARS ? earlierTurns : earlierTurns.substring(earlierTurns.length() - EARLIER_CHARS);
        return earlier + "\n" + lastTurn;
    }
}
