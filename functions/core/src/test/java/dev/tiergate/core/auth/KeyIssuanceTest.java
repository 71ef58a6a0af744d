package dev.tiergate.core.auth;

import dev.tiergate.core.budget.RateLimits;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Who may create which key: every role against every role, team, tier set, rate limit and expiry. */
class KeyIssuanceTest {

    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
    private static final RateLimits NONE = RateLimits.NONE;

    private static ApiKey key(String id, Role role, String team, List<String> tiers, RateLimits limits, Optional<Instant> expires) {
        return new ApiKey(id, "h-" + id, "acme", team, "u", role, tiers, NOW, expires, false, limits, List.of(), 0);
    }

    private static RateLimits rpm(int n) {
        return new RateLimits(Optional.of(n), Optional.empty(), Optional.empty());
    }

    private static KeyIssuance.Asked asked(String team, Role role) {
        return new KeyIssuance.Asked(team, role, Optional.empty(), NONE, Optional.empty());
    }

    @Test
    void rolesAndTeamsEveryCombination() {
        List<String> outcomes = new ArrayList<>();
        for (Role creator : Role.values()) {
            ApiKey c = key("c", creator, "teamA", List.of(), NONE, Optional.empty());
            for (Role created : Role.values()) {
                for (String team : List.of("teamA", "teamB")) {
                    boolean granted = KeyIssuance.grant(c, asked(team, created)) instanceof KeyIssuance.Granted;
                    outcomes.add(creator.wire() + " creates " + created.wire() + " in " + team + ": " + granted);
                }
            }
        }
        assertThat(outcomes).containsExactly(
                "user creates user in teamA: false", "user creates user in teamB: false",
                "user creates team_admin in teamA: false", "user creates team_admin in teamB: false",
                "user creates org_admin in teamA: false", "user creates org_admin in teamB: false",
                "team_admin creates user in teamA: true", "team_admin creates user in teamB: false",
                "team_admin creates team_admin in teamA: true", "team_admin creates team_admin in teamB: false",
                "team_admin creates org_admin in teamA: false", "team_admin creates org_admin in teamB: false",
                "org_admin creates user in teamA: true", "org_admin creates user in teamB: true",
                "org_admin creates team_admin in teamA: true", "org_admin creates team_admin in teamB: true",
                "org_admin creates org_admin in teamA: true", "org_admin creates org_admin in teamB: true");
    }

    @Test
    void tiersAreASubsetOfTheCreatorsAndInheritedWhenLeftOut() {
        for (Role creatorRole : List.of(Role.TEAM_ADMIN, Role.ORG_ADMIN)) {
            ApiKey small = key("c", creatorRole, "teamA", List.of("small"), NONE, Optional.empty());
            ApiKey all = key("c", creatorRole, "teamA", List.of(), NONE, Optional.empty());
            for (Role created : List.of(Role.USER, Role.TEAM_ADMIN)) {
                assertThat(grant(small, tiers(created, List.of()))).isInstanceOf(KeyIssuance.Refused.class);
                assertThat(grant(small, tiers(created, List.of("large")))).isInstanceOf(KeyIssuance.Refused.class);
                assertThat(grant(small, tiers(created, List.of("small", "large")))).isInstanceOf(KeyIssuance.Refused.class);
                assertThat(granted(small, tiers(created, List.of("small"))).tiers()).containsExactly("small");
                assertThat(granted(small, asked("teamA", created)).tiers()).containsExactly("small");
                assertThat(granted(all, tiers(created, List.of()))).extracting(KeyIssuance.Grant::tiers).asList().isEmpty();
                assertThat(granted(all, tiers(created, List.of("large"))).tiers()).containsExactly("large");
            }
        }
    }

    @Test
    void aMintedKeyCountsInItsCreatorsRateLimitsAndItsOwnMustBeWithinThem() {
        ApiKey admin = key("admin1", Role.TEAM_ADMIN, "teamA", List.of(), rpm(2), Optional.empty());
        KeyIssuance.Grant g = granted(admin, asked("teamA", Role.USER));
        assertThat(g.sharedLimits()).containsExactly(new ApiKey.SharedLimit("admin1", rpm(2)));
        assertThat(grant(admin, limits(rpm(3)))).isInstanceOfSatisfying(KeyIssuance.Refused.class,
                r -> assertThat(r.reason()).contains("requests_per_minute 3 > 2"));
        assertThat(granted(admin, limits(rpm(1))).limits()).isEqualTo(rpm(1));

        // Two levels: a key minted by a minted admin counts in both admins' limits.
        ApiKey minted = new ApiKey("admin2", "h2", "acme", "teamA", "u", Role.TEAM_ADMIN, List.of(), NOW, Optional.empty(), false,
                rpm(1), g.sharedLimits(), 0);
        assertThat(granted(minted, asked("teamA", Role.USER)).sharedLimits()).extracting(ApiKey.SharedLimit::keyId)
                .containsExactly("admin1", "admin2");
        assertThat(grant(minted, limits(rpm(2)))).isInstanceOf(KeyIssuance.Refused.class);

        ApiKey org = key("org", Role.ORG_ADMIN, "admin", List.of(), NONE, Optional.empty());
        assertThat(granted(org, limits(rpm(500))).sharedLimits()).isEmpty();
    }

