package dev.svidauth.keys;

/**
 * A key source (JWKS, SPIFFE bundle or OIDC discovery document) could not be fetched or is not
 * usable. The message names the URL and what was wrong with it; it goes to the server log as a
 * warning and, only when no cached keys exist, into the rejection's description.
 */
public final class KeySourceException extends Exception {

    private static final long serialVersionUID = 1L;

    public KeySourceException(String message) {
        super(message);
    }

    public KeySourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
