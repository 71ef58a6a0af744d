package dev.tiergate.core.routing;

/**
 * The part of a prompt the router reads: its head and its tail. A long RAG context in the middle costs nothing extra
 * to route, and the question, usually at one end, is kept.
 */
public final class PromptSlice {

    private PromptSlice() {}

    public static String of(String text, int headChars, int tailChars) {
        if (text.length() <= headChars + tailChars) return text;
        return text.substring(0, headChars) + "\n…\n" + text.substring(text.length() - tailChars);
    }
}
