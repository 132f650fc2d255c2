package dev.svidauth.spiffe;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which names (client ids) accept a SPIFFE ID, found without scanning them all: exact values in
 * one map, {@code /*} prefixes in another, and a lookup that walks the SPIFFE ID's ancestors
 * (O(path depth) map probes, whatever the number of entries).
 *
 * <p>Exact beats prefix; of the prefixes, the longest (deepest) wins; several names at the best
 * level are all returned, so the caller can refuse the tie. Immutable once built; thread-safe.
 */
public final class SpiffeIdIndex {

    /** "td/path" -> names, for exact values. */
    private final Map<String, List<String>> exact;
    /** "td/prefix" (prefix may be empty) -> names, for /* values. */
    private final Map<String, List<String>> prefixes;
    private final int size;

    private SpiffeIdIndex(Map<String, List<String>> exact, Map<String, List<String>> prefixes, int size) {
        this.exact = exact;
        this.prefixes = prefixes;
        this.size = size;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The number of indexed values (a name with three patterns counts three times). */
    public int size() {
        return size;
    }

    /** The names that accept {@code id}: all exact matches if any, else those with the longest matching prefix. */
    public Matches lookup(SpiffeId id) {
        String td = id.trustDomain();
        String path = id.path();
        List<String> hits = exact.get(td + path);
        if (hits != null) {
            return new Matches(hits, true);
        }
        if (prefixes.isEmpty()) {
            return Matches.NONE;
        }
        int cut = path.lastIndexOf('/');
        while (cut >= 0) {
            path = path.substring(0, cut);
            List<String> p = prefixes.get(td + path);
            if (p != null) {
                return new Matches(p, false);
            }
            cut = path.lastIndexOf('/');
        }
        return Matches.NONE;
    }

    /** Collects values; {@link #build()} freezes them. Not thread-safe. */
    public static final class Builder {
        private final Map<String, List<String>> exact = new HashMap<>();
        private final Map<String, List<String>> prefixes = new HashMap<>();
        private int size;

        private Builder() {
        }

        /** Records that {@code name} accepts the SPIFFE IDs matched by {@code pattern}. */
        public Builder add(SpiffeIdPattern pattern, String name) {
            String key = pattern.trustDomain() + pattern.path();
            (pattern.isPrefix() ? prefixes : exact).computeIfAbsent(key, k -> new ArrayList<>(1)).add(name);
            size++;
            return this;
        }

        public SpiffeIdIndex build() {
            return new SpiffeIdIndex(freeze(exact), freeze(prefixes), size);
        }

        private static Map<String, List<String>> freeze(Map<String, List<String>> m) {
            Map<String, List<String>> out = new HashMap<>(Math.max(16, (int) (m.size() / 0.75f) + 1));
            m.forEach((k, v) -> out.put(k, Collections.unmodifiableList(new ArrayList<>(v))));
            return out;
        }
    }

    /** Result of a lookup: the best matches (one, several when ambiguous, or none). */
    public static final class Matches {
        static final Matches NONE = new Matches(List.of(), false);

        private final List<String> names;
        private final boolean exact;

        Matches(List<String> names, boolean exact) {
            this.names = names;
            this.exact = exact;
        }

        /** The matching names (client ids); empty when none. */
        public List<String> clientIds() {
            return names;
        }

        /** Whether the matches are exact values rather than prefixes. */
        public boolean exact() {
            return exact;
        }

        public boolean isEmpty() {
            return names.isEmpty();
        }
    }
}
