package dev.tiergate.core.auth;

/** What a key may do: call the API; also manage its team's keys; also manage everything. */
public enum Role {
    USER, TEAM_ADMIN, ORG_ADMIN;

    public String wire() {
        return name().toLowerCase();
    }

    public static Role fromWire(String s) {
        for (Role r : values()) if (r.wire().equals(s)) return r;
        throw new IllegalArgumentException("unknown role '" + s + "'");
    }
}
