package dev.svidauth.keys;

import java.time.Duration;

/** Tunables of the {@link KeySourceCache}; the defaults are the documented behaviour. */
public final class KeySourceSettings {
    final Duration minRefresh;
    final Duration maxRefresh;
    final Duration defaultRefresh;
    final Duration missInterval;
    final Duration maxStaleness;
    final Duration waitTimeout;

    public KeySourceSettings(Duration minRefresh, Duration maxRefresh, Duration defaultRefresh, Duration missInterval,
                             Duration maxStaleness, Duration waitTimeout) {
        this.minRefresh = minRefresh;
        this.maxRefresh = maxRefresh;
        this.defaultRefresh = defaultRefresh;
        this.missInterval = missInterval;
        this.maxStaleness = maxStaleness;
        this.waitTimeout = waitTimeout;
    }

    public static KeySourceSettings defaults() {
        return new KeySourceSettings(Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofMinutes(5),
                Duration.ofSeconds(10), Duration.ofHours(24), Duration.ofSeconds(15));
    }
}
