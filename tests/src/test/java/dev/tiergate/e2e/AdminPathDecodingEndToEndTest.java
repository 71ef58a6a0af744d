package dev.tiergate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** Ids in admin paths are decoded exactly once, with {@code +} literal, and checked by the rules that made them. */
class AdminPathDecodingEndToEndTest {

    private static StackFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = new StackFixture(0);
    }

    @AfterAll
    static void stop() {
        if (fx != null) fx.close();
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return StackFixture.JSON.readTree(r.body());
    }

    @Test
    void aPlusInAPathIsAPlusAndAnEscapeIsDecodedOnce() throws Exception {
        fx.createKey("paths", "ana+test");
        HttpResponse<String> put = fx.put("/admin/budgets/user/ana+test", StackFixture.ADMIN_KEY, "{\"limits_usd\":{\"day\":3}}");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(json(put).get("id").asText()).isEqualTo("ana+test");
        HttpResponse<String> viaEscape = fx.get("/admin/budgets/user/ana%2Btest", StackFixture.ADMIN_KEY);
        assertThat(viaEscape.statusCode()).isEqualTo(200);
        assertThat(json(viaEscape).get("id").asText()).isEqualTo("ana+test");
        assertThat(json(viaEscape).at("/limits_usd/day").decimalValue()).isEqualByComparingTo("3");
        // "ana test" is not a user name anyone could be created with.
        assertThat(fx.get("/admin/budgets/user/ana%20test", StackFixture.ADMIN_KEY).statusCode()).isEqualTo(400);
    }

    @Test
    void aDoublyEscapedIdIsNotDecodedTwice() throws Exception {
        HttpResponse<String> r = fx.get("/admin/budgets/team/team%2541", StackFixture.ADMIN_KEY);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).at("/error/message").asText()).contains("team%41");
        assertThat(fx.get("/admin/budgets/team/team%41", StackFixture.ADMIN_KEY).statusCode()).isEqualTo(200);
    }

    @Test
    void malformedEscapesAndKeyIdsAreRefusedAfterAuthentication() throws Exception {
        assertThat(fx.get("/admin/budgets/team/%C3%28", StackFixture.ADMIN_KEY).statusCode()).isEqualTo(400);
        assertThat(fx.get("/admin/budgets/team/teamA", null).statusCode()).isEqualTo(401);
        assertThat(fx.get("/admin/budgets/team/%C3%28", null).statusCode()).isEqualTo(401);
        HttpResponse<String> badId = fx.post("/admin/keys/not-a-key/rotate", StackFixture.ADMIN_KEY, "");
        assertThat(badId.statusCode()).isEqualTo(400);
        assertThat(json(badId).at("/error/message").asText()).contains("not a key id");
    }
}
