package dev.tiergate.local;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line as {@code main} builds it: only the named subcommand's model, or all of them. */
class TiergateCliTest {

    private static final String[] ALL = {"up", "sim", "serve", "train-router", "bench-budget", "bench-settlement", "simulate-leases", "bench-dispatch", "plan", "route",
            "eval-routing", "eval-cache", "report", "bench"};

    @Test
    void helpAndNoArgumentsListEverySubcommandInOrder() {
        assertThat(TiergateCli.commandLine().getSubcommands().keySet()).containsExactly(ALL);
        assertThat(TiergateCli.commandLine("--help").getSubcommands().keySet()).containsExactly(ALL);

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        System.setErr(new PrintStream(err, true)); // picocli warns there about descriptions it cannot format
        String usage;
        try {
            usage = TiergateCli.commandLine("--help").getUsageMessage();
        } finally {
            System.setErr(oldErr);
        }
        assertThat(usage).contains(ALL).contains("success under 30% injected errors");
        assertThat(err.toString()).doesNotContain("picocli WARN");
    }

    @Test
    void aBadOptionValueIsAUsageErrorThatNamesTheOptionNotAStackTrace() {
        for (String[] bad : new String[][]{{"--dynamodb-port", "70000"}, {"--replicas", "0"}, {"--time-scale", "-1"}}) {
            StringWriter err = new StringWriter();
            String[] args = {"up", bad[0], bad[1], "--port", "0"};
            int code = TiergateCli.commandLine(args).setErr(new PrintWriter(err)).execute(args);
            assertThat(code).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err.toString()).startsWith(bad[0] + " must be").contains("got " + bad[1]).contains("Usage: tiergate up")
                    .doesNotContain("Exception");
        }
    }

    @Test
    void otherCommandsReportBadValuesTheSameWay() {
        String[][] cases = {{"plan", "--model", "no-such-model"}, {"plan", "--model", "llama-3.1-8b", "--gpu-memory-utilization", "2"},
                {"bench", "--url", "http://127.0.0.1:1/v1", "--concurrency", "0"}, {"sim", "--replicas", "65"},
                {"simulate-leases", "--instances", "0"}, {"simulate-leases", "--worst-case", "-1"},
                {"bench-settlement", "--batch", "0"}, {"bench-settlement", "--settlements", "0"}};
        for (String[] args : cases) {
            StringWriter err = new StringWriter();
            int code = TiergateCli.commandLine(args).setErr(new PrintWriter(err)).execute(args);
            assertThat(code).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err.toString()).as(String.join(" ", args)).contains("Usage: tiergate " + args[0]).doesNotContain("Exception");
        }
    }

    @Test
    void aMistypedSubcommandIsAnsweredWithTheOneItResembles() {
        StringWriter err = new StringWriter();
        CommandLine cl = TiergateCli.commandLine("upp").setErr(new PrintWriter(err));
        assertThat(cl.getSubcommands().keySet()).containsExactly(ALL);
        int code = cl.execute("upp");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("Unmatched argument at index 0: 'upp'", "Did you mean: tiergate up?");
    }
}
