package dev.tiergate.core.config;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {

    private static final String TWO_TIERS = """
            tiers:
              - name: small
                model: m-small
                context_window: 4096
                prices_per_million: {input: 0.05, output: 0.10}
                endpoint: http://127.0.0.1:9000
              - name: large
                model: m-large
                context_window: 32768
                prices_per_million: {input: 1.2, output: 2.4, cached_input: 0.3}
                endpoint: https://llm.example.com
            """;

    @Test
    void theExampleAtTheRepositoryRootLoads() {
        TiergateConfig c = ConfigLoader.load(Path.of("..", "..", "tiergate.yaml"));
        assertThat(c.tiers()).extracting(TierConfig::name).containsExactly("small", "medium", "large");
        assertThat(c.tierNamed("large").fleet().orElseThrow().vllm().tensorParallelSize()).isEqualTo(4);
        assertThat(c.tierNamed("small").prices().cachedInputPerMillion()).isEqualByComparingTo("0.01");
        assertThat(c.routing().classTiers()).containsEntry("complex", "large");
        assertThat(c.gateway().requestTimeoutMs()).isEqualTo(25_000);
    }

    @Test
    void defaultsFillWhatIsLeftOut() {
        TiergateConfig c = ConfigLoader.parse(TWO_TIERS, "t.yaml");
        assertThat(c.organization()).isEqualTo("default");
        assertThat(c.tablePrefix()).isEqualTo("tiergate");
        assertThat(c.tierNamed("small").prices().cachedInputPerMillion()).isEqualByComparingTo(new BigDecimal("0.05"));
        assertThat(c.routing().classTiers()).containsEntry("simple", "small").containsEntry("medium", "small").containsEntry("complex", "large");
        assertThat(c.tier("m-large")).map(TierConfig::name).hasValue("large");
    }

    @Test
    void theSemanticCacheIsOffUnlessATeamOptsInAndATeamsSettingsFallBackToTheGateways() {
        TiergateConfig off = ConfigLoader.parse(TWO_TIERS, "t.yaml");
        assertThat(off.semanticCache("anyone").enabled()).isFalse();
        assertThat(off.tierNamed("small").semanticCache()).isTrue();

        TiergateConfig c = ConfigLoader.parse("""
                gateway:
                  semantic_cache: {threshold: 0.9, ttl_seconds: 120}
                teams:
                  faq: {semantic_cache: {enabled: true, max_entries: 500}}
                """ + TWO_TIERS.replace("endpoint: https://llm.example.com", "endpoint: https://llm.example.com\n    semantic_cache: false"), "t.yaml");
        assertThat(c.semanticCache("other").enabled()).isFalse();
        SemanticCacheSettings faq = c.semanticCache("faq");
        assertThat(faq.enabled()).isTrue();
        assertThat(faq.threshold()).isEqualTo(0.9);
        assertThat(faq.ttlSeconds()).isEqualTo(120);
        assertThat(faq.maxEntries()).isEqualTo(500);
        assertThat(faq.maxPromptChars()).isEqualTo(SemanticCacheSettings.DEFAULT_MAX_PROMPT_CHARS);
        assertThat(faq.anySampling()).isFalse();
        assertThat(c.tierNamed("large").semanticCache()).isFalse();

        assertThatThrownBy(() -> ConfigLoader.parse("gateway:\n  semantic_cache: {threshold: 1.5}\n" + TWO_TIERS, "t.yaml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("threshold");
        assertThatThrownBy(() -> ConfigLoader.parse("teams:\n  a: {semantic_cache: {treshold: 0.9}}\n" + TWO_TIERS, "t.yaml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("treshold");
    }

    @Test
    void usageRecordsAreOnByDefaultAndCanBeOffOnlyWithBudgetsOff() {
        assertThat(ConfigLoader.parse(TWO_TIERS, "t.yaml").usage().record()).isTrue();
        TiergateConfig off = ConfigLoader.parse(TWO_TIERS + "budgets: {enabled: false}\nusage: {record: false}\n", "t.yaml");
        assertThat(off.usage().record()).isFalse();
        assertThatThrownBy(() -> ConfigLoader.parse(TWO_TIERS + "usage:\n  record: false\n", "t.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("t.yaml:13: usage.record:")
                .hasMessageContaining("budgets.enabled: false");
        assertThatThrownBy(() -> ConfigLoader.parse(TWO_TIERS + "usage: {records: false}\n", "t.yaml"))
                .hasMessageContaining("usage.records: unknown key");
    }

    @Test
    void unknownKeyNamesTheKeyTheLineAndWhatIsKnown() {
        String bad = TWO_TIERS.replace("    context_window: 4096", "    context_windw: 4096");
        assertThatThrownBy(() -> ConfigLoader.parse(bad, "t.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("t.yaml:4: tiers[0].context_windw: unknown key")
                .hasMessageContaining("context_window");
    }

    @Test
    void wrongValueNamesTheValueAndTheLine() {
        String bad = TWO_TIERS.replace("{input: 0.05, output: 0.10}", "{input: cheap, output: 0.10}");
        assertThatThrownBy(() -> ConfigLoader.parse(bad, "t.yaml"))
                .hasMessage("t.yaml:5: tiers[0].prices_per_million.input: expected a number, got 'cheap'");
    }

    @Test
    void aTierWithoutPricesIsAnErrorNotFree() {
        String bad = TWO_TIERS.replace("    prices_per_million: {input: 0.05, output: 0.10}\n", "");
        assertThatThrownBy(() -> ConfigLoader.parse(bad, "t.yaml")).hasMessageContaining("missing required key 'prices_per_million'");
    }

    @Test
    void rejectsNegativeOrOverPrecisePricesAndCachedAboveInput() {
        assertThatThrownBy(() -> ConfigLoader.parse(TWO_TIERS.replace("input: 0.05", "input: -1"), "t.yaml"))
                .hasMessageContaining("cannot be negative");
        assertThatThrownBy(() -> ConfigLoader.parse(TWO_TIERS.replace("input: 0.05", "input: 0.0000001"), "t.yaml"))
                .hasMessageContaining("at most 6 decimal places");
        assertThatThrownBy(() -> ConfigLoader.parse(TWO_TIERS.replace("cached_input: 0.3", "cached_input: 2"), "t.yaml"))
                .hasMessageContaining("cached input cannot cost more than input");
    }

    @Test
    void rejectsTierCountsOutsideTwoToFourAndDuplicateNames() {
        String one = TWO_TIERS.substring(0, TWO_TIERS.indexOf("  - name: large"));
        assertThatThrownBy(() -> ConfigLoader.parse(one, "t.yaml")).hasMessageContaining("needs 2 to 4 tiers");
        assertThatThrownBy(() -> ConfigLoader.parse(TWO_TIERS.replace("name: large", "name: small"), "t.yaml"))
                .hasMessageContaining("tier name 'small' is used twice");
    }

    @Test
    void aTierNeedsAnEndpointOrAFleetAndUrlsMustBeHttp() {
        assertThatThrownBy(() -> ConfigLoader.parse(TWO_TIERS.replace("    endpoint: http://127.0.0.1:9000\n", ""), "t.yaml"))
                .hasMessageContaining("needs an 'endpoint' URL or a 'fleet'");
        assertThatThrownBy(() -> ConfigLoader.parse(TWO_TIERS.replace("http://127.0.0.1:9000", "ftp://x"), "t.yaml"))
                .hasMessageContaining("expected an http(s) URL, got 'ftp://x'");
    }

    @Test
    void routingMustNameRealTiersAndKnownClasses() {
        assertThatThrownBy(() -> ConfigLoader.parse(TWO_TIERS + "routing:\n  classes:\n    simple: tiny\n", "t.yaml"))
                .hasMessage("t.yaml:14: routing.classes.simple: no tier named 'tiny'");
        assertThatThrownBy(() -> ConfigLoader.parse(TWO_TIERS + "routing:\n  classes:\n    trivial: small\n", "t.yaml"))
                .hasMessageContaining("unknown complexity class");
    }

    @Test
    void badYamlAndEmptyFilesSayWhere() {
        assertThatThrownBy(() -> ConfigLoader.parse("tiers: [\n", "t.yaml")).hasMessageStartingWith("t.yaml:").hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> ConfigLoader.parse("", "t.yaml")).hasMessageContaining("empty");
        assertThatThrownBy(() -> ConfigLoader.parse(TWO_TIERS + "budgets:\n  timezone: Mars/Olympus\n", "t.yaml"))
                .hasMessageContaining("unknown time zone 'Mars/Olympus'");
    }
}
