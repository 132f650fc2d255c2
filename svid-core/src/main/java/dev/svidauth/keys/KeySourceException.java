package dev.svidauth.keys;

import java.util.Objects;

/**
 * A key source (JWKS, SPIFFE bundle or OIDC discovery document) could not be fetched or is not
 * usable, or does not publish the key asked for ({@link #kind()}). The message names the URL and
 * what was wrong with it; it goes to the server log as a warning and, only when no cached keys
 * exist, into the rejection's description. The key-source package raises nothing else: the
 * verifier's adapter ({@code dev.svidauth.svid.KeySourceKeyResolver}) turns it into a rejection.
 */
public final class KeySourceException extends Exception {

    private static final long serialVersionUID = 1L;

    /** What went wrong, as the verifier needs to know it. */
    public enum Kind {
        /** No usable keys can be had from the source (fetch failed, bad document, too old). */
        UNAVAILABLE,
        /** The source answers, but publishes no key that may verify the SVID. */
        UNKNOWN_KEY,
        /** The source serves the bundle of another trust domain than the SVID's (its X.509 authorities name it). */
        FOREIGN_TRUST_DOMAIN,
        /** The SPIFFE bundle has no {@code wit-svid} key: the trust domain issues no WIT-SVIDs. */
        NO_WIT_KEYS
    }

    private final Kind kind;

    public KeySourceException(String message) {
        this(Kind.UNAVAILABLE, message, null);
    }

    public KeySourceException(String message, Throwable cause) {
        this(Kind.UNAVAILABLE, message, cause);
    }

    public KeySourceException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
