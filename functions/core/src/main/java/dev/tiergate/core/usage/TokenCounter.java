package dev.tiergate.core.usage;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

/** Counts tokens with a real BPE tokenizer (cl100k_base), for when an upstream's own count is not available. */
public final class TokenCounter {

    private final Encoding encoding;

    /** Loads its own cl100k_base (about 0.15-0.3 s of CPU and 30 MB on first use in a process). */
    public TokenCounter() {
        this(cl100k());
    }

    /** Shares an encoding already loaded in this process (the local stack's simulated fleet uses the same one). */
    public TokenCounter(Encoding encoding) {
        this.encoding = encoding;
    }

    /** A freshly loaded cl100k_base; jtokkit's encodings are immutable, so one can serve every thread. */
    public static Encoding cl100k() {
        return Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
    }

    public int count(String text) {
        return text.isEmpty() ? 0 : encoding.countTokensOrdinary(text);
    }
}
