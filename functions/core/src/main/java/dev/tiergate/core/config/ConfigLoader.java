package dev.tiergate.core.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.Node;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@code tiergate.yaml} into {@link TiergateConfig}. Every error names the file, the line, the key path and the
 * value; unknown keys are errors. The example file at the repository root documents each field.
 */
public final class ConfigLoader {

    public static final List<String> COMPLEXITY_CLASSES = List.of("simple", "medium", "complex");

    private ConfigLoader() {}

    public static TiergateConfig load(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ConfigException("cannot read config " + file + ": " + e.getMessage());
        }
    }

    public static TiergateConfig parse(String yaml, String source) {
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            root = new Yaml(options).compose(new StringReader(yaml));
        } catch (MarkedYAMLException e) {
            throw new ConfigException(source + ":" + (e.getProblemMark().getLine() + 1) + ": not valid YAML: " + e.getProblem());
        } catch (RuntimeException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getMessage());
        }
        if (root == null) throw new ConfigException(source + ": the file is empty; it needs at least 'tiers'");
        ConfigNode.Fields top = new ConfigNode(source, "", root)
                .fields("organization", "tables", "gateway", "tiers", "routing", "budgets", "teams", "observability", "reports", "usage");

        String organization = top.get("organization", ConfigNode::name, "default");
        String tablePrefix = top.optional("tables").map(n -> n.fields("prefix").get("prefix", ConfigNode::name, "tiergate"))
                .orElse("tiergate");
        GatewaySettings gateway = top.optional("gateway").map(ConfigLoader::gateway).orElse(GatewaySettings.DEFAULT);
        List<TierConfig> tiers = tiers(top.required("tiers"));
        RoutingSettings routing = routing(top.optional("routing"), tiers, top.owner());
        BudgetSettings budgets = top.optional("budgets").map(ConfigLoader::budgets).orElse(BudgetSettings.DEFAULT);
        Map<String, TiergateConfig.TeamPolicy> teams = top.optional("teams").map(n -> teams(n, tiers, gateway)).orElse(Map.of());
        ObservabilitySettings observability = top.optional("observability").map(ConfigLoader::observability)
                .orElse(ObservabilitySettings.DEFAULT);
        ReportSettings reports = top.optional("reports").map(ConfigLoader::reports).orElse(ReportSettings.DEFAULT);
        UsageSettings usage = top.optional("usage").map(n -> usage(n, budgets)).orElse(UsageSettings.DEFAULT);
        return new TiergateConfig(organization, tablePrefix, gateway, tiers, routing, budgets, teams, observability, reports, usage);
    }

    private static UsageSettings usage(ConfigNode n, BudgetSettings budgets) {
        ConfigNode.Fields f = n.fields("record");
        boolean record = f.get("record", ConfigNode::bool, true);
        if (!record && budgets.enabled()) {
            throw f.required("record").error("usage records can be off only when budgets are off (budgets.enabled: false): "
                    + "the budget ledger is reconciled against them");
        }
        return new UsageSettings(record);
    }

    private static ObservabilitySettings observability(ConfigNode n) {
        ConfigNode.Fields f = n.fields("namespace", "log_content_teams", "remote_write");
        String namespace = f.get("namespace", ConfigNode::string, ObservabilitySettings.DEFAULT.namespace());
        if (!namespace.matches("[a-zA-Z0-9._#:/-]{1,255}")) {
            throw f.required("namespace").error("a CloudWatch namespace is 1 to 255 of a-z A-Z 0-9 . _ # : / -");
        }
        java.util.Set<String> teams = new java.util.LinkedHashSet<>(f.get("log_content_teams", ConfigNode::strings, List.of()));
        Optional<ObservabilitySettings.RemoteWrite> rw = f.optional("remote_write").map(r -> {
            ConfigNode.Fields w = r.fields("url", "interval_seconds", "sigv4_region");
            return new ObservabilitySettings.RemoteWrite(w.required("url").url(),
                    (int) w.get("interval_seconds", c -> c.integer(1, 3600), 15L).longValue(),
                    w.optional("sigv4_region").map(ConfigNode::name));
        });
        return new ObservabilitySettings(namespace, teams, rw);
    }

    private static ReportSettings reports(ConfigNode n) {
        ConfigNode.Fields f = n.fields("reference_prices");
        Map<String, Prices> refs = new LinkedHashMap<>();
        f.optional("reference_prices").ifPresent(r -> r.entries().forEach((name, p) -> refs.put(name, prices(p))));
        return new ReportSettings(refs);
    }

    private static GatewaySettings gateway(ConfigNode n) {
        GatewaySettings d = GatewaySettings.DEFAULT;
        ConfigNode.Fields f = n.fields("max_body_bytes", "request_timeout_ms", "first_byte_timeout_ms", "max_attempts",
                "backoff_base_ms", "backoff_max_ms", "max_messages", "max_n", "degraded_message", "circuit_breaker", "cache_ttl_seconds",
                "replica_selection", "key_cache_seconds", "stream_journal_ms", "stream_timeout_ms", "semantic_cache");
        int maxBody = f.get("max_body_bytes", c -> (int) c.integer(1024, 64L * 1024 * 1024), d.maxBodyBytes());
        long timeout = f.get("request_timeout_ms", c -> c.integer(100, 28_000), d.requestTimeoutMs());
        long firstByte = f.get("first_byte_timeout_ms", c -> c.integer(50, 28_000), Math.min(d.firstByteTimeoutMs(), timeout));
        int attempts = (int) f.get("max_attempts", c -> c.integer(1, 10), (long) d.maxAttempts()).longValue();
        long base = f.get("backoff_base_ms", c -> c.integer(0, 10_000), d.backoffBaseMs());
        long max = f.get("backoff_max_ms", c -> c.integer(0, 60_000), d.backoffMaxMs());
        int messages = (int) f.get("max_messages", c -> c.integer(1, 100_000), (long) d.maxMessages()).longValue();
        int maxN = (int) f.get("max_n", c -> c.integer(1, 128), (long) d.maxN()).longValue();
        Optional<String> degraded = f.optional("degraded_message").map(ConfigNode::string);
        GatewaySettings.BreakerSettings b = d.breaker();
        Optional<ConfigNode> cb = f.optional("circuit_breaker");
        if (cb.isPresent()) {
            ConfigNode.Fields c = cb.get().fields("failure_rate_percent", "slow_call_ms", "slow_call_rate_percent", "window_size",
                    "minimum_calls", "open_ms");
            b = new GatewaySettings.BreakerSettings(
                    (int) c.get("failure_rate_percent", x -> x.integer(1, 100), (long) b.failureRatePercent()).longValue(),
                    c.get("slow_call_ms", x -> x.integer(1, 600_000), b.slowCallMs()),
                    (int) c.get("slow_call_rate_percent", x -> x.integer(1, 100), (long) b.slowCallRatePercent()).longValue(),
                    (int) c.get("window_size", x -> x.integer(1, 10_000), (long) b.windowSize()).longValue(),
                    (int) c.get("minimum_calls", x -> x.integer(1, 10_000), (long) b.minimumCalls()).longValue(),
                    c.get("open_ms", x -> x.integer(1, 3_600_000), b.openMs()));
        }
        long cacheTtl = f.get("cache_ttl_seconds", c -> c.integer(0, 30L * 24 * 3600), d.cacheTtlSeconds());
        boolean affinity = f.get("replica_selection", c -> switch (c.string()) {
            case "prefix_affinity" -> true;
            case "round_robin" -> false;
            default -> throw c.error("expected prefix_affinity or round_robin, got '" + c.string() + "'");
        }, true);
        int keyCache = (int) f.get("key_cache_seconds", c -> c.integer(0, 60), (long) d.keyCacheSeconds()).longValue();
        long journal = f.get("stream_journal_ms", c -> c.integer(200, 600_000), d.streamJournalMs());
        long streamTimeout = f.get("stream_timeout_ms", c -> c.integer(timeout, GatewaySettings.MAX_STREAM_TIMEOUT_MS),
                Math.max(timeout, d.streamTimeoutMs()));
        return GatewaySettings.builder().maxBodyBytes(maxBody).requestTimeoutMs(timeout).firstByteTimeoutMs(firstByte)
                .maxAttempts(attempts).backoffBaseMs(base).backoffMaxMs(max).maxMessages(messages).maxN(maxN)
                .degradedMessage(degraded).breaker(b).cacheTtlSeconds(cacheTtl).prefixAffinity(affinity)
                .keyCacheSeconds(keyCache).streamJournalMs(journal).streamTimeoutMs(streamTimeout)
                .semanticCache(f.optional("semantic_cache").map(c -> semanticCache(c, SemanticCacheSettings.OFF)).orElse(SemanticCacheSettings.OFF))
                .build();
    }

    /** A semantic_cache section; what it leaves out is {@code d}'s. */
    private static SemanticCacheSettings semanticCache(ConfigNode n, SemanticCacheSettings d) {
        ConfigNode.Fields f = n.fields("enabled", "threshold", "ttl_seconds", "max_entries", "max_prompt_chars", "any_sampling");
        return new SemanticCacheSettings(f.get("enabled", ConfigNode::bool, d.enabled()),
                f.get("threshold", c -> c.fraction(0.5, 1.0), d.threshold()),
                f.get("ttl_seconds", c -> c.integer(1, 30L * 24 * 3600), d.ttlSeconds()),
                f.get("max_entries", c -> c.integer(2, 100_000_000), d.maxEntries()),
                (int) f.get("max_prompt_chars", c -> c.integer(1, 4096), (long) d.maxPromptChars()).longValue(),
                f.get("any_sampling", ConfigNode::bool, d.anySampling()));
    }

    private static List<TierConfig> tiers(ConfigNode n) {
        List<ConfigNode> items = n.list();
        if (items.size() < 2 || items.size() > 4) throw n.error("needs 2 to 4 tiers, smallest first; got " + items.size());
        List<TierConfig> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            TierConfig t = tier(i, items.get(i));
            if (!names.add(t.name())) throw items.get(i).error("tier name '" + t.name() + "' is used twice");
            if (!names.add(t.model()) && !t.model().equals(t.name())) {
                throw items.get(i).error("model '" + t.model() + "' is already the name or model of another tier");
            }
            out.add(t);
        }
        for (int i = 0; i < out.size(); i++) {
            TierConfig t = out.get(i);
            for (String fb : t.fallbacks()) {
                boolean known = fb.equals(TierConfig.DEGRADED) || fb.equals(TierConfig.CACHE) || out.stream().anyMatch(o -> o.name().equals(fb));
                if (!known) throw items.get(i).error("fallback '" + fb + "' is neither a tier nor 'cache' nor 'degraded'");
                if (fb.equals(t.name())) throw items.get(i).error("tier '" + t.name() + "' cannot fall back to itself");
            }
        }
        return out;
    }

    private static TierConfig tier(int index, ConfigNode n) {
        ConfigNode.Fields f = n.fields("name", "model", "context_window", "capabilities", "prices_per_million",
                "endpoint", "fleet", "simulator", "latency_ms", "variants", "api_key_env", "fallbacks", "semantic_cache");
        String name = f.required("name").name();
        String model = f.required("model").string();
        if ("auto".equals(name) || "auto".equals(model)) throw f.required("name").error("'auto' is reserved for routing");
        Optional<FleetSpec> fleet = f.optional("fleet").map(ConfigLoader::fleet);
        Optional<java.net.URI> endpoint = f.optional("endpoint").map(ConfigNode::url);
        if (fleet.isEmpty() && endpoint.isEmpty()) throw n.error("tier '" + name + "' needs an 'endpoint' URL or a 'fleet'");
        int context = f.optional("context_window").map(c -> (int) c.integer(256, 10_000_000))
                .or(() -> fleet.map(fs -> fs.vllm().maxModelLen()))
                .orElseThrow(() -> n.error("tier '" + name + "' needs 'context_window' (or fleet.vllm.max_model_len)"));
        Set<String> caps = Set.copyOf(f.get("capabilities", ConfigNode::strings, List.of("chat")));
        Prices prices = prices(f.required("prices_per_million"));
        SimulatorSpec sim = f.optional("simulator").map(ConfigLoader::simulator).orElse(SimulatorSpec.DEFAULT);
        Optional<Integer> latency = f.optional("latency_ms").map(c -> (int) c.integer(1, 600_000));
        List<TierConfig.Variant> variants = f.optional("variants").map(ConfigLoader::variants).orElse(List.of());
        Optional<String> keyEnv = f.optional("api_key_env").map(c -> {
            String v = c.string();
            if (!v.matches("[A-Z_][A-Z0-9_]*")) throw c.error("must be an environment variable name such as OPENAI_API_KEY, got '" + v + "'");
            return v;
        });
        List<String> fallbacks = f.get("fallbacks", ConfigNode::strings, List.of());
        // A tier whose answers must never be reused for a different wording (say, one that looks up live data) turns it off.
        boolean semantic = f.get("semantic_cache", ConfigNode::bool, true);
        return new TierConfig(index, name, model, context, caps, prices, endpoint, fleet, sim, latency, variants, keyEnv, fallbacks,
                semantic);
    }

    private static List<TierConfig.Variant> variants(ConfigNode n) {
        List<TierConfig.Variant> out = new ArrayList<>();
        int total = 0;
        for (ConfigNode item : n.list()) {
            ConfigNode.Fields f = item.fields("model", "weight");
            int w = (int) f.required("weight").integer(0, 100);
            out.add(new TierConfig.Variant(f.required("model").string(), w));
            total += w;
        }
        if (out.size() < 2) throw n.error("an A/B split needs at least 2 variants");
        if (total != 100) throw n.error("variant weights must add up to 100, got " + total);
        return out;
    }

    private static Prices prices(ConfigNode n) {
        ConfigNode.Fields f = n.fields("input", "output", "cached_input");
        BigDecimal input = f.required("input").price();
        BigDecimal output = f.required("output").price();
        BigDecimal cached = f.get("cached_input", ConfigNode::price, input);
        if (cached.compareTo(input) > 0) {
            throw f.required("cached_input").error("cached input cannot cost more than input (" + input.toPlainString() + ")");
        }
        return new Prices(input, output, cached);
    }

    private static FleetSpec fleet(ConfigNode n) {
        ConfigNode.Fields f = n.fields("kind", "instance_type", "min_instances", "max_instances", "model_id", "quantization", "vllm",
                "image", "warm_pool", "off_hours", "scale_on_queue_depth");
        FleetSpec.Kind kind = f.get("kind", c -> c.oneOf(FleetSpec.Kind.class), FleetSpec.Kind.EC2);
        String instance = f.required("instance_type").string();
        int min = (int) f.get("min_instances", c -> c.integer(0, 1000), 1L).longValue();
        int max = (int) f.get("max_instances", c -> c.integer(1, 1000), (long) Math.max(1, min)).longValue();
        if (max < min) throw f.required("max_instances").error("max_instances (" + max + ") is below min_instances (" + min + ")");
        String modelId = f.required("model_id").string();
        Optional<String> quant = f.optional("quantization").map(ConfigNode::string).filter(q -> !q.equals("none"));
        ConfigNode.Fields v = f.required("vllm").fields("gpu_memory_utilization", "max_model_len", "max_num_seqs",
                "max_num_batched_tokens", "tensor_parallel_size", "enable_prefix_caching", "tool_call_parser");
        FleetSpec.VllmFlags flags = new FleetSpec.VllmFlags(
                v.get("gpu_memory_utilization", c -> c.fraction(0.05, 1.0), 0.92),
                (int) v.required("max_model_len").integer(256, 10_000_000),
                (int) v.get("max_num_seqs", c -> c.integer(1, 4096), 256L).longValue(),
                (int) v.get("max_num_batched_tokens", c -> c.integer(16, 1_000_000), 2048L).longValue(),
                (int) v.get("tensor_parallel_size", c -> c.integer(1, 64), 1L).longValue(),
                v.get("enable_prefix_caching", ConfigNode::bool, true),
                v.optional("tool_call_parser").map(c -> {
                    String p = c.string();
                    if (!p.matches("[a-z0-9_]+")) throw c.error("must be a vLLM tool-call parser name such as llama3_json or hermes, got '" + p + "'");
                    return p;
                }));
        Optional<String> image = f.optional("image").map(ConfigNode::string);
        if (kind == FleetSpec.Kind.SAGEMAKER && image.isEmpty()) {
            throw f.owner().error("a sagemaker fleet needs 'image': the vLLM SageMaker container's ECR URI");
        }
        int warm = (int) f.get("warm_pool", c -> c.integer(0, max), 0L).longValue();
        Optional<FleetSpec.OffHours> off = f.optional("off_hours").map(o -> {
            ConfigNode.Fields h = o.fields("scale_down", "scale_up", "timezone");
            return new FleetSpec.OffHours(cron(h.required("scale_down")), cron(h.required("scale_up")),
                    h.get("timezone", ConfigNode::string, "UTC"));
        });
        double queue = f.get("scale_on_queue_depth", c -> c.fraction(0.5, 1000), 5.0);
        return new FleetSpec(kind, instance, min, max, modelId, quant, flags, image, warm, off, queue);
    }

    /** A five-field cron expression (minute hour day month weekday), as Auto Scaling scheduled actions take. */
    private static String cron(ConfigNode n) {
        String v = n.string().trim();
        if (!v.matches("[0-9*/,\\-]+( [0-9*/,\\-A-Za-z]+){4}")) {
            throw n.error("expected a cron expression of five fields (minute hour day month weekday), got '" + v + "'");
        }
        return v;
    }

    private static SimulatorSpec simulator(ConfigNode n) {
        ConfigNode.Fields f = n.fields("prefill_us_per_token", "inter_token_us", "max_num_seqs", "output_tokens", "kv_cache_blocks");
        SimulatorSpec d = SimulatorSpec.DEFAULT;
        int minOut = d.minOutputTokens();
        int maxOut = d.maxOutputTokens();
        Optional<ConfigNode> out = f.optional("output_tokens");
        if (out.isPresent()) {
            ConfigNode.Fields o = out.get().fields("min", "max");
            minOut = (int) o.get("min", c -> c.integer(1, 100_000), (long) minOut).longValue();
            maxOut = (int) o.get("max", c -> c.integer(1, 100_000), (long) maxOut).longValue();
            if (maxOut < minOut) throw out.get().error("max (" + maxOut + ") is below min (" + minOut + ")");
        }
        return new SimulatorSpec(
                f.get("prefill_us_per_token", c -> c.integer(0, 1_000_000), d.prefillMicrosPerToken()),
                f.get("inter_token_us", c -> c.integer(0, 10_000_000), d.interTokenMicros()),
                (int) f.get("max_num_seqs", c -> c.integer(1, 4096), (long) d.maxNumSeqs()).longValue(),
                minOut, maxOut, (int) f.get("kv_cache_blocks", c -> c.integer(16, 10_000_000), (long) d.kvCacheBlocks()).longValue());
    }

    private static RoutingSettings routing(Optional<ConfigNode> node, List<TierConfig> tiers, ConfigNode top) {
        Map<String, String> classTiers = new LinkedHashMap<>();
        // Without a mapping, simple goes to the smallest tier, complex to the largest, medium to the one in between.
        classTiers.put("simple", tiers.get(0).name());
        classTiers.put("medium", tiers.get(tiers.size() == 2 ? 0 : 1).name());
        classTiers.put("complex", tiers.get(tiers.size() - 1).name());
        // Probabilities (calibrated on held-out folds): under-routing a complex prompt costs the answer, so a prompt
        // goes up at lower odds than it stays down.
        double medium = RoutingSettings.DEFAULT_MEDIUM_THRESHOLD;
        double complex = RoutingSettings.DEFAULT_COMPLEX_THRESHOLD;
        double bias = 1.0;
        int head = 2048;
        int tail = 512;
        RoutingSettings.Embedding embedding = new RoutingSettings.Embedding(true);
        RoutingSettings.SelfAssessment self = new RoutingSettings.SelfAssessment(false, tiers.get(0).name(), 0.4, 150);
        Optional<RoutingSettings.Shadow> shadow = Optional.empty();
        if (node.isPresent()) {
            ConfigNode.Fields f = node.get().fields("classes", "thresholds", "quality_bias", "slice", "embedding", "self_assessment", "shadow");
            Optional<ConfigNode> classes = f.optional("classes");
            if (classes.isPresent()) {
                for (Map.Entry<String, ConfigNode> e : classes.get().entries().entrySet()) {
                    if (!COMPLEXITY_CLASSES.contains(e.getKey())) {
                        throw e.getValue().error("unknown complexity class; known: " + COMPLEXITY_CLASSES);
                    }
                    classTiers.put(e.getKey(), tierName(e.getValue(), tiers));
                }
            }
            Optional<ConfigNode> th = f.optional("thresholds");
            if (th.isPresent()) {
                ConfigNode.Fields t = th.get().fields("medium", "complex");
                medium = t.get("medium", c -> c.fraction(0.0, 1.0), medium);
                complex = t.get("complex", c -> c.fraction(0.0, 1.0), complex);
            }
            bias = f.get("quality_bias", c -> c.fraction(0.05, 20.0), bias);
            Optional<ConfigNode> sl = f.optional("slice");
            if (sl.isPresent()) {
                ConfigNode.Fields t = sl.get().fields("head_chars", "tail_chars");
                head = (int) t.get("head_chars", c -> c.integer(64, 1_000_000), (long) head).longValue();
                tail = (int) t.get("tail_chars", c -> c.integer(0, 1_000_000), (long) tail).longValue();
            }
            Optional<ConfigNode> em = f.optional("embedding");
            if (em.isPresent()) {
                ConfigNode.Fields t = em.get().fields("enabled");
                embedding = new RoutingSettings.Embedding(t.get("enabled", ConfigNode::bool, true));
            }
            Optional<ConfigNode> sa = f.optional("self_assessment");
            if (sa.isPresent()) {
                ConfigNode.Fields t = sa.get().fields("enabled", "tier", "weight", "timeout_ms");
                self = new RoutingSettings.SelfAssessment(t.get("enabled", ConfigNode::bool, false),
                        t.get("tier", c -> tierName(c, tiers), tiers.get(0).name()), t.get("weight", c -> c.fraction(0, 1), 0.4),
                        t.get("timeout_ms", c -> c.integer(1, 10_000), 150L));
            }
            Optional<ConfigNode> sh = f.optional("shadow");
            if (sh.isPresent()) {
                ConfigNode.Fields t = sh.get().fields("serve_tier", "teams");
                shadow = Optional.of(new RoutingSettings.Shadow(tierName(t.required("serve_tier"), tiers),
                        t.get("teams", ConfigNode::strings, List.of())));
            }
        }
        return new RoutingSettings(classTiers, medium, complex, bias, head, tail, embedding, self, shadow);
    }

    private static String tierName(ConfigNode n, List<TierConfig> tiers) {
        String tier = n.string();
        if (tiers.stream().noneMatch(t -> t.name().equals(tier))) throw n.error("no tier named '" + tier + "'");
        return tier;
    }

    private static Map<String, TiergateConfig.TeamPolicy> teams(ConfigNode n, List<TierConfig> tiers, GatewaySettings gateway) {
        Map<String, TiergateConfig.TeamPolicy> out = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : n.entries().entrySet()) {
            ConfigNode.Fields f = e.getValue().fields("allowed_tiers", "rate_limits", "cache_ttl_seconds", "semantic_cache");
            List<String> allowed = new ArrayList<>();
            for (ConfigNode t : f.optional("allowed_tiers").map(ConfigNode::list).orElse(List.of())) allowed.add(tierName(t, tiers));
            dev.tiergate.core.budget.RateLimits limits = f.optional("rate_limits").map(ConfigLoader::rateLimits)
                    .orElse(dev.tiergate.core.budget.RateLimits.NONE);
            Optional<Long> ttl = f.optional("cache_ttl_seconds").map(c -> c.integer(0, 30L * 24 * 3600));
            Optional<SemanticCacheSettings> semantic = f.optional("semantic_cache").map(c -> semanticCache(c, gateway.semanticCache()));
            out.put(e.getKey(), new TiergateConfig.TeamPolicy(allowed, limits, ttl, semantic));
        }
        return out;
    }

    private static dev.tiergate.core.budget.RateLimits rateLimits(ConfigNode n) {
        ConfigNode.Fields f = n.fields("requests_per_minute", "tokens_per_minute", "max_concurrent");
        return new dev.tiergate.core.budget.RateLimits(
                f.optional("requests_per_minute").map(c -> (int) c.integer(1, 10_000_000)),
                f.optional("tokens_per_minute").map(c -> (int) c.integer(1, 2_000_000_000)),
                f.optional("max_concurrent").map(c -> (int) c.integer(1, 1_000_000)));
    }

    private static BudgetSettings budgets(ConfigNode n) {
        ConfigNode.Fields f = n.fields("timezone", "warn_at", "default_max_tokens", "reservation_grace_ms", "cache_seconds", "enabled");
        BudgetSettings d = BudgetSettings.DEFAULT;
        ZoneId zone = f.get("timezone", c -> {
            try {
                return ZoneId.of(c.string());
            } catch (DateTimeException e) {
                throw c.error("unknown time zone '" + c.string() + "'");
            }
        }, d.timezone());
        double warn = f.get("warn_at", c -> c.fraction(0.01, 1.0), d.warnAt());
        int maxTokens = (int) f.get("default_max_tokens", c -> c.integer(1, 1_000_000), (long) d.defaultMaxTokens()).longValue();
        long grace = f.get("reservation_grace_ms", c -> c.integer(0, 3_600_000), d.reservationGraceMs());
        int cache = (int) f.get("cache_seconds", c -> c.integer(0, 3600), (long) d.cacheSeconds()).longValue();
        return new BudgetSettings(zone, warn, maxTokens, grace, cache, f.get("enabled", ConfigNode::bool, true),
                f.get("leases", ConfigNode::bool, true));
    }
}
