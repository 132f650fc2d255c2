package dev.svidauth.keys;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What is cached for one key-source URL, read without fetching anything (diagnostics, metrics).
 *
 * @param kids        the key ids held (a key without kid shows as an empty string); empty when nothing is cached
 * @param witKids     the key ids of the bundle's {@code wit-svid} keys, kept apart from {@code kids}; empty when none
 * @param fetchedAt   end of the last successful fetch, or null
 * @param nextRefresh when a request will next refresh the keys in the background, or null
 * @param lastFailure why the last fetch failed, or null when it succeeded
 */
public record KeySourceState(URI url, List<String> kids, List<String> witKids, Instant fetchedAt, Instant nextRefresh,
                             String lastFailure) {

    static KeySourceState of(URI source, KeySourceEntry<KeySet> entry) {
        KeySourceEntry.Snapshot<KeySet> snap = entry.current;
        String failure = entry.failedSinceLastSuccess ? entry.lastFailure : null;
        if (snap == null) {
            return new KeySourceState(source, List.of(), List.of(), null, null, failure);
        }
        List<String> kids = new ArrayList<>();
        snap.value.keys().forEach(k -> kids.add(k.kid() == null ? "" : k.kid()));
        List<String> witKids = new ArrayList<>();
        snap.value.witKeys().forEach(k -> witKids.add(k.kid() == null ? "" : k.kid()));
        return new KeySourceState(source, List.copyOf(kids), List.copyOf(witKids), Instant.ofEpochMilli(snap.fetchedAt),
                Instant.ofEpochMilli(snap.refreshAt), failure);
    }
}
