package dev.svidauth.keycloak.runtime;

import org.apache.http.message.BasicHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class KeycloakKeyFetcherMaxAgeTest {

    static Stream<Arguments> cacheControl() {
        return Stream.of(
                arguments("max-age=300", 300L),
                arguments("public, max-age=60", 60L),
                arguments("public,max-age=60", 60L),
                arguments("max-age=60, must-revalidate", 60L),
                arguments("Max-Age=120", 120L),
                arguments("MAX-AGE=120", 120L),
                arguments("max-age=\"90\"", 90L),
                arguments("max-age = 45", 45L),
                arguments("max-age=0", 0L),
                arguments("s-maxage=100, max-age=30", 30L),
                arguments("no-store, max-age=5", 5L),
                arguments("no-cache", null),
                arguments("no-store", null),
                arguments("s-maxage=100", null),
                arguments("xmax-age=5", null),
                arguments("max-age=", null),
                arguments("max-age=abc", null),
                arguments("max-age=-1", null),
                arguments("", null));
    }

    @ParameterizedTest
    @MethodSource("cacheControl")
    void readsMaxAge(String header, Long expectedSeconds) {
        Duration maxAge = KeycloakKeyFetcher.maxAge(new BasicHeader("Cache-Control", header));
        if (expectedSeconds == null) {
            assertThat(maxAge).isNull();
        } else {
            assertThat(maxAge).isEqualTo(Duration.ofSeconds(expectedSeconds));
        }
    }

    @Test
    void noHeaderMeansNoMaxAge() {
        assertThat(KeycloakKeyFetcher.maxAge(null)).isNull();
    }

    @Test
    void hugeValuesDoNotOverflow() {
        Duration maxAge = KeycloakKeyFetcher.maxAge(new BasicHeader("Cache-Control", "max-age=99999999999999999999"));
        // bounded parse: whatever is read is a non-negative duration (the cache clamps it to 1 h)
        assertThat(maxAge).isNotNull().isPositive();
    }
}
