package dev.svidauth.svid;

import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.spiffe.SpiffeId;

import java.security.cert.X509Certificate;
import java.util.List;

/** Where {@link X509SvidVerifier} takes the X.509 authorities of a trust domain from. */
public interface X509AuthoritySource {

    /**
     * The X.509 authorities of {@code id}'s trust domain (possibly empty).
     *
     * @throws SvidRejectedException e.g. {@code key_source_unavailable}, {@code trust_domain_mismatch}
     */
    List<X509Certificate> authorities(SpiffeId id) throws SvidRejectedException;

    /**
     * Called when a chain verified up to none of {@code seen}: a rate-limited refetch.
     *
     * @return newer authorities to try once more, or null when there are none
     */
    List<X509Certificate> authoritiesAfterMiss(SpiffeId id, List<X509Certificate> seen);
}
