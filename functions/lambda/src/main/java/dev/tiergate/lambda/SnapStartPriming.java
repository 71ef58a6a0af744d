package dev.tiergate.lambda;

import dev.tiergate.adapters.wiring.Gateway;
import dev.tiergate.core.gateway.ApiRequest;
import dev.tiergate.core.gateway.ApiResponse;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;

/**
 * SnapStart priming. Lambda snapshots a function once its initialisation is done; whatever ran before the snapshot is
 * free for every cold start restored from it. So before the checkpoint this runs what a first request would: waits for
 * the routing model to load, classifies prompts (loading and warming the classifier and the ONNX session), and sends
 * one request through the HTTP API with a random key, which opens the DynamoDB client (a GetItem on the keys table:
 * SDK, signer, HTTP client, marshalling) and renders an OpenAI error. Nothing is written and no key can match.
 * Connections opened here are stale after a restore; the SDK opens new ones on first use.
 */
public final class SnapStartPriming implements Resource {

    private static final System.Logger LOG = System.getLogger(SnapStartPriming.class.getName());
    private static final String[] PROMPTS = {
            "What is the capital of France?",
            "Write a Python function that merges two sorted lists and explain its complexity.",
            "Prove that the square root of 2 is irrational, step by step, then generalise to any prime.",
    };

    /** What priming did: how long it took and the status the primed request got (401: the key is random). */
    public record Primed(long millis, int status, boolean routingModelReady) {}

    private final Gateway gateway;

    public SnapStartPriming(Gateway gateway) {
        this.gateway = gateway;
    }

    /** Registers with the CRaC global context (a no-op context outside SnapStart); the caller keeps this object alive. */
    public SnapStartPriming register() {
        Core.getGlobalContext().register(this);
        return this;
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) throws Exception {
        Primed p = prime();
        LOG.log(System.Logger.Level.INFO, "primed before the snapshot in {0} ms (probe status {1}, routing model ready {2})",
                p.millis(), p.status(), p.routingModelReady());
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        // The SDK's HTTP client replaces connections that did not survive the snapshot. Budget leases are per
        // environment: every environment restored from this snapshot needs a name of its own.
        gateway.escrow().ifPresent(dev.tiergate.core.budget.BudgetEscrow::takeNewName);
    }

    public Primed prime() throws InterruptedException {
        long start = System.nanoTime();
        boolean ready = gateway.routing().awaitReady(Duration.ofSeconds(60));
        for (int round = 0; round < 20; round++) {
            for (String p : PROMPTS) gateway.routing().router().classifier().classify(p);
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        ApiRequest probe = new ApiRequest("POST", "/v1/chat/completions", Map.of(),
                Map.of("Authorization", "Bearer tg-prime-" + HexFormat.of().formatHex(random), "Content-Type", "application/json"),
                "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8));
        ApiResponse r = gateway.api().handle(probe);
        return new Primed((System.nanoTime() - start) / 1_000_000, r.status(), ready);
    }
}
