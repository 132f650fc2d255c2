package dev.svidauth.keycloak;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Metrics;
import org.jboss.logging.Logger;

/**
 * The Micrometer counter of SVID authentications, exposed by Keycloak's /metrics as
 * {@code svid_auth_client_authentications_total{realm,outcome,reason}}; silent when Micrometer is absent.
 */
final class AuthenticationMetrics {

    private static final Logger LOG = Logger.getLogger(AuthenticationMetrics.class);

    /** Micrometer counter name. */
    static final String METRIC_AUTHENTICATIONS = "svid_auth_client_authentications";

    private final Meter.MeterProvider<Counter> authentications;

    AuthenticationMetrics() {
        Meter.MeterProvider<Counter> counter = null;
        try {
            counter = Counter.builder(METRIC_AUTHENTICATIONS)
                    .description("Client authentications with a JWT-SVID, by realm, outcome and reason code")
                    .withRegistry(Metrics.globalRegistry);
        } catch (LinkageError e) {
            LOG.debugf("Micrometer is not available; svid-auth metrics are off (%s)", e);
        }
        this.authentications = counter;
    }

    /** Counts one authentication; outcome "success" or "rejected", reason a stable code or "none". */
    void count(String realm, String outcome, String reason) {
        if (authentications != null) {
            authentications.withTags("realm", realm, "outcome", outcome, "reason", reason).increment();
        }
    }
}
