package dev.svidauth.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The SVID clients of a scale realm, identical for the Keycloak scale phase and the JMH index
 * benchmark: one measured client with an exact {@code svid.spiffe.id} plus decoys, of which half
 * carry an exact SPIFFE ID, a quarter use the SPIFFE ID as their clientId (not in the index), and
 * a quarter accept a {@code /*} prefix of their own namespace.
 */
public final class ScaleMix {

    public static final String TRUST_DOMAIN = "example.org";
    /** The measured workload (exact svid.spiffe.id of {@link #MEASURED_CLIENT}). */
    public static final String MEASURED_ID = "spiffe://example.org/ns/bench/sa/scale";
    public static final String MEASURED_CLIENT = "scale-svid";
    /** A SPIFFE ID that only a prefix decoy accepts (the deepest walk that still hits). */
    public static final String PREFIX_HIT_ID_FORMAT = "spiffe://example.org/ns/scale-p-%05d/sa/worker-7";
    /** A SPIFFE ID nobody accepts: the lookup walks every ancestor and misses. */
    public static final String MISS_ID = "spiffe://example.org/ns/nobody/sa/none";

    /** One client: its clientId and, unless it is identified by its clientId, its svid.spiffe.id. */
    public record Client(String clientId, String spiffeIdAttribute, boolean measured) {
        public boolean prefix() {
            return spiffeIdAttribute != null && spiffeIdAttribute.endsWith("/*");
        }
    }

    private ScaleMix() {
    }

    /** {@code total} clients: the measured one (placed in the middle) and {@code total - 1} decoys. */
    public static List<Client> clients(int total) {
        List<Client> out = new ArrayList<>(total);
        int measuredAt = total / 2;
        for (int i = 0, decoy = 0; i < total; i++) {
            if (i == measuredAt) {
                out.add(new Client(MEASURED_CLIENT, MEASURED_ID, true));
                continue;
            }
            out.add(decoy(decoy++));
        }
        return out;
    }

    static Client decoy(int i) {
        switch (i % 4) {
            case 0:
            case 1:
                return new Client(String.format("w-%05d", i), String.format("spiffe://example.org/ns/scale/sa/w-%05d", i), false);
            case 2:
                return new Client(String.format("spiffe://example.org/ns/scale/sa/c-%05d", i), null, false);
            default:
                return new Client(String.format("p-%05d", i), String.format("spiffe://example.org/ns/scale-p-%05d/*", i), false);
        }
    }

    /** A SPIFFE ID accepted only by the prefix decoy nearest the middle of a realm of {@code total} clients. */
    public static String prefixHitId(int total) {
        int decoys = total - 1;
        int i = decoys / 2;
        while (i % 4 != 3) {
            i++;
        }
        if (i >= decoys) {
            i -= 4;
        }
        if (i < 0) {
            throw new IllegalArgumentException("a realm of " + total + " clients has no prefix decoy");
        }
        return String.format(PREFIX_HIT_ID_FORMAT, i);
    }
}
