package dev.svidauth.keycloak.runtime;

import dev.svidauth.svid.ReplayGuard;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The single-use guard against a store that follows Infinispan's rule for a conditional write
 * retried after its key's primary owner changed: an existing value equal to the value being
 * written counts as the write's own earlier success.
 */
class SingleUseStoreTest {

    /** A single-use cache: putIfAbsent, and the same write retried after an owner change. */
    private static final class RetryingCache {
        private final Map<String, Object> entries = new HashMap<>();
        boolean nextWriteIsRetry;

        Object putIfAbsent(String key, Object value, long seconds) {
            Object existing = entries.get(key);
            boolean retry = nextWriteIsRetry;
            nextWriteIsRetry = false;
            if (existing == null) {
                entries.put(key, value);
                return null;
            }
            // Infinispan's retry rule (ValueMatcher.MATCH_EXPECTED_OR_NEW): the entry may be this write's own
            return retry && Objects.equals(existing, value) ? null : existing;
        }
    }

    /** Keycloak's value: one value object with equal notes for every key. */
    private record Value(Map<String, String> notes) {
    }

    @Test
    void aRetriedWriteOfOneSharedValueAcceptsASecondPresentationWhichAValueOfItsOwnRefuses() {
        // what Keycloak's putIfAbsent does: the same (equal) value for every key
        RetryingCache shared = new RetryingCache();
        ReplayGuard keycloakWay = SingleUseStore.guard(shared::putIfAbsent, id -> new Value(Map.of()), () -> "ignored");
        assertThat(keycloakWay.firstUse("svid-1", 300)).isTrue();
        shared.nextWriteIsRetry = true;
        assertThat(keycloakWay.firstUse("svid-1", 300)).as("the flaw this class exists for").isTrue();

        RetryingCache own = new RetryingCache();
        AtomicInteger ids = new AtomicInteger();
        ReplayGuard guard = SingleUseStore.guard(own::putIfAbsent,
                id -> new Value(Map.of(SingleUseStore.PRESENTATION_NOTE, id)), () -> "presentation-" + ids.incrementAndGet());
        assertThat(guard.firstUse("svid-1", 300)).isTrue();
        own.nextWriteIsRetry = true;
        assertThat(guard.firstUse("svid-1", 300)).as("a second presentation, retried after an owner change").isFalse();
        assertThat(guard.firstUse("svid-1", 300)).isFalse();
        assertThat(guard.firstUse("svid-2", 300)).isTrue();
    }

    @Test
    void aRetryOverItsOwnEarlierWriteIsStillTheFirstUse() {
        RetryingCache cache = new RetryingCache();
        // the first attempt reached the old primary and its backup, then the primary died before answering
        Object written = new Value(Map.of(SingleUseStore.PRESENTATION_NOTE, "p-1"));
        assertThat(cache.putIfAbsent("svid-1", written, 300)).isNull();
        cache.nextWriteIsRetry = true;
        ReplayGuard sameWrite = SingleUseStore.guard(cache::putIfAbsent,
                id -> new Value(Map.of(SingleUseStore.PRESENTATION_NOTE, id)), () -> "p-1");
        assertThat(sameWrite.firstUse("svid-1", 300)).isTrue();
    }

    @Test
    void everyRecordingWritesAFreshIdAndTheLifespanAsGiven() {
        Map<String, Long> lifespans = new HashMap<>();
        Map<String, Object> values = new HashMap<>();
        AtomicInteger ids = new AtomicInteger();
        ReplayGuard guard = SingleUseStore.guard((key, value, seconds) -> {
            lifespans.put(key, seconds);
            return values.putIfAbsent(key, value);
        }, id -> id, () -> "id-" + ids.incrementAndGet());
        assertThat(guard.firstUse("a", 42)).isTrue();
        assertThat(guard.firstUse("b", 7)).isTrue();
        assertThat(guard.firstUse("a", 42)).isFalse();
        assertThat(values).containsEntry("a", "id-1").containsEntry("b", "id-2");
        assertThat(lifespans).containsEntry("a", 42L).containsEntry("b", 7L);
        assertThat(ids.get()).isEqualTo(3);
    }
}
