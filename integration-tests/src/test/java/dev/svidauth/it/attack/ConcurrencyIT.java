package dev.svidauth.it.attack;

import dev.svidauth.it.support.Forge;
import dev.svidauth.it.support.Load;
import dev.svidauth.it.support.OwnKeySource;
import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import dev.svidauth.testkit.FormPost;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static dev.svidauth.it.support.SvidRealm.AGENT;
import static dev.svidauth.it.support.SvidRealm.INVENTORY;
import static dev.svidauth.it.support.SvidRealm.JWT_BEARER;
import static dev.svidauth.it.support.SvidRealm.JWT_SPIFFE;
import static dev.svidauth.it.support.SvidRealm.PAYMENTS;
import static dev.svidauth.it.support.SvidRealm.REPORTING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * 16 workloads at once for 60 s, mixing good SVIDs of several clients of the shipped realm with
 * bad ones of every kind of rejection: every good one gets a token, every bad one a 401
 * invalid_client, nothing a 5xx, and the server logs no ERROR (other than stock Keycloak's line
 * for an unparsable client_assertion, see {@link #STOCK_UNPARSABLE_ASSERTION}) and no defect
 * caught by the authenticator's last-resort handler.
 */
@ExtendWith(SvidEnvironment.class)
class ConcurrencyIT {

    private static final int THREADS = 16;
    private static final Duration DURATION = Duration.ofSeconds(60);
    private static final Pattern ERROR_LINE = Pattern.compile("^\\S+ \\S+ ERROR ");
    /**
     * Keycloak's own client-jwt authenticator, which precedes client-svid-jwt in the shipped
     * clients flow so that private_key_jwt clients keep working, logs this at ERROR for every
     * client_assertion it cannot parse as a JWS, whatever its assertion type. Expected for our
     * "malformed" and "alg none" cases, and only for them.
     */
    private static final String STOCK_UNPARSABLE_ASSERTION =
            "KC-SERVICES0025: Error when validating client assertion: org.keycloak.jose.jws.JWSInputException";

    private final SvidRealm env;

    ConcurrencyIT(SvidRealm env) {
        this.env = env;
    }

    /** One kind of request and the answer it deserves. */
    private static final class Case {
        final String name;
        final boolean good;
        final Supplier<FormPost.Answer> send;

        Case(String name, boolean good, Supplier<FormPost.Answer> send) {
            this.name = name;
            this.good = good;
            this.send = send;
        }
    }

    private List<Case> cases() throws Exception {
        String aud = env.audience();
        String iss = env.spire().issuer();
        ECKey foreign = new ECKeyGenerator(Curve.P_256).keyID("f".repeat(32)).generate();
        List<Case> cases = new ArrayList<>();
        // good: several clients, both assertion types, both key formats, with and without client_id
        cases.add(new Case("payments (discovery, pinned iss)", true, () -> env.token(env.svid(PAYMENTS))));
        cases.add(new Case("payments jwt-bearer + client_id", true, () -> env.token(JWT_BEARER, env.svid(PAYMENTS), "payments-api")));
        cases.add(new Case("inventory (clientId = SPIFFE ID)", true, () -> env.token(env.svid(INVENTORY))));
        cases.add(new Case("agent (bundle, prefix, no iss)", true, () -> env.token(JWT_BEARER,
                env.spire().svid(AGENT).audience(aud).claim("iss", null).claim("client_type", "ai-agent").mint(), null)));
        cases.add(new Case("reporting-eu", true, () -> env.token(JWT_SPIFFE, env.svid(REPORTING), "reporting-eu")));
        cases.add(new Case("reporting-us", true, () -> env.token(JWT_BEARER, env.svid(REPORTING), "reporting-us")));
        // bad: the rejection kinds
        cases.add(new Case("malformed", false, () -> env.token("not-a-jwt")));
        cases.add(new Case("alg none", false, () -> env.token(Forge.b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
                + Forge.b64(Forge.claims(PAYMENTS, aud, iss)) + ".")));
        cases.add(new Case("bad SPIFFE ID", false, () -> env.token(
                env.spire().svid("spiffe://Example.org/ns/apps/sa/payments").unchecked().audience(aud).mint())));
        cases.add(new Case("unknown client", false, () -> env.token(env.svid("spiffe://example.org/ns/nobody/sa/x"))));
        cases.add(new Case("ambiguous client", false, () -> env.token(env.svid(REPORTING))));
        cases.add(new Case("client_id mismatch", false, () -> env.token(JWT_SPIFFE, env.svid(PAYMENTS), "reporting-eu")));
        cases.add(new Case("bad issuer", false, () -> env.token(
                env.spire().svid(PAYMENTS).audience(aud).claim("iss", iss + "/").mint())));
        cases.add(new Case("bad audience", false, () -> env.token(env.spire().mint(PAYMENTS, List.of("https://other-server.example")))));
        cases.add(new Case("expired", false, () -> {
            Instant iat = Instant.now().minus(Duration.ofMinutes(10));
            return env.token(env.spire().svid(PAYMENTS).audience(aud).issuedAt(iat).expiresAt(iat.plusSeconds(300)).mint());
        }));
        cases.add(new Case("not yet valid", false, () -> env.token(env.spire().svid(PAYMENTS).audience(aud)
                .claim("nbf", Instant.now().plusSeconds(600).getEpochSecond()).mint())));
        cases.add(new Case("lifetime too long", false, () -> env.token(
                env.spire().svid(PAYMENTS).audience(aud).ttl(Duration.ofHours(2)).mint())));
        cases.add(new Case("unknown kid", false, () -> env.token(Forge.sign(foreign, "ES256",
                Forge.header("ES256", foreign.getKeyID()), Forge.claims(PAYMENTS, aud, iss)))));
        cases.add(new Case("bad signature", false, () -> env.token(Forge.sign(foreign, "ES256",
                Forge.header("ES256", env.spire().signingKey().getKeyID()), Forge.claims(PAYMENTS, aud, iss)))));
        return cases;
    }

    @Test
    void sixteenParallelWorkloadsForAMinute() throws Exception {
        List<Case> cases = cases();
        ConcurrentHashMap<String, AtomicLong> perCase = new ConcurrentHashMap<>();
        AtomicLong good = new AtomicLong();
        AtomicLong bad = new AtomicLong();
        AtomicLong serverErrors = new AtomicLong();
        int mark = env.keycloak().logText().length();

        Load load = Load.start(THREADS, (thread, i) -> {
            // alternate good and bad, walking through every case of each kind
            Case c = cases.get((int) ((thread * 7 + i) % cases.size()));
            FormPost.Answer a = c.send.get();
            perCase.computeIfAbsent(c.name, k -> new AtomicLong()).incrementAndGet();
            (c.good ? good : bad).incrementAndGet();
            if (a.status >= 500) {
                serverErrors.incrementAndGet();
            }
            if (c.good) {
                return a.status == 200 && a.json != null && a.json.hasNonNull("access_token") ? null : c.name + ": " + a;
            }
            return a.status == 401 && "invalid_client".equals(a.error()) && !a.json.has("access_token") ? null : c.name + ": " + a;
        });
        OwnKeySource.sleep(DURATION);
        load.stop();

        String log = env.keycloak().logText();
        List<String> newLines = Arrays.asList(log.substring(Math.min(mark, log.length())).split("\\R"));
        List<String> allErrors = newLines.stream().filter(l -> ERROR_LINE.matcher(l).find()).collect(Collectors.toList());
        List<String> errors = allErrors.stream().filter(l -> !l.contains(STOCK_UNPARSABLE_ASSERTION)).collect(Collectors.toList());
        long unparsableSent = perCase.getOrDefault("malformed", new AtomicLong()).get()
                + perCase.getOrDefault("alg none", new AtomicLong()).get();
        List<String> defects = newLines.stream().filter(l -> l.contains("unexpected error while verifying")).collect(Collectors.toList());
        long warnings = newLines.stream().filter(l -> l.matches("^\\S+ \\S+ WARN .*")).count();

        System.out.printf("[concurrency] %d threads, %d cases: %s; good %d (tokens), bad %d (401), 5xx %d, server log: %d ERROR"
                        + " (+%d stock client-jwt KC-SERVICES0025 for %d unparsable assertions), %d WARN%n",
                THREADS, cases.size(), load.summary(), good.get(), bad.get(), serverErrors.get(), errors.size(),
                allErrors.size() - errors.size(), unparsableSent, warnings);
        System.out.println("[concurrency] per case " + perCase);
        if (!load.failures().isEmpty()) {
            System.out.println("[concurrency] first failures " + load.failures().subList(0, Math.min(5, load.failures().size())));
        }

        assertThat(load.failures()).as("requests without the answer they deserved").isEmpty();
        assertThat(serverErrors).hasValue(0);
        assertThat(perCase.keySet()).as("every case ran").hasSize(cases.size());
        assertThat(good.get()).isPositive();
        assertThat(bad.get()).isPositive();
        assertThat(errors).as("ERROR lines in the server log").isEmpty();
        assertThat((long) (allErrors.size() - errors.size())).as("stock KC-SERVICES0025 lines").isLessThanOrEqualTo(unparsableSent);
        assertThat(defects).as("defects caught by the authenticator").isEmpty();
    }
}
