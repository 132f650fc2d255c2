package dev.svidauth.svid;

import dev.svidauth.keys.KeyFetcher;
import dev.svidauth.keys.KeySourceCache;
import dev.svidauth.keys.KeySourceException;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * Plugs the key-source cache into the verifier: the keys of one client's key source (its
 * {@code svid.jwks.uri}, or the one discovered from its pinned issuer), with the key-source errors
 * translated into rejections ({@code unknown_kid}, {@code key_source_unavailable}).
 */
public final class KeySourceKeyResolver implements KeyResolver {

    /** A check of every URL before it is fetched (e.g. the realm's transport-security rule). */
    @FunctionalInterface
    public interface SourceCheck {
        void check(URI url) throws SvidRejectedException;
    }

    private final KeySourceCache cache;
    private final KeyFetcher fetcher;
    private final URI jwksUri;
    private final String issuer;
    private final SourceCheck check;
    /** The key-source URL the last call used (discovered or configured); null before. */
    private volatile URI resolvedSource;
    private final String trustDomain;

    /**
     * @param jwksUri the configured key source, or null to discover it from {@code issuer}
     * @param issuer  the pinned issuer; required when {@code jwksUri} is null
     */
    public KeySourceKeyResolver(KeySourceCache cache, KeyFetcher fetcher, URI jwksUri, String issuer, SourceCheck check) {
        this(cache, fetcher, jwksUri, issuer, check, null);
    }

    /**
     * @param trustDomain the SVID's trust domain: a SPIFFE bundle naming only other trust domains
     *                    is refused ({@code trust_domain_mismatch}); null: not checked
     */
    public KeySourceKeyResolver(KeySourceCache cache, KeyFetcher fetcher, URI jwksUri, String issuer, SourceCheck check,
                                String trustDomain) {
        this.trustDomain = trustDomain;
        this.cache = Objects.requireNonNull(cache, "cache");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.jwksUri = jwksUri;
        this.issuer = issuer;
        this.check = Objects.requireNonNull(check, "check");
    }

    @Override
    public List<VerificationKey> candidates(String kid, String alg) throws SvidRejectedException {
        try {
            URI source = jwksUri;
            if (source == null) {
                check.check(KeySourceCache.discoveryUrl(issuer));
                source = cache.discoverJwksUri(issuer, fetcher);
            }
            check.check(source);
            resolvedSource = source;
            return cache.candidates(source, kid, alg, fetcher, trustDomain);
        } catch (KeySourceException e) {
            throw rejection(e);
        }
    }

    /** The key-source URL the last {@link #candidates} call read (after discovery), or null if none got that far. */
    public URI resolvedSource() {
        return resolvedSource;
    }

    /** The rejection for a key-source error: same words, the reason code its kind stands for. */
    public static SvidRejectedException rejection(KeySourceException e) {
        Reason reason = switch (e.kind()) {
            case UNKNOWN_KEY -> Reason.UNKNOWN_KID;
            case FOREIGN_TRUST_DOMAIN -> Reason.TRUST_DOMAIN_MISMATCH;
            case UNAVAILABLE -> Reason.KEY_SOURCE_UNAVAILABLE;
            case NO_WIT_KEYS -> Reason.NO_WIT_KEYS;
        };
        return new SvidRejectedException(reason, e.getMessage());
    }
}
