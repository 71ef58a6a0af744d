package dev.tiergate.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI's routing commands, on prompts written for this test (not the shared labeled set). */
class RoutingCommandsTest {

    private static final Path CONFIG = Path.of("..", "..", "tiergate.yaml");

    private static String run(String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        System.setOut(new java.io.PrintStream(out, true));
        StringWriter err = new StringWriter();
        try {
            int code = TiergateCli.commandLine(args).setErr(new PrintWriter(err)).execute(args);
            assertThat(code).as(err.toString()).isZero();
        } finally {
            System.setOut(old);
        }
        return out.toString();
    }

    @Test
    void evalRoutingPrintsEveryMetricAndWritesTheConfusionMatrix(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("labeled.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"prompt\":\"Who discovered oxygen?\",\"expected_tier\":\"simple\"}",
                "{\"prompt\":\"What is the capital of Kenya?\",\"expected_tier\":\"simple\"}",
                "{\"prompt\":\"Write a short speech for my sister's graduation.\",\"expected_tier\":\"medium\"}",
                "{\"prompt\":\"Explain how tides work to a child.\",\"expected_tier\":\"medium\"}",
                "{\"prompt\":\"Write a Python function that returns the n-th Fibonacci number iteratively.\",\"expected_tier\":\"complex\"}",
                "{\"prompt\":\"A bus carries 40 people and 3 buses leave every hour. How many people leave in 5 hours?\",\"expected_tier\":\"complex\"}"));
        Path confusion = dir.resolve("confusion.csv");
        String out = run("eval-routing", file.toString(), "--config", CONFIG.toString(), "--heuristics-only", "--confusion", confusion.toString());
        assertThat(out).contains("6 prompts", "accuracy          1.000", "macro-F1          1.000", "under-routing     0.0%",
                "over-routing      0.0%", "calibration error", "reliability", "saved", "decision time     p50");
        assertThat(Files.readString(confusion)).isEqualTo("expected\\predicted,simple,medium,complex\nsimple,2,0,0\nmedium,0,2,0\ncomplex,0,0,2\n");
    }

    @Test
    void routeExplainsItsDecision() {
        String out = run("route", "--config", CONFIG.toString(), "--heuristics-only", "Debug this: TypeError: undefined is not a function");
        assertThat(out).contains("complexity  complex", "tier        large", "reasons", "code:stack_trace", "decided in");
    }

    @Test
    void badLabelsAreRefusedWithTheLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"prompt\":\"hi\",\"expected_tier\":\"simple\"}\n{\"prompt\":\"hi\",\"expected_tier\":\"hard\"}\n");
        StringWriter err = new StringWriter();
        String[] args = {"eval-routing", file.toString(), "--config", CONFIG.toString(), "--heuristics-only"};
        int code = TiergateCli.commandLine(args).setErr(new PrintWriter(err)).execute(args);
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains("bad.jsonl:2", "expected_tier must be simple, medium or complex");
    }
}
