package dev.svidauth.mapper;

import dev.svidauth.svid.VerifiedJwtSvid;

/**
 * Names of the notes that carry the verified JWT-SVID from client authentication to the
 * protocol mappers: the names the authenticator writes ({@link VerifiedJwtSvid#notes()}), under the
 * names this module reads them by.
 *
 * <p>They are notes of the client session of the client that presented the SVID (see
 * {@link dev.svidauth.keycloak.client.ClientBoundSvid}), never of the user session, so that no other
 * client of the same SSO session sees them. They are part of the public contract: change one
 * only together with the README, the realm export and a migration note.
 */
public final class SvidSessionNotes {

    /** The SVID's {@code sub}: the workload's SPIFFE ID, e.g. {@code spiffe://example.org/ns/a/sa/b}. */
    public static final String SUB = VerifiedJwtSvid.NOTE_SUB;

    /** The SVID's {@code iss}, when present. */
    public static final String ISS = VerifiedJwtSvid.NOTE_ISS;

    /** The trust domain of the SPIFFE ID, e.g. {@code example.org}. */
    public static final String TRUST_DOMAIN = VerifiedJwtSvid.NOTE_TRUST_DOMAIN;

    /** The path of the SPIFFE ID, e.g. {@code /ns/a/sa/b}. */
    public static final String PATH = VerifiedJwtSvid.NOTE_PATH;

    /** The {@code kid} of the key that verified the SVID, when the header named one. */
    public static final String KID = VerifiedJwtSvid.NOTE_KID;

    /** Every verified SVID claim, as one JSON object. */
    public static final String CLAIMS = VerifiedJwtSvid.NOTE_CLAIMS;

    private SvidSessionNotes() {
    }
}
