package dev.tiergate.core.semantic;

import java.util.Locale;

/** Why a prompt is not answered from, nor kept in, the semantic cache. */
public enum Ineligible {
    /** Nothing to compare. */
    EMPTY,
    /** Longer than the configured bound: a long prompt carries detail a paraphrase match would lose. */
    TOO_LONG,
    /** It carries material to work on (code, a document, a quoted passage): the answer depends on that, word for word. */
    PASTED_CONTEXT;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
