package dev.svidauth.svid;

import dev.svidauth.keys.KeyFetcher;
import dev.svidauth.keys.KeySourceCache;
import dev.svidauth.keys.KeySourceException;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.SvidRejectedException;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * The {@code wit-svid} keys of one trust domain's SPIFFE bundle, through the key-source cache (the
 * same entry, refresh and rate limits as the bundle's JWT-SVID keys and X.509 authorities), with
 * key-source errors translated into rejections: {@code no_wit_keys} when the bundle has none,
 * {@code unknown_kid}, {@code trust_domain_mismatch}, {@code key_source_unavailable}.
 */
public final class WitKeyResolver implements KeyResolver {

    private final KeySourceCache cache;
    private final KeyFetcher fetcher;
    private final URI bundleUri;
    private final KeySourceKeyResolver.SourceCheck check;
    private final String trustDomain;

    public WitKeyResolver(KeySourceCache cache, KeyFetcher fetcher, URI bundleUri, KeySourceKeyResolver.SourceCheck check,
                          String trustDomain) {
        this.cache = Objects.requireNonNull(cache, "cache");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.bundleUri = Objects.requireNonNull(bundleUri, "bundleUri");
        this.check = Objects.requireNonNull(check, "check");
        this.trustDomain = trustDomain;
    }

    @Override
    public List<VerificationKey> candidates(String kid, String alg) throws SvidRejectedException {
        check.check(bundleUri);
        try {
            return cache.witCandidates(bundleUri, kid, fetcher, trustDomain);
        } catch (KeySourceException e) {
            throw KeySourceKeyResolver.rejection(e);
        }
    }
}
