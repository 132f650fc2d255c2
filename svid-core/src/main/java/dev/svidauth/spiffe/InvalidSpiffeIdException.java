package dev.svidauth.spiffe;

/**
 * A string is not a valid SPIFFE ID (or SPIFFE ID pattern). The message says which rule of the
 * SPIFFE-ID specification it breaks, in words an operator can act on.
 */
public final class InvalidSpiffeIdException extends Exception {

    private static final long serialVersionUID = 1L;

    public InvalidSpiffeIdException(String message) {
        super(message);
    }
}
