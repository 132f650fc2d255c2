package dev.svidauth.svid;

import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.SvidRejectedException;

import java.util.List;

/** Where step 8 finds the keys that may verify an SVID: the client's key source, usually cached. */
@FunctionalInterface
public interface KeyResolver {

    /**
     * @return a non-empty list of candidate keys
     * @throws SvidRejectedException unknown_kid or key_source_unavailable
     */
    List<VerificationKey> candidates(String kid, String alg) throws SvidRejectedException;
}
