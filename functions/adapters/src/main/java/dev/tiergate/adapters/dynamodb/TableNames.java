package dev.tiergate.adapters.dynamodb;

/** The DynamoDB table names of one deployment, all sharing the config's {@code tables.prefix}. */
public record TableNames(String keys, String usage, String ledger, String reservations, String budgets, String audit,
                         String idempotency, String cache, String fleet, String semanticCache) {
    public static TableNames withPrefix(String prefix) {
        return new TableNames(prefix + "-keys", prefix + "-usage", prefix + "-ledger", prefix + "-reservations",
                prefix + "-budgets", prefix + "-audit", prefix + "-idempotency", prefix + "-cache", prefix + "-fleet",
                prefix + "-semantic-cache");
    }
}
