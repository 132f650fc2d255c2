package dev.svidauth.spire;

import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One X.509-SVID to mint, as SPIRE Server signs a workload's: the SPIFFE ID must be a workload of
 * the emulator's trust domain ({@code api.VerifyTrustDomainMemberID}, messages as SPIRE's), the
 * TTL defaults to the server's {@code default_x509_svid_ttl} when not positive and notAfter is
 * capped at the signing CA's, the key is the workload's (a fresh EC P-256 key, as SPIRE Agent's
 * default {@code workload_x509_svid_key_type}, unless another type or pair is given). See
 * {@link X509Authority} for the certificate's fields. Start one with
 * {@link SpireEmulator#x509Svid(String)}.
 */
public final class X509SvidBuilder {

    /** What minting needs of the emulator. */
    record Context(String trustDomain, Clock clock, Duration defaultTtl, boolean uniqueId, X509CaManager cas) {
    }

    private final Context context;
    private final String spiffeId;
    private Duration ttl;
    private KeyType keyType = KeyType.EC_P256;
    private KeyPair keys;
    private final List<String> dnsNames = new ArrayList<>();
    private boolean checked = true;

    X509SvidBuilder(Context context, String spiffeId) {
        this.context = context;
        this.spiffeId = Objects.requireNonNull(spiffeId, "spiffeId");
    }

    /** Lifetime (the entry's {@code x509_svid_ttl}); not positive or unset: the emulator's default. */
    public X509SvidBuilder ttl(Duration ttl) {
        this.ttl = ttl;
        return this;
    }

    /** Type of the fresh workload key, default {@link KeyType#EC_P256}. */
    public X509SvidBuilder keyType(KeyType keyType) {
        this.keyType = Objects.requireNonNull(keyType, "keyType");
        return this;
    }

    /** The workload's own key pair, as a workload that sends its CSR keeps its key. */
    public X509SvidBuilder keyPair(KeyPair keys) {
        this.keys = Objects.requireNonNull(keys, "keys");
        return this;
    }

    /** The entry's DNS names: DNS SANs before the URI SAN, the first also the subject's CN. */
    public X509SvidBuilder dnsNames(String... names) {
        dnsNames.clear();
        dnsNames.addAll(List.of(names));
        return this;
    }

    /** Skips SPIRE's check of the SPIFFE ID (foreign trust domain, malformed ID), still signed by the real CA. */
    public X509SvidBuilder unchecked() {
        this.checked = false;
        return this;
    }

    /** Signs with the current CA: the chain (leaf first) and the key. */
    public X509Svid mint() {
        if (checked) {
            Minter.checkSpiffeId(spiffeId, context.trustDomain(), "X509-SVID");
        }
        KeyPair pair = keys != null ? keys : GoX509.generate(keyType);
        Duration lifetime = ttl == null || ttl.isNegative() || ttl.isZero() ? context.defaultTtl() : ttl;
        X509Issuer ca = context.cas().current().issuer;
        GoX509.Template t = X509Authority.workloadTemplate(ca.certificate(), spiffeId, pair.getPublic(), dnsNames,
                lifetime, context.clock().instant(), context.uniqueId());
        return ca.issue(t, pair.getPrivate());
    }
}
