package dev.tiergate.core.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.auth.ApiKey;
import dev.tiergate.core.config.TierConfig;
import dev.tiergate.core.config.TiergateConfig;
import dev.tiergate.core.routing.TierRouter;

import java.time.Clock;
import java.util.Map;

/** {@code GET /v1/models}: {@code auto} and the tiers the caller's key may use, in OpenAI's list shape. */
public final class ModelCatalog {

    private final TiergateConfig config;
    private final ObjectMapper json;
    private final Responses responses;
    private final long created;

    public ModelCatalog(TiergateConfig config, ObjectMapper json, Clock clock) {
        this.config = config;
        this.json = json;
        this.responses = new Responses(json);
        this.created = clock.instant().getEpochSecond();
    }

    public ApiResponse list(ApiKey caller, String requestId) {
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        ObjectNode auto = card(data, TierRouter.AUTO);
        auto.put("description", "tiergate picks the cheapest capable tier for each request");
        auto.putArray("endpoints").add("/v1/chat/completions").add("/v1/completions").add("/v1/embeddings");
        for (TierConfig t : config.tiers()) {
            if (!caller.allowedTiers().isEmpty() && !caller.allowedTiers().contains(t.name())) continue;
            ObjectNode c = card(data, t.name());
            c.put("model", t.model());
            c.put("context_window", t.contextWindow());
            // The endpoints this tier answers on: an embedding model only embeds, a generative one does not embed.
            ArrayNode endpoints = c.putArray("endpoints");
            for (dev.tiergate.core.protocol.Endpoint e : dev.tiergate.core.protocol.Endpoint.values()) {
                boolean embeds = t.capabilities().contains(dev.tiergate.core.protocol.Endpoint.EMBEDDINGS_CAPABILITY);
                if (e.generates() ? t.generates() : embeds) endpoints.add(e.path());
            }
            ObjectNode p = c.putObject("prices_per_million");
            p.put("input", t.prices().inputPerMillion());
            p.put("output", t.prices().outputPerMillion());
            p.put("cached_input", t.prices().cachedInputPerMillion());
        }
        return responses.json(200, root, Map.of(Responses.REQUEST_ID, requestId));
    }

    private ObjectNode card(ArrayNode data, String id) {
        ObjectNode c = data.addObject();
        c.put("id", id);
        c.put("object", "model");
        c.put("created", created);
        c.put("owned_by", "tiergate");
        return c;
    }
}
