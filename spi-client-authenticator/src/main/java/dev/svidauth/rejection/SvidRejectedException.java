package dev.svidauth.rejection;

import java.util.Objects;

/**
 * The one expected failure of SVID verification: the SVID is refused for {@link #reason()}, and
 * {@link #getMessage()} says which check failed in words fit for the OAuth
 * {@code error_description}. The Keycloak layer turns it into {@code 401 invalid_client}; nothing
 * else may escape the verification core for bad input.
 */
public final class SvidRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final Reason reason;

    public SvidRejectedException(Reason reason, String description) {
        super(Objects.requireNonNull(description, "description"), null, false, false);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
