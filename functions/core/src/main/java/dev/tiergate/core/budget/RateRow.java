package dev.tiergate.core.budget;

/**
 * One rate-limit row a reservation counts in: a key's or a team's requests and tokens in one minute, and its requests
 * in flight.
 *
 * @param owner     {@code key#<id>} or {@code team#<name>}
 * @param minuteKey the calendar minute, e.g. {@code minute#2026-11-22T18:18} (UTC)
 * @param tokens    the tokens counted against the tokens-per-minute limit (the estimate; settled to the actual)
 */
public record RateRow(String owner, String minuteKey, RateLimits limits, int tokens) {}
