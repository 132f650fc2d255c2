package dev.svidauth.spire;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The emulator's X.509 CAs and SPIRE's rotation of them ({@code pkg/server/ca/manager} and
 * {@code rotateX509CA} in {@code pkg/server/ca/rotator/rotator.go}): a current CA that signs and a
 * next one that is prepared (generated and appended to the bundle) once the current CA is past
 * its preparation threshold, and activated (signs from then on) once the current CA is past its
 * activation threshold; with the default {@code ca_ttl} of 24 h that is 12 h and 20 h after the
 * current CA was prepared. A CA stays in the bundle after it stops signing, until pruning removes
 * it {@link SpireEmulator#BUNDLE_SAFETY_THRESHOLD} after it expired ({@code bundleutil.PruneBundle}).
 *
 * <p>With automatic rotation (the default) every read first applies the rotator's step at the
 * emulator's clock, and pruning, which SPIRE runs every 6 h, at the same time; so a test that
 * moves its clock sees what SPIRE would show at that time. With an upstream authority the bundle
 * holds the upstream root, which no rotation changes. Thread-safe.
 */
final class X509CaManager {

    /** Lifetime of the emulated upstream root: at least a year and ten CA lifetimes. */
    private static final Duration MIN_UPSTREAM_ROOT_TTL = Duration.ofDays(365);

    private final String trustDomain;
    private final KeyType keyType;
    private final Duration caTtl;
    private final Clock clock;
    private final boolean autoRotate;
    private final X509Issuer upstreamRoot;
    private final Runnable bundleChanged;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    private final Object lock = new Object();
    /** The bundle's X.509 authorities in publication order. Guarded by {@link #lock}. */
    private final List<X509Certificate> published = new ArrayList<>();
    private X509Authority current;
    private X509Authority next;

    X509CaManager(String trustDomain, KeyType keyType, Duration caTtl, Clock clock, boolean upstream,
                  boolean autoRotate, Runnable bundleChanged) {
        this.trustDomain = trustDomain;
        this.keyType = keyType;
        this.caTtl = caTtl;
        this.clock = clock;
        this.autoRotate = autoRotate;
        this.bundleChanged = bundleChanged;
        Instant now = clock.instant();
        Duration rootTtl = caTtl.multipliedBy(10).compareTo(MIN_UPSTREAM_ROOT_TTL) > 0
                ? caTtl.multipliedBy(10) : MIN_UPSTREAM_ROOT_TTL;
        this.upstreamRoot = upstream ? X509Authority.selfSigned(trustDomain, keyType, now, rootTtl).issuer : null;
        current = newAuthority(now);
        current.status = X509Authority.Status.ACTIVE;
        published.add(current.bundleAuthority);
    }

    /** Runs {@code listener} after every change of the published authorities. */
    void onBundleChange(Runnable listener) {
        listeners.add(listener);
    }

    /** The CA that signs now. */
    X509Authority current() {
        tickIfAutomatic();
        synchronized (lock) {
            return current;
        }
    }

    /** The prepared next CA, if a rotation is pending. */
    Optional<X509Authority> next() {
        tickIfAutomatic();
        synchronized (lock) {
            return Optional.ofNullable(next);
        }
    }

    /** The bundle's X.509 authorities now, in publication order. */
    List<X509Certificate> authorities() {
        tickIfAutomatic();
        synchronized (lock) {
            return List.copyOf(published);
        }
    }

    /** SPIRE's {@code PrepareX509CA}: a new CA in the next slot, published at once; one prepared earlier is dropped from the slot but stays published. */
    void prepare() {
        boolean changed;
        synchronized (lock) {
            changed = prepareLocked(clock.instant());
        }
        if (changed) {
            notifyChange();
        }
    }

    /** SPIRE's {@code RotateX509CA}: the prepared CA signs from now on, the old one stays published. */
    void activate() {
        synchronized (lock) {
            if (next == null) {
                throw new IllegalStateException("no prepared X.509 authority; prepare one first");
            }
            activateLocked();
        }
    }

    /**
     * One step of SPIRE's rotator at the clock's time: prepare when none is prepared and the
     * current CA is past its preparation threshold, activate when it is past its activation
     * threshold; then prune.
     *
     * @return whether the published authorities changed
     */
    boolean tick() {
        boolean changed;
        synchronized (lock) {
            Instant now = clock.instant();
            changed = false;
            if (next == null && now.isAfter(current.preparationThreshold())) {
                changed = prepareLocked(now);
            }
            if (now.isAfter(current.activationThreshold()) && next != null) {
                activateLocked();
            }
            changed |= pruneLocked(now.minus(SpireEmulator.BUNDLE_SAFETY_THRESHOLD));
        }
        if (changed) {
            notifyChange();
        }
        return changed;
    }

    /**
     * Unpublishes every authority that expired at or before {@code expiresBefore}, except the
     * ones the current and the next CA need.
     *
     * @return whether an authority was unpublished
     */
    boolean prune(Instant expiresBefore) {
        boolean changed;
        synchronized (lock) {
            changed = pruneLocked(expiresBefore);
        }
        if (changed) {
            notifyChange();
        }
        return changed;
    }

    private void tickIfAutomatic() {
        if (autoRotate) {
            tick();
        }
    }

    /** Caller holds {@link #lock}. */
    private boolean prepareLocked(Instant now) {
        X509Authority prepared = newAuthority(now);
        if (next != null) {
            next.status = X509Authority.Status.OLD;
        }
        next = prepared;
        if (published.contains(prepared.bundleAuthority)) {
            return false;
        }
        published.add(prepared.bundleAuthority);
        return true;
    }

    /** Caller holds {@link #lock}. */
    private void activateLocked() {
        current.status = X509Authority.Status.OLD;
        next.status = X509Authority.Status.ACTIVE;
        current = next;
        next = null;
    }

    /** Caller holds {@link #lock}. */
    private boolean pruneLocked(Instant expiresBefore) {
        return published.removeIf(cert -> cert != current.bundleAuthority
                && (next == null || cert != next.bundleAuthority)
                && !cert.getNotAfter().toInstant().isAfter(expiresBefore));
    }

    private void notifyChange() {
        bundleChanged.run();
        listeners.forEach(Runnable::run);
    }

    private X509Authority newAuthority(Instant now) {
        return upstreamRoot == null
                ? X509Authority.selfSigned(trustDomain, keyType, now, caTtl)
                : X509Authority.upstreamSigned(trustDomain, keyType, now, caTtl, upstreamRoot);
    }
}
