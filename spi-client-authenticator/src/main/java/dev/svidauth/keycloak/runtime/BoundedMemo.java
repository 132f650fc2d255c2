package dev.svidauth.keycloak.runtime;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Values computed once per key and kept, at most {@code max} of them: past that the map starts
 * again. For small key sets that are bounded in practice but not by construction (realms × base
 * URIs, realms × outcomes × reason codes); two threads may compute one value twice, which is harmless.
 */
public final class BoundedMemo<K, V> {

    private final int max;
    private final ConcurrentHashMap<K, V> values = new ConcurrentHashMap<>();

    public BoundedMemo(int max) {
        this.max = max;
    }

    public V get(K key, Function<? super K, ? extends V> compute) {
        V v = values.get(key);
        if (v == null) {
            v = compute.apply(key);
            if (values.size() >= max) {
                values.clear();
            }
            values.put(key, v);
        }
        return v;
    }
}
