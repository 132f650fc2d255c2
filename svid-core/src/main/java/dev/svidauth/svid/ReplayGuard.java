package dev.svidauth.svid;

/**
 * Remembers SVIDs that a single-use client has already presented. Keycloak's implementation is its
 * cluster-wide {@code SingleUseObjectProvider}.
 */
@FunctionalInterface
public interface ReplayGuard {

    /** A guard for clients that allow reuse; never called by the verifier for them. */
    ReplayGuard NONE = (key, seconds) -> true;

    /**
     * Records {@code key} for {@code lifespanSeconds}.
     *
     * @return true on first use, false if the key was already recorded
     */
    boolean firstUse(String key, long lifespanSeconds);
}
