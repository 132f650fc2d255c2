package dev.svidauth.svid;

import dev.svidauth.keys.KeyFetcher;
import dev.svidauth.keys.KeySourceCache;
import dev.svidauth.keys.KeySourceException;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.SpiffeId;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * The X.509 authorities ({@code use: x509-svid}) of one trust domain's SPIFFE bundle, through the
 * shared key-source cache: same refresh, last-known-good, address checks and rate-limited
 * refetch as the JWT-SVID keys of that URL. The bundle serves exactly one trust domain.
 */
public final class BundleX509AuthoritySource implements X509AuthoritySource {

    private final KeySourceCache cache;
    private final KeyFetcher fetcher;
    private final URI bundleUri;
    private final String trustDomain;
    private final KeySourceKeyResolver.SourceCheck check;

    /** @param trustDomain the one trust domain whose bundle {@code bundleUri} is */
    public BundleX509AuthoritySource(KeySourceCache cache, KeyFetcher fetcher, URI bundleUri, String trustDomain,
                                     KeySourceKeyResolver.SourceCheck check) {
        this.cache = Objects.requireNonNull(cache, "cache");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.bundleUri = Objects.requireNonNull(bundleUri, "bundleUri");
        this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
        this.check = Objects.requireNonNull(check, "check");
    }

    @Override
    public List<X509Certificate> authorities(SpiffeId id) throws SvidRejectedException {
        if (!trustDomain.equals(id.trustDomain())) {
            throw new SvidRejectedException(Reason.TRUST_DOMAIN_MISMATCH, "X.509-SVID of trust domain '" + id.trustDomain()
                    + "', but the bundle " + bundleUri + " serves trust domain '" + trustDomain + "'");
        }
        check.check(bundleUri);
        try {
            return cache.x509Authorities(bundleUri, fetcher, trustDomain);
        } catch (KeySourceException e) {
            throw new SvidRejectedException(e.kind() == KeySourceException.Kind.FOREIGN_TRUST_DOMAIN ? Reason.TRUST_DOMAIN_MISMATCH
                    : Reason.KEY_SOURCE_UNAVAILABLE, e.getMessage());
        }
    }

    @Override
    public List<X509Certificate> authoritiesAfterMiss(SpiffeId id, List<X509Certificate> seen) {
        return cache.x509AuthoritiesAfterMiss(bundleUri, fetcher, seen);
    }

    @Override
    public String toString() {
        return bundleUri.toString();
    }
}
