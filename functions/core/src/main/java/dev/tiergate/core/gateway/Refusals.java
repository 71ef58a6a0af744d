package dev.tiergate.core.gateway;

import dev.tiergate.core.budget.BudgetRefusal;
import dev.tiergate.core.budget.LedgerRow;
import dev.tiergate.core.money.Usd;
import dev.tiergate.core.protocol.OpenAiError;
import dev.tiergate.core.routing.RouteRefusal;

import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Routing's and the budget's reasons for refusing a request, as the client reads them: OpenAI's status, type and code,
 * and a message that says what to change. Tiergate's own codes are stable strings scripts can match.
 */
public final class Refusals {

    private Refusals() {
    }

    public static OpenAiError of(RouteRefusal refusal) {
        return switch (refusal) {
            case RouteRefusal.NoTierAllowed n -> OpenAiError.forbidden("This key and its team may use no tier.");
            case RouteRefusal.UnknownModel u -> OpenAiError.modelNotFound(u.model());
            case RouteRefusal.TierNotAllowed t -> OpenAiError.forbidden("This key may not use tier '" + t.tier() + "'"
                    + (t.allowed().isEmpty() ? "; it may use none" : "; it may use " + t.allowed()) + ".");
            case RouteRefusal.PromptTooLong p -> new OpenAiError(400, "invalid_request_error", "The prompt has " + p.promptTokens()
                    + " tokens" + p.maxTokens().map(m -> " and asks for up to " + m + " more").orElse("") + ", which does not fit tier '"
                    + p.tier() + "' (context window " + p.contextWindow() + " tokens). Shorten the prompt, lower max_tokens, or use 'auto'.",
                    Optional.of("messages"), Optional.of("context_length_exceeded"));
            case RouteRefusal.TierUnfit u -> new OpenAiError(400, "invalid_request_error", "Tier '" + u.tier() + "' does not meet: "
                    + String.join("; ", u.unmet()) + ".", Optional.of("tiergate"), Optional.of("constraint_unmet"));
            case RouteRefusal.NoTierFits n -> {
                List<String> parts = new ArrayList<>();
                n.unmet().forEach((tier, f) -> parts.add(tier + " fails " + String.join(", ", f)));
                yield new OpenAiError(400, "invalid_request_error", "No tier meets this request's constraints: "
                        + String.join("; ", parts) + ".", Optional.of(n.contextOnly() ? "messages" : "tiergate"),
                        Optional.of(n.contextOnly() ? "context_length_exceeded" : "constraint_unmet"));
            }
        };
    }

    public static OpenAiError of(BudgetRefusal refusal) {
        return switch (refusal) {
            case BudgetRefusal.OverLimit o -> overLimit(o.row(), o.triedDowngrade());
            case BudgetRefusal.OverRequestLimit o -> new OpenAiError(400, "invalid_request_error", "This request could cost up to $"
                    + o.worstCase().amount().setScale(6, RoundingMode.UP).stripTrailingZeros().toPlainString()
                    + ", over the per-request limit of $" + o.limit().plain() + " of " + o.owner()
                    + ". Lower max_tokens or shorten the prompt. (scope=" + o.owner().scope().wire() + ", id=" + o.owner().id()
                    + ", period=request)", Optional.of("max_tokens"), Optional.of("request_budget_exceeded"));
            case BudgetRefusal.RateLimited r -> new OpenAiError(429, "rate_limit_error", "Rate limit reached: "
                    + r.row().owner().replace('#', ' ') + " is over its " + r.kind().wire().replace('_', ' ') + " limit. Retry after "
                    + r.retryAfterSeconds() + " s. (limit=" + r.kind().wire() + ")", Optional.empty(), Optional.of("rate_limit_exceeded"))
                    .retryAfter(r.retryAfterSeconds());
        };
    }

    private static OpenAiError overLimit(LedgerRow row, boolean triedDowngrade) {
        String limit = row.limit().map(Usd::plain).orElse("?");
        return new OpenAiError(429, "insufficient_quota", "Budget exceeded: " + row.owner() + " has a " + row.period().wire()
                + " limit of $" + limit + " and this request could cost more than what is left"
                + (triedDowngrade ? ", even on the cheapest tier" : "") + ". The " + row.period().wire() + " resets at "
                + row.resetsAt() + ". (scope=" + row.owner().scope().wire() + ", id=" + row.owner().id() + ", period="
                + row.period().wire() + ", resets_at=" + row.resetsAt() + ")",
                Optional.of(row.owner().scope().wire()), Optional.of("budget_exceeded"));
    }
}
