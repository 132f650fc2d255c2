package dev.svidauth.rejection;

/**
 * Stable reason codes for a rejected SVID. They appear as the {@code reason} detail of
 * {@code CLIENT_LOGIN_ERROR} events, so dashboards and alerts can key on them: the codes are part
 * of the public contract and never change meaning: codes are added, never renamed or removed.
 */
public enum Reason {
    /** Not a compact JWS, not JSON, too large, or a required claim is missing or mistyped. */
    MALFORMED("malformed",
            "SVID is malformed"),
    /** The JOSE header carries a parameter other than alg, kid and typ, or a bad typ/kid. */
    BAD_HEADER("bad_header",
            "SVID header is not accepted"),
    /** alg is none, symmetric, unknown, or not in the client's allowlist. */
    BAD_ALG("bad_alg",
            "SVID signature algorithm is not accepted"),
    /** sub is not a valid workload SPIFFE ID. */
    BAD_SPIFFE_ID("bad_spiffe_id",
            "SVID subject is not a valid SPIFFE ID"),
    /** No client is bound to the SPIFFE ID, or the client_id names no client. */
    UNKNOWN_CLIENT("unknown_client",
            "no client of this realm accepts the SVID or client_id"),
    /** Several clients accept the SPIFFE ID equally well; the workload must send client_id. */
    AMBIGUOUS_CLIENT("ambiguous_client",
            "several clients accept this SPIFFE ID; send client_id to choose one"),
    /** The client named by client_id does not accept this SPIFFE ID. */
    SPIFFE_ID_MISMATCH("spiffe_id_mismatch",
            "the client named by client_id does not accept this SPIFFE ID"),
    /** The client does not use client-svid-jwt authentication. */
    WRONG_AUTH_METHOD("wrong_auth_method",
            "the client named does not use SVID authentication of this kind"),
    /** The client is disabled. */
    CLIENT_DISABLED("client_disabled",
            "the client is disabled"),
    /** A client_id of a client-svid-jwt client was sent without an SVID. */
    MISSING_ASSERTION("missing_assertion",
            "the client authenticates with a JWT-SVID, sent as client_assertion, and none was sent"),
    /** iss differs from the pinned issuer, or is absent while one is pinned. */
    BAD_ISSUER("bad_issuer",
            "SVID issuer does not match the client's pinned issuer"),
    /** An aud value is not accepted by this server and client. */
    BAD_AUDIENCE("bad_audience",
            "SVID audience is not accepted by this server"),
    EXPIRED("expired",
            "SVID has expired"),
    /** nbf or iat lies in the future (beyond the clock skew). */
    NOT_YET_VALID("not_yet_valid",
            "SVID is not valid yet"),
    LIFETIME_TOO_LONG("lifetime_too_long",
            "SVID lifetime is longer than the client allows"),
    /** No published key has the SVID's kid (or, without kid, none is compatible). */
    UNKNOWN_KID("unknown_kid",
            "SVID signing key is not published by the client's key source"),
    BAD_SIGNATURE("bad_signature",
            "SVID signature is invalid"),
    /** The client asks for single use and this SVID was already presented. */
    REPLAYED("replayed",
            "SVID was already used"),
    /** The client's key source could not be fetched and no usable cached keys exist. */
    KEY_SOURCE_UNAVAILABLE("key_source_unavailable",
            "the keys of the client's key source are unavailable"),
    /** The client's svid.* settings are unusable (e.g. neither JWKS URI nor issuer). */
    CLIENT_MISCONFIGURED("client_misconfigured",
            "the client's SVID settings are unusable"),
    /**
     * The SVID's trust domain is not the one trust domain the client's key source serves: the
     * client accepts SPIFFE IDs of several trust domains (stored before such clients were refused
     * at save), or the SVID is of another trust domain than the client's IDs.
     */
    TRUST_DOMAIN_MISMATCH("trust_domain_mismatch",
            "the SVID's trust domain is not the one the client's key source serves"),
    /** A server defect (an unexpected exception), not a fault of the SVID or the client: see the server log. */
    INTERNAL_ERROR("internal_error",
            "SVID could not be verified because of a server error"),
    /** X.509-SVID over mutual TLS: the TLS connection carried no client certificate. */
    NO_CERTIFICATE("no_certificate",
            "the client authenticates with an X.509-SVID over mutual TLS, and no client certificate was presented"),
    /**
     * X.509-SVID: the leaf is not an X.509-SVID leaf (not exactly one URI SAN, a CA, wrong key
     * usage, a key type or size that is not allowed, an oversized chain).
     */
    BAD_CERTIFICATE("bad_certificate",
            "client certificate is not a valid X.509-SVID"),
    /** X.509-SVID: the chain does not verify up to an X.509 authority of the SPIFFE ID's trust domain. */
    UNTRUSTED_CERTIFICATE("untrusted_certificate",
            "client certificate does not chain to an X.509 authority of its trust domain"),
    /** X.509-SVID: a certificate of the chain is past its notAfter (beyond the clock skew). */
    CERTIFICATE_EXPIRED("certificate_expired",
            "client certificate has expired"),
    /** WIT-SVID: a client of {@code client-svid-wit} sent no {@code OAuth-Client-Attestation} header. */
    MISSING_WIT("missing_wit",
            "the client authenticates with a WIT-SVID, sent in the OAuth-Client-Attestation header, and none was sent"),
    /** WIT-SVID: the WIT came without its proof of possession ({@code OAuth-Client-Attestation-PoP}). */
    MISSING_POP("missing_pop",
            "the WIT-SVID was sent without a proof of possession in the OAuth-Client-Attestation-PoP header"),
    /**
     * WIT-SVID: the proof of possession is not acceptable: its type, algorithm, audience, age,
     * issuer or signature by the WIT's {@code cnf} key.
     */
    BAD_POP("bad_pop",
            "the proof of possession of the WIT-SVID is invalid"),
    /** WIT-SVID: this proof of possession ({@code jti}) was already presented. */
    POP_REPLAYED("pop_replayed",
            "the proof of possession was already used"),
    /**
     * WIT-SVID: the trust domain's bundle has no {@code wit-svid} key, so the trust domain issues
     * no WIT-SVIDs (SPIFFE WIT-SVID spec section 6.2).
     */
    NO_WIT_KEYS("no_wit_keys",
            "the trust domain publishes no WIT-SVID keys");

    /** The caller text of a reason that has none of its own (see {@link #check()}). */
    static final String GENERIC_CHECK = "SVID was refused";

    private final String code;
    private final String check;

    /**
     * A reason whose caller text is the generic {@value #GENERIC_CHECK}; every shipped reason names
     * its check ({@code ReasonTest} holds them to it).
     */
    Reason(String code) {
        this(code, GENERIC_CHECK);
    }

    Reason(String code, String check) {
        this.code = code;
        this.check = check;
    }

    /** The stable code, e.g. {@code bad_issuer}. */
    public String code() {
        return code;
    }

    /**
     * The failed check in words, the same for every request refused for this reason: what a caller
     * is told. It never carries a value of the request, of another client or of a key source.
     */
    public String check() {
        return check;
    }

    /**
     * The caller's {@code error_description} by default: {@link #check()} and the code, e.g.
     * {@code SVID issuer does not match the client's pinned issuer (bad_issuer)}. Security decision:
     * an unauthenticated caller learns which check failed, never URLs, addresses, exception text,
     * other clients' IDs or fetched content (those stay in the event, the log and the diagnose
     * endpoint).
     */
    public String callerDescription() {
        return check + " (" + code + ")";
    }

    @Override
    public String toString() {
        return code;
    }
}
