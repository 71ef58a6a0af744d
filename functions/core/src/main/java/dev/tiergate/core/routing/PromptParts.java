package dev.tiergate.core.routing;

/**
 * A prompt split into what it asks and what it pastes: the instruction, and the material it asks about (a quoted text,
 * a document after a blank line, a {@code Context:} or {@code Document:} block). How hard a request is lies in its
 * instruction: "when was the company founded?" over a pasted page is a look-up however many numbers the page holds,
 * and "compute the error rate per service" over a short log is a calculation. The router reads both: the whole
 * prompt's signals, and the instruction's own.
 *
 * @param instruction   the prompt with each piece of material replaced by {@link #PLACEHOLDER}
 * @param materialChars how many characters were material (0: the prompt is all instruction)
 */
public record PromptParts(String instruction, int materialChars) {

    /** What stands for a piece of material in the instruction. */
    static final String PLACEHOLDER = "[text]";
    /** A quotation shorter than this is part of the sentence ("rename it to 'total'"), not pasted material. */
    static final int MIN_QUOTED = 30;
    /** An instruction paragraph before pasted material is at most this long: a longer first paragraph is part of a brief. */
    static final int MAX_LEAD = 400;
    /** Text after a blank line is pasted material only when it is at least this long. */
    static final int MIN_BLOCK = 60;

    private static final String[] LABELS = {"context:", "document:", "passage:", "text:", "article:", "excerpt:", "input:",
            "email:", "notes:", "transcript:", "review:"};
    private static final String[] QUESTION_LABELS = {"question:", "q:", "task:"};
    private static final char[] OPENERS = {'"', '\u201C', '\u201E', '\u00AB', '\u300C'};
    private static final char[] CLOSERS = {'"', '\u201D', '\u201C', '\u00BB', '\u300D'};

    public PromptParts {
        if (instruction == null) throw new IllegalArgumentException("instruction must not be null");
        if (materialChars < 0) throw new IllegalArgumentException("materialChars must not be negative");
    }

    public boolean hasMaterial() {
        return materialChars > 0;
    }

    /** The prompt's parts. Linear in its length. */
    public static PromptParts of(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int material = 0;
        String rest = text;
        // A labeled block ("Context: ... Question: ...") at the start: the material runs up to the question's label.
        int label = labelAtStart(rest);
        if (label > 0) {
            int q = -1;
            for (String ql : QUESTION_LABELS) {
                int at = wordAt(rest, ql, label);
                if (at > 0 && (q < 0 || at < q)) q = at;
            }
            int end = q < 0 ? rest.length() : q;
            if (end - label >= MIN_QUOTED) {
                material += end - label;
                out.append(rest, 0, label).append(' ').append(PLACEHOLDER).append('\n');
                rest = rest.substring(end);
            }
        }
        // Text after the first blank line, when a short instruction leads it.
        int blank = rest.indexOf("\n\n");
        String tail = "";
        if (blank > 0 && blank <= MAX_LEAD && rest.length() - blank - 2 >= MIN_BLOCK) {
            tail = rest.substring(blank + 2);
            rest = rest.substring(0, blank);
        }
        material += quotations(rest, out);
        if (!tail.isEmpty()) {
            material += tail.length();
            out.append(' ').append(PLACEHOLDER);
        }
        return material == 0 ? new PromptParts(text, 0) : new PromptParts(out.toString(), material);
    }

    /**
     * Copies text to out with each long quotation replaced by the placeholder; answers the characters replaced. Linear:
     * the next closing mark of each kind is searched for once and reused until passed, so a text of opening marks that
     * never close cannot make it quadratic.
     */
    private static int quotations(String text, StringBuilder out) {
        int replaced = 0;
        int[] next = new int[CLOSERS.length];
        java.util.Arrays.fill(next, -2);
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            int kind = kind(c);
            int end = -1;
            if (kind >= 0) {
                if (next[kind] != -1 && next[kind] <= i) next[kind] = text.indexOf(CLOSERS[kind], i + 1);
                end = next[kind];
            }
            if (end > 0 && end - i - 1 >= MIN_QUOTED) {
                out.append(PLACEHOLDER);
                replaced += end - i + 1;
                i = end + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return replaced;
    }

    /** Which quotation mark opens here (an index into {@link #CLOSERS}), or -1. */
    private static int kind(char c) {
        for (int k = 0; k < OPENERS.length; k++) if (OPENERS[k] == c) return k;
        return -1;
    }

    /** Where a label starts a word at or after from, ignoring case ("FAQ:" is not "Q:"), or -1. */
    private static int wordAt(String text, String label, int from) {
        for (int i = from; i + label.length() <= text.length(); i++) {
            if ((i == 0 || !Character.isLetterOrDigit(text.charAt(i - 1))) && text.regionMatches(true, i, label, 0, label.length())) return i;
        }
        return -1;
    }

    /** The index just after a material label opening the text ("Context:"), or -1. */
    private static int labelAtStart(String text) {
        int offset = 0;
        while (offset < text.length() && Character.isWhitespace(text.charAt(offset))) offset++;
        for (String l : LABELS) if (text.regionMatches(true, offset, l, 0, l.length())) return offset + l.length();
        return -1;
    }
}
