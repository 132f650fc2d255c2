package dev.svidauth.keys;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/** The body of a successful (HTTP 200) key-source response, with its {@code Cache-Control: max-age}. */
public final class FetchedDocument {

    private final byte[] body;
    private final Duration maxAge;

    public FetchedDocument(byte[] body, Duration maxAge) {
        this.body = Objects.requireNonNull(body, "body");
        this.maxAge = maxAge;
    }

    public byte[] body() {
        return body;
    }

    /** The response's max-age, when the server sent one. */
    public Optional<Duration> maxAge() {
        return Optional.ofNullable(maxAge);
    }
}
