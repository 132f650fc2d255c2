package dev.svidauth.keys;

import java.net.URI;

/**
 * Fetches a key-source document. The Keycloak implementation goes through Keycloak's HTTP client
 * (truststore, proxy) with bounded timeouts and size and no redirects; tests may use any other.
 */
@FunctionalInterface
public interface KeyFetcher {

    /**
     * @return the body of an HTTP 200 response
     * @throws KeySourceException for any other status, a timeout, an oversized body or an I/O error
     */
    FetchedDocument fetch(URI uri) throws KeySourceException;

    /**
     * The lane of {@link FetchScheduler} this fetcher's fetches count against: the realm whose
     * request needs them, so that one realm's key sources cannot starve another realm's.
     */
    default String lane() {
        return FetchScheduler.DEFAULT_LANE;
    }
}
