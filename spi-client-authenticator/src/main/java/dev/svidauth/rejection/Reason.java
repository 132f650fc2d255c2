package dev.svidauth.rejection;

/**
 * Stable reason codes for a rejected SVID. They appear as the {@code reason} detail of
 * {@code CLIENT_LOGIN_ERROR} events, so dashboards and alerts can key on them: the codes are part
 * of the public contract and never change meaning: codes are added, never renamed or removed.
 */
public enum Reason {
    /** Not a compact JWS, not JSON, too large, or a required claim is missing or mistyped. */
    MALFORMED("malformed"),
    /** The JOSE header carries a parameter other than alg, kid and typ, or a bad typ/kid. */
    BAD_HEADER("bad_header"),
    /** alg is none, symmetric, unknown, or not in the client's allowlist. */
    BAD_ALG("bad_alg"),
    /** sub is not a valid workload SPIFFE ID. */
    BAD_SPIFFE_ID("bad_spiffe_id"),
    /** No client is bound to the SPIFFE ID, or the client_id names no client. */
    UNKNOWN_CLIENT("unknown_client"),
    /** Several clients accept the SPIFFE ID equally well; the workload must send client_id. */
    AMBIGUOUS_CLIENT("ambiguous_client"),
    /** The client named by client_id does not accept this SPIFFE ID. */
    SPIFFE_ID_MISMATCH("spiffe_id_mismatch"),
    /** The client does not use client-svid-jwt authentication. */
    WRONG_AUTH_METHOD("wrong_auth_method"),
    /** The client is disabled. */
    CLIENT_DISABLED("client_disabled"),
    /** A client_id of a client-svid-jwt client was sent without an SVID. */
    MISSING_ASSERTION("missing_assertion"),
    /** iss differs from the pinned issuer, or is absent while one is pinned. */
    BAD_ISSUER("bad_issuer"),
    /** An aud value is not accepted by this server and client. */
    BAD_AUDIENCE("bad_audience"),
    EXPIRED("expired"),
    /** nbf or iat lies in the future (beyond the clock skew). */
    NOT_YET_VALID("not_yet_valid"),
    LIFETIME_TOO_LONG("lifetime_too_long"),
    /** No published key has the SVID's kid (or, without kid, none is compatible). */
    UNKNOWN_KID("unknown_kid"),
    BAD_SIGNATURE("bad_signature"),
    /** The client asks for single use and this SVID was already presented. */
    REPLAYED("replayed"),
    /** The client's key source could not be fetched and no usable cached keys exist. */
    KEY_SOURCE_UNAVAILABLE("key_source_unavailable"),
    /** The client's svid.* settings are unusable (e.g. neither JWKS URI nor issuer). */
    CLIENT_MISCONFIGURED("client_misconfigured"),
    /**
     * The SVID's trust domain is not the one trust domain the client's key source serves: the
     * client accepts SPIFFE IDs of several trust domains (stored before such clients were refused
     * at save), or the SVID is of another trust domain than the client's IDs.
     */
    TRUST_DOMAIN_MISMATCH("trust_domain_mismatch"),
    /** A server defect (an unexpected exception), not a fault of the SVID or the client: see the server log. */
    INTERNAL_ERROR("internal_error"),
    /** X.509-SVID over mutual TLS: the TLS connection carried no client certificate. */
    NO_CERTIFICATE("no_certificate"),
    /**
     * X.509-SVID: the leaf is not an X.509-SVID leaf (not exactly one URI SAN, a CA, wrong key
     * usage, a key type or size that is not allowed, an oversized chain).
     */
    BAD_CERTIFICATE("bad_certificate"),
    /** X.509-SVID: the chain does not verify up to an X.509 authority of the SPIFFE ID's trust domain. */
    UNTRUSTED_CERTIFICATE("untrusted_certificate"),
    /** X.509-SVID: a certificate of the chain is past its notAfter (beyond the clock skew). */
    CERTIFICATE_EXPIRED("certificate_expired");

    private final String code;

    Reason(String code) {
        this.code = code;
    }

    /** The stable code, e.g. {@code bad_issuer}. */
    public String code() {
        return code;
    }

    @Override
    public String toString() {
        return code;
    }
}
