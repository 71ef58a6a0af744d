package dev.tiergate.local;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class PlanCommandTest {

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        StringWriter picocliErr = new StringWriter();
        try {
            int code = TiergateCli.commandLine(args).setErr(new PrintWriter(picocliErr)).execute(args);
            return new Run(code, out.toString(), err + picocliErr.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void anImpossibleFleetExitsNonZeroSayingWhy() {
        Run r = run("plan", "--model", "llama-3.3-70b", "--quantization", "fp16", "--instance", "g5.xlarge");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("does not fit", "131.5 GiB", "g5.xlarge");
    }

    @Test
    void aFittingPlanPrintsTheFitAndTheMonthlyCost() {
        Run r = run("plan", "--model", "llama-3.1-8b", "--quantization", "awq", "--concurrency", "8", "--requests-per-day", "100000");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("KV cache        131,072 bytes (128 KiB) a token", "(the cheapest that fits)", "13 sequence(s)",
                "22.5 GiB usable each",
                "hosted $13,500");
    }

    @Test
    void unknownModelsAreNamed() {
        Run r = run("plan", "--model", "gpt-9");
        assertThat(r.code()).as("a usage error").isEqualTo(2);
        assertThat(r.err()).contains("unknown model 'gpt-9'", "llama-3.1-8b").doesNotContain("Exception");
    }
}
