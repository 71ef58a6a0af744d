package dev.tiergate.core.semantic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The false-hit guard: each kind of disagreement, what is never compared, and its record on the project's pairs. */
class FalseHitGuardTest {

    private static final Path PAIRS = Path.of("..", "..", "tests", "semantic-cache");
    private final FalseHitGuard guard = new FalseHitGuard();

    @ParameterizedTest(name = "{2}: {0} / {1}")
    @CsvSource(delimiter = '|', value = {
            "What is the capital of France? | What is the capital of Spain? | ENTITIES",
            "what is the capital of australia | what is the capital of austria | SUBSTITUTION",
            "Convert 30 Celsius to Fahrenheit. | Convert 30 Fahrenheit to Celsius. | DIRECTION",
            "How many ounces are in a pound? | How many pounds are in an ounce? | DIRECTION",
            "How do I convert UTC to local time? | How do I convert local time to UTC? | DIRECTION",
            "What is 17 times 23? | What is 17 times 24? | NUMBERS",
            "What is 2 to the power of 10? | What is 10 to the power of 2? | NUMBERS",
            "Who was the first president? | Who was the second president? | NUMBERS",
            "Summarize it in two sentences. | Summarize it in three sentences. | NUMBERS",
            "Which foods are gluten-free? | Which foods are not gluten-free? | NEGATION",
            "Why can't I log in? | Why can I log in? | NEGATION",
            "What does parse_config do? | What does parse_settings do? | IDENTIFIERS",
            "How do I call getUserById? | How do I call getUserByEmail? | IDENTIFIERS",
            "What does the error ENOENT mean? | What does the error EACCES mean? | IDENTIFIERS",
            "What is the largest planet? | What is the smallest planet? | POLARITY",
            "How do I enable dark mode? | How do I disable dark mode? | POLARITY",
            "How do I delete a branch? | How do I delete a remote branch? | POLARITY",
            "How do I sort a list alphabetically? | How do I sort a list in reverse alphabetical order? | POLARITY",
            "Which is heavier, a kilogram of steel or a kilogram of feathers? | Which is heavier, a pound of steel or a kilogram of feathers? | SUBSTITUTION",
            "Give me a recipe with beef. | Give me a recipe with pork. | SUBSTITUTION"})
    void twoPromptsThatNeedDifferentAnswersDisagree(String a, String b, Mismatch expected) {
        assertThat(guard.mismatch(a.strip(), b.strip())).contains(expected);
        assertThat(guard.mismatch(b.strip(), a.strip())).as("the guard is symmetric").isPresent();
    }

    @ParameterizedTest(name = "{0} / {1}")
    @CsvSource(delimiter = '|', value = {
            "What is the capital of France? | Which city is the capital of France?",
            "What's the population of Canada? | What is Canada's population?",
            "How many legs does a spider have? | how many legs do spiders have",
            "How do I convert a string to an integer in Java? | In Java, how can I convert a string into an integer?",
            "Who painted the Mona Lisa? | Who was the painter of the Mona Lisa?",
            "Write a haiku about autumn. | Compose a haiku about autumn."})
    void paraphrasesAgree(String a, String b) {
        assertThat(guard.mismatch(a.strip(), b.strip())).isEmpty();
    }

    @Test
    void aPromptThatPastesMaterialIsNotComparedAtAll() {
        assertThat(guard.ineligible("Context: Paris is the capital.\nQuestion: what is the capital?", 256)).contains(Ineligible.PASTED_CONTEXT);
        assertThat(guard.ineligible("Fix this:\n```\nint x = 1\n```", 256)).contains(Ineligible.PASTED_CONTEXT);
        assertThat(guard.ineligible("line one\nline two\nline three", 256)).contains(Ineligible.PASTED_CONTEXT);
        assertThat(guard.ineligible("Translate \"the quick brown fox jumps over the lazy dog and keeps running far away\"", 256))
                .contains(Ineligible.PASTED_CONTEXT);
        assertThat(guard.ineligible("Parse {\"a\": 1}", 256)).contains(Ineligible.PASTED_CONTEXT);
        assertThat(guard.ineligible("x".repeat(257), 256)).contains(Ineligible.TOO_LONG);
        assertThat(guard.ineligible("   ", 256)).contains(Ineligible.EMPTY);
        assertThat(guard.ineligible("What is the capital of France?", 256)).isEmpty();
    }

    private record Pair(String a, String b, boolean same) {}

    private static List<Pair> pairs(String file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Pair> out = new ArrayList<>();
        for (String line : Files.readAllLines(PAIRS.resolve(file))) {
            if (line.isBlank()) continue;
            JsonNode n = json.readTree(line);
            out.add(new Pair(n.get("a").asText(), n.get("b").asText(), n.get("same").asBoolean()));
        }
        return out;
    }

    /**
     * On its own, without embeddings: it must object to every near miss of both files (a false hit serves a wrong
     * answer), and let most paraphrases through (a miss only costs a model call).
     */
    @ParameterizedTest
    @ValueSource(strings = {"pairs-dev.jsonl", "pairs.jsonl"})
    void onTheProjectsPairsItObjectsToNearMissesAndPassesMostParaphrases(String file) throws IOException {
        List<Pair> pairs = pairs(file);
        List<String> passedNearMisses = new ArrayList<>();
        int paraphrases = 0;
        int passed = 0;
        for (Pair p : pairs) {
            Optional<Mismatch> m = guard.mismatch(p.a(), p.b());
            if (p.same()) {
                paraphrases++;
                if (m.isEmpty()) passed++;
            } else if (m.isEmpty()) {
                passedNearMisses.add(p.a() + " | " + p.b());
            }
        }
        assertThat(pairs.size()).isGreaterThanOrEqualTo(200);
        assertThat(passedNearMisses).isEmpty();
        assertThat(passed).as("paraphrases the guard lets through").isGreaterThanOrEqualTo((int) (paraphrases * 0.75));
    }
}