    @Test
    void aCreatedKeyNeverOutlivesItsCreator() {
        Instant end = NOW.plusSeconds(3600);
        ApiKey admin = key("c", Role.TEAM_ADMIN, "teamA", List.of(), NONE, Optional.of(end));
        assertThat(granted(admin, asked("teamA", Role.USER)).expiresAt()).contains(end);
        assertThat(grant(admin, new KeyIssuance.Asked("teamA", Role.USER, Optional.empty(), NONE, Optional.of(end.plusSeconds(1)))))
                .isInstanceOf(KeyIssuance.Refused.class);
        assertThat(granted(admin, new KeyIssuance.Asked("teamA", Role.USER, Optional.empty(), NONE, Optional.of(end.minusSeconds(1))))
                .expiresAt()).contains(end.minusSeconds(1));
    }

    @Test
    void onlyACallerThatCouldHaveCreatedAKeyMayRotateIt() {
        ApiKey smallAdmin = key("a", Role.TEAM_ADMIN, "teamA", List.of("small"), NONE, Optional.empty());
        assertThat(KeyIssuance.whyNotCovered(smallAdmin, key("k", Role.USER, "teamA", List.of(), NONE, Optional.empty()))).isPresent();
        assertThat(KeyIssuance.whyNotCovered(smallAdmin, key("k", Role.USER, "teamA", List.of("large"), NONE, Optional.empty()))).isPresent();
        assertThat(KeyIssuance.whyNotCovered(smallAdmin, key("k", Role.USER, "teamA", List.of("small"), NONE, Optional.empty()))).isEmpty();
        assertThat(KeyIssuance.whyNotCovered(smallAdmin, key("k", Role.ORG_ADMIN, "teamA", List.of("small"), NONE, Optional.empty()))).isPresent();
        assertThat(KeyIssuance.whyNotCovered(smallAdmin, key("k", Role.USER, "teamB", List.of("small"), NONE, Optional.empty()))).isPresent();

        ApiKey limited = key("a", Role.TEAM_ADMIN, "teamA", List.of(), rpm(2), Optional.empty());
        assertThat(KeyIssuance.whyNotCovered(limited, key("k", Role.USER, "teamA", List.of(), NONE, Optional.empty()))).isPresent();
        ApiKey bound = new ApiKey("k", "hk", "acme", "teamA", "u", Role.USER, List.of(), NOW, Optional.empty(), false, NONE,
                List.of(new ApiKey.SharedLimit("a", rpm(2))), 0);
        assertThat(KeyIssuance.whyNotCovered(limited, bound)).isEmpty();

        ApiKey expiring = key("a", Role.TEAM_ADMIN, "teamA", List.of(), NONE, Optional.of(NOW.plusSeconds(60)));
        assertThat(KeyIssuance.whyNotCovered(expiring, key("k", Role.USER, "teamA", List.of(), NONE, Optional.empty()))).isPresent();
        assertThat(KeyIssuance.whyNotCovered(key("o", Role.ORG_ADMIN, "admin", List.of(), NONE, Optional.empty()),
                key("k", Role.ORG_ADMIN, "teamB", List.of(), rpm(5), Optional.empty()))).isEmpty();
    }

    private static KeyIssuance.Asked tiers(Role role, List<String> tiers) {
        return new KeyIssuance.Asked("teamA", role, Optional.of(tiers), NONE, Optional.empty());
    }

    private static KeyIssuance.Asked limits(RateLimits limits) {
        return new KeyIssuance.Asked("teamA", Role.USER, Optional.empty(), limits, Optional.empty());
    }

    private static KeyIssuance.Verdict grant(ApiKey creator, KeyIssuance.Asked asked) {
        return KeyIssuance.grant(creator, asked);
    }

    private static KeyIssuance.Grant granted(ApiKey creator, KeyIssuance.Asked asked) {
        KeyIssuance.Verdict v = KeyIssuance.grant(creator, asked);
        assertThat(v).isInstanceOf(KeyIssuance.Granted.class);
        return ((KeyIssuance.Granted) v).grant();
    }
}
