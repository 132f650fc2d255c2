package dev.svidauth.rejection;

import java.util.Objects;

/**
 * The one expected failure of SVID verification: the SVID is refused for {@link #reason()}, and
 * {@link #getMessage()} says in detail what failed (the values involved, quoted through
 * {@link Printable}): the detail for the event, the log and the admin's diagnose endpoint. Callers
 * get {@link Reason#callerDescription()} unless the server runs with detailed errors. The Keycloak
 * layer turns it into {@code 401 invalid_client}; nothing else may escape the verification core
 * for bad input.
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
