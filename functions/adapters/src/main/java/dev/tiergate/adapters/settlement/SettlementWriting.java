package dev.tiergate.adapters.settlement;

import java.nio.file.Path;
import java.time.Duration;

/** How the gateway writes each request's settlement: before it answers, or behind the answer from a journal. */
public sealed interface SettlementWriting {

    /** Before the answer: Lambda (the environment may freeze once the handler returns) and tests that read at once. */
    record Inline() implements SettlementWriting {}

    /** Behind the answer: a long-running server ({@code tiergate up}, {@code tiergate serve}). */
    record WriteBehind(Path journalDir, int writerThreads, int capacity, Duration drainTimeout, Duration linger) implements SettlementWriting {

        /**
         * Two writers, 10,000 waiting at most, 15 s to drain on stop, and up to a second for a settlement to share a
         * write: an instance then writes its hot rows about once a second whatever its traffic (readers of spend
         * cut the wait short).
         */
        public static WriteBehind in(Path journalDir) {
            return new WriteBehind(journalDir, 2, 10_000, Duration.ofSeconds(15), Duration.ofSeconds(1));
        }
    }

    /**
     * After the response, in the same invocation: Lambda with an internal extension that writes them before the
     * invocation ends ({@link AfterResponseSettlements}).
     */
    record AfterResponse() implements SettlementWriting {}

    static SettlementWriting inline() {
        return new Inline();
    }
}
