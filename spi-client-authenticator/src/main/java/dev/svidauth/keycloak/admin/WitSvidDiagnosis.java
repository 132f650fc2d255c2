package dev.svidauth.keycloak.admin;

import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidClientResolver;
import dev.svidauth.keycloak.runtime.SvidAuthRuntime;
import dev.svidauth.keycloak.wit.WitSvidVerification;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.svid.ParsedWitSvid;
import dev.svidauth.svid.ReplayGuard;
import dev.svidauth.svid.WitKeyResolver;
import dev.svidauth.svid.WitSvidVerifier;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The diagnose endpoint's WIT-SVID path: the checks of {@code client-svid-wit} in its order (parse,
 * client resolution among {@code client-svid-wit} clients and the trust domain's bundle, validity,
 * signature by a {@code wit-svid} key, the proof of possession, its single use) with the same
 * verifier, so that the verdict and the reason code are the token endpoint's.
 *
 * <p>The PoP's single use is only looked at, never recorded: a diagnosis must not burn the
 * workload's proof. Without a PoP, the WIT-SVID's own checks run and the verdict is
 * {@code missing_pop}, as the token endpoint refuses every WIT-SVID without one (it checks that
 * first; the diagnosis goes on so that the administrator learns what else would fail).
 */
final class WitSvidDiagnosis {

    static final String STEP_PARSE = "parse";
    static final String STEP_CLIENT = "client";
    static final String STEP_TIME = "time";
    static final String STEP_SIGNATURE = "signature";
    static final String STEP_POP = "pop";
    static final String STEP_SINGLE_USE = "single_use";
    /** The steps in the token endpoint's order (the presence of a PoP, checked first there, is reported with {@link #STEP_POP}). */
    static final List<String> STEPS = List.of(STEP_PARSE, STEP_CLIENT, STEP_TIME, STEP_SIGNATURE, STEP_POP, STEP_SINGLE_USE);

    private final SvidAuthRuntime runtime;
    private final WitSvidVerifier verifier;

    WitSvidDiagnosis(SvidAuthRuntime runtime, Clock clock) {
        this.runtime = runtime;
        this.verifier = new WitSvidVerifier(clock);
    }

    /**
     * What became of a WIT-SVID: the steps that passed ({@code [step, detail]}), then either a
     * rejection and the step it failed, or acceptance.
     */
    record Outcome(ParsedWitSvid wit, SvidClientResolver.Resolved resolved, URI bundle, List<String[]> passed,
                   SvidRejectedException rejection, String failedStep) {

        ClientModel client() {
            return resolved == null ? null : resolved.client();
        }

        boolean accepted() {
            return rejection == null;
        }
    }

