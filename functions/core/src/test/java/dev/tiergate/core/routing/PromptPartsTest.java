package dev.tiergate.core.routing;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PromptPartsTest {

    static final String NOTICE = "Order 55120 left the Leipzig warehouse on 14 March at 06:40 with 3 parcels, 12.5 kg in total, "
            + "via DPD, tracking 0048 2210 9931; expected on 17 March between 09:00 and 13:00.";

    @Test
    void aQuotedTextIsMaterialAndTheInstructionKeepsItsPlace() {
        String prompt = "Which carrier is delivering my order? \"" + NOTICE + "\" Answer in one word.";
        PromptParts p = PromptParts.of(prompt);
        assertThat(p.instruction()).isEqualTo("Which carrier is delivering my order? [text] Answer in one word.");
        assertThat(p.materialChars()).isEqualTo(NOTICE.length() + 2);
        assertThat(p.hasMaterial()).isTrue();
        // Curly and other languages' quotation marks too.
        assertThat(PromptParts.of("Résume ce texte : «" + NOTICE + "»").instruction()).isEqualTo("Résume ce texte : [text]");
        assertThat(PromptParts.of("Summarize \u201C" + NOTICE + "\u201D").instruction()).isEqualTo("Summarize [text]");
    }

    @Test
    void shortQuotationsBeforeALongOneAndMarksThatNeverCloseAreRead() {
        PromptParts p = PromptParts.of("Is \"DPD\" or \"UPS\" named here? \"" + NOTICE + "\"");
        assertThat(p.instruction()).isEqualTo("Is \"DPD\" or \"UPS\" named here? [text]");
        // Opening marks with no closing one (a careless or hostile prompt) are text, and a later quotation still counts.
        String open = "\u201C".repeat(2_000);
        PromptParts unclosed = PromptParts.of(open + " Summarize \"" + NOTICE + "\"");
        assertThat(unclosed.instruction()).isEqualTo(open + " Summarize [text]");
        assertThat(PromptParts.of(open).hasMaterial()).isFalse();
    }

    @Test
    void aDocumentAfterAShortInstructionAndALabeledContextAreMaterial() {
        PromptParts after = PromptParts.of("Based on the notice below, when does it arrive?\n\n" + NOTICE);
        assertThat(after.instruction()).isEqualTo("Based on the notice below, when does it arrive? [text]");
        assertThat(after.materialChars()).isEqualTo(NOTICE.length());

        PromptParts labeled = PromptParts.of("Context: " + NOTICE + "\nQuestion: When does it arrive?");
        assertThat(labeled.instruction()).startsWith("Context: [text]").endsWith("Question: When does it arrive?");
        assertThat(labeled.instruction()).doesNotContain("Leipzig");
        // A label is a word of its own: "FAQ:" inside the context does not end it.
        assertThat(PromptParts.of("CONTEXT: see the FAQ: " + NOTICE + "\nQ: When does it arrive?").instruction())
                .isEqualTo("CONTEXT: [text]\nQ: When does it arrive?");
        // A label with no question after it: all of the rest is the context.
        assertThat(PromptParts.of("Document: " + NOTICE).instruction()).doesNotContain("Leipzig");
    }

    @Test
    void shortQuotationsOpenQuotesAndLongBriefsStayInstruction() {
        for (String prompt : new String[] {
                "Rename the column \"total_amount\" to \"total\" in this query.",
                "Translate \"good night\" into Italian.",
                "He said \"" + NOTICE + " and never closed the quote.",
                "Write a short poem about autumn.",
                // The first paragraph is the task, and what follows is too short to be a pasted document.
                "Plan a three-day trip to Lisbon.\n\nKeep it cheap.",
        }) {
            PromptParts p = PromptParts.of(prompt);
            assertThat(p.hasMaterial()).as(prompt).isFalse();
            assertThat(p.instruction()).isEqualTo(prompt);
        }
        // A first paragraph longer than an instruction is not a lead-in: nothing is split off after it.
        String brief = "Draft a launch plan. ".repeat(30) + "\n\n" + "Cover pricing, channels and risks for each market in detail.";
        assertThat(PromptParts.of(brief).hasMaterial()).isFalse();
    }
}
