package dev.svidauth.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.svidauth.testkit.FormPost;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a refusal by svid-auth reads on the real server: the caller's {@code error_description}
 * names the failed check in words and ends with the reason code, quoting nothing of the request,
 * another client or a key source; the detail is the {@code reason_detail} of the
 * {@code CLIENT_LOGIN_ERROR} event, for administrators.
 */
public final class Rejections {

    /** Event detail holding the rejection's detail. */
    static final String REASON_DETAIL = "reason_detail";

    private Rejections() {
    }

    /** 401 invalid_client whose description is the terse text of {@code reason}: no quoted value, no URL. */
    public static void assertTerse(FormPost.Answer answer, String reason) {
        assertThat(answer.status).as(answer.toString()).isEqualTo(401);
        assertThat(answer.error()).as(answer.toString()).isEqualTo("invalid_client");
        assertThat(answer.description()).as(answer.toString()).endsWith(" (" + reason + ")")
                .doesNotContainPattern("'(?!s )").doesNotContain("://").doesNotContain("127.0.0.1");
    }

    /** The rejection's detail recorded in {@code event}, or "" when it has none. */
    public static String detail(JsonNode event) {
        return event == null ? "" : event.path("details").path(REASON_DETAIL).asText("");
    }
}