    Outcome run(KeycloakSession session, RealmModel realm, String issuer, String token, String pop, String clientIdParam) {
        List<String[]> passed = new ArrayList<>();
        ParsedWitSvid wit;
        try {
            wit = ParsedWitSvid.parse(token);
        } catch (SvidRejectedException e) {
            return new Outcome(null, null, null, passed, e, STEP_PARSE);
        }
        passed.add(new String[]{STEP_PARSE, "compact JWS, typ wit+jwt, alg " + wit.algorithm() + ", kid '" + wit.kid()
                + "'; sub is the SPIFFE ID " + wit.spiffeId() + "; exp present, no aud; cnf.jwk a public key for "
                + wit.confirmationAlgorithm()});
        SvidClientResolver.Resolved resolved = null;
        URI bundle = null;
        try {
            resolved = WitSvidVerification.client(runtime, realm, wit.spiffeId(), clientIdParam);
            WitSvidVerification.Keys found = WitSvidVerification.keys(runtime, session, realm, resolved, wit.spiffeId());
            SvidClientConfig config = found.config();
            WitKeyResolver keys = found.keys();
            bundle = config.bundleUri();
            passed.add(new String[]{STEP_CLIENT, "client '" + resolved.client().getClientId() + "' accepts " + wit.spiffeId()
                    + " (trust domain " + wit.spiffeId().trustDomain() + "); wit-svid keys from the bundle " + bundle});
            Duration skew = config.policy().clockSkew();
            if (pop == null) {
                try {
                    verifier.checkWithoutPop(wit, skew, keys);
                } catch (SvidRejectedException e) {
                    String failed = stepOf(e.reason());
                    addPassed(passed, wit, bundle, config, failed);
                    return new Outcome(wit, resolved, bundle, passed, e, failed);
                }
                addPassed(passed, wit, bundle, config, STEP_POP);
                return new Outcome(wit, resolved, bundle, passed, new SvidRejectedException(Reason.MISSING_POP,
                        "no PoP was given: the WIT-SVID itself passes every check, but the token endpoint refuses it without a"
                                + " proof of possession in the OAuth-Client-Attestation-PoP header"), STEP_POP);
            }
            try {
                verifier.verify(wit, pop, resolved.client().getClientId(), issuer, skew, config.popMaxAge(), keys,
                        lookingOnly(session, realm, resolved.client()));
            } catch (SvidRejectedException e) {
                String failed = stepOf(e.reason());
                addPassed(passed, wit, bundle, config, failed);
                return new Outcome(wit, resolved, bundle, passed, e, failed);
            }
            addPassed(passed, wit, bundle, config, null);
            return new Outcome(wit, resolved, bundle, passed, null, null);
        } catch (SvidRejectedException e) {
            return new Outcome(wit, resolved, bundle, passed, e, STEP_CLIENT);
        }
    }

    /** The step of {@link WitSvidVerifier} that refuses with this reason. */
    static String stepOf(Reason reason) {
        return switch (reason) {
            case EXPIRED, NOT_YET_VALID -> STEP_TIME;
            case MISSING_POP, BAD_POP -> STEP_POP;
            case POP_REPLAYED -> STEP_SINGLE_USE;
            // unknown_kid, bad_signature, no_wit_keys, key_source_unavailable, and the bundle's
            // refusals at request time (client_misconfigured, trust_domain_mismatch)
            default -> STEP_SIGNATURE;
        };
    }

    /** The verifier's steps that passed before {@code failed} (null: all of them). */
    private static void addPassed(List<String[]> passed, ParsedWitSvid wit, URI bundle, SvidClientConfig config, String failed) {
        Duration skew = config.policy().clockSkew();
        for (String step : STEPS.subList(STEPS.indexOf(STEP_TIME), STEPS.size())) {
            if (step.equals(failed)) {
                return;
            }
            passed.add(new String[]{step, switch (step) {
                case STEP_TIME -> "exp " + wit.expiresAt() + (wit.notBefore() == null ? "" : ", nbf " + wit.notBefore())
                        + ", within the clock skew of " + skew.toSeconds() + " s";
                case STEP_SIGNATURE -> "signed by the wit-svid key '" + wit.kid() + "' of " + bundle;
                case STEP_POP -> "typ " + WitSvidVerifier.POP_TYP + ", signed by the WIT's cnf key with "
                        + wit.confirmationAlgorithm() + ", aud the realm issuer, iat within " + config.popMaxAge().toSeconds()
                        + " s (+ clock skew), exp and iss accepted, jti present";
                default -> "the PoP's jti was not used before with this key (looked up, not recorded: the PoP is still usable)";
            }});
        }
    }

    /**
     * A look at the single-use store that never records, under the key the token endpoint records
     * a PoP with ({@link WitSvidVerifier#scopedPopKey}, as {@code WitSvidClientAuthenticator.scoped}
     * records it). DiagnosticsIT presents a PoP at the token endpoint and expects this
     * look to report it replayed, which holds the two keys together.
     */
    static ReplayGuard lookingOnly(KeycloakSession session, RealmModel realm, ClientModel client) {
        return (key, seconds) -> !session.singleUseObjects().contains(WitSvidVerifier.scopedPopKey(realm.getId(), client.getId(), key));
    }
}
