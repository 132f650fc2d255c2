package dev.svidauth.fuzz;

import dev.svidauth.fuzz.SvidMutations.Identity;
import dev.svidauth.fuzz.SvidMutations.Mutator;
import dev.svidauth.fuzz.SvidMutations.Seed;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The generator's contract: a seed names the same inputs, the catalogue is stable, seeds are genuine. */
class SvidMutationsTest {

    private static final long SEED = 20260701L;
    private static final Instant NOW = Instant.parse("2026-07-01T12:00:00Z");
    private static final String ISS = "https://oidc-discovery.example.org";
    private static final String AUD = "https://keycloak.example.com/realms/svid";
    private static final String SUB = "spiffe://example.org/ns/apps/sa/payments";
    private static final String EC_KID = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    private static final String RSA_KID = "ZyXwVuTsRqPoNmLkJiHgFeDcBa987654";
    private static final String CLAIMS = "{\"aud\":[\"" + AUD + "\"],\"exp\":" + (NOW.getEpochSecond() + 300) + ",\"iat\":"
            + NOW.getEpochSecond() + ",\"iss\":\"" + ISS + "\",\"sub\":\"" + SUB + "\"}";

    /** The keys of one seed, drawn once: RSA generation is the slow part. */
    private static KeyPair ec;
    private static KeyPair rsa;
    private static KeyPair attackerEc;
    private static KeyPair attackerRsa;

    @BeforeAll
    static void keys() {
        SecureRandom drbg = SvidMutations.drbg(SEED);
        ec = SvidMutations.ecKeyPair(drbg);
        rsa = SvidMutations.rsaKeyPair(drbg);
        attackerEc = SvidMutations.ecKeyPair(drbg);
        attackerRsa = SvidMutations.rsaKeyPair(drbg);
    }

    /** A generator on {@code seed} and its two genuine seeds (ES256 and RS256), set as its seeds. */
    private record Fixture(SvidMutations generator, List<Seed> seeds) {
        static Fixture of(long seed) {
            SvidMutations g = new SvidMutations(new Random(seed), SvidMutations.drbg(seed),
                    new Identity(ISS, AUD, AUD + "/protocol/openid-connect/token", SUB, EC_KID, RSA_KID, NOW),
                    ec, rsa, attackerEc, attackerRsa);
            List<Seed> seeds = List.of(
                    g.seed("{\"alg\":\"ES256\",\"kid\":\"" + EC_KID + "\",\"typ\":\"JWT\"}", CLAIMS, "ES256", ec.getPrivate()),
                    g.seed("{\"alg\":\"RS256\",\"kid\":\"" + RSA_KID + "\",\"typ\":\"JWT\"}", CLAIMS, "RS256", rsa.getPrivate()));
            g.seeds(seeds);
            return new Fixture(g, seeds);
        }

        /** Every mutator of the catalogue and header-edit. */
        List<Mutator> allMutators() {
            List<Mutator> all = new ArrayList<>(generator.mutators());
            all.addAll(generator.mutators("header-edit"));
            return all;
        }

        /** Applies every mutator {@code rounds} times to each seed, in a fixed order. */
        List<String> run(int rounds) {
            List<Mutator> all = allMutators();
            List<String> out = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                for (Mutator m : all) {
                    for (Seed s : seeds) {
                        out.add(m.name() + " " + m.apply().apply(s));
                    }
                }
            }
            return out;
        }
    }

    @Test
    void aSeedNamesTheSameInputsOnEveryRunAndAnotherSeedOthers() {
        List<String> a = Fixture.of(SEED).run(20);
        List<String> b = Fixture.of(SEED).run(20);
        List<String> c = Fixture.of(SEED + 1).run(20);

        assertThat(a).hasSize(20 * 18 * 2).isEqualTo(b);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void theCatalogueListsTheFuzzTestsMutatorsInTheirOrder() {
        assertThat(Fixture.of(SEED).generator().mutators()).extracting(Mutator::name).containsExactly(
                "bit-flip", "char-substitution", "truncation", "range-deletion", "insertion", "range-duplication",
                "part-shuffle", "part-from-other-token", "random-base64url-part", "random-token", "random-json-header",
                "claim-edit", "raw-json-text", "non-json-part", "signature-tampering", "alg-confusion",
                "base64url-non-canonical");
    }

    @Test
    void aSelectionKeepsTheGivenOrderAndRefusesAnUnknownName() {
        SvidMutations g = Fixture.of(SEED).generator();

        assertThat(g.mutators("header-edit", "bit-flip", "claim-edit")).extracting(Mutator::name)
                .containsExactly("header-edit", "bit-flip", "claim-edit");
        assertThatThrownBy(() -> g.mutators("bit-flip", "no-such-mutation"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no mutator 'no-such-mutation'")
                .hasMessageContaining("header-edit");
    }

    @Test
    void everyMutatorOftenYieldsSomethingOtherThanTheGenuineToken() {
        Fixture f = Fixture.of(SEED);
        for (Mutator m : f.allMutators()) {
            int changed = 0;
            for (int i = 0; i < 50; i++) {
                Seed s = f.seeds().get(i % 2);
                if (!m.apply().apply(s).equals(s.token())) {
                    changed++;
                }
            }
            // part-from-other-token is the rarest: with two seeds of one payload, about a third of its picks differ.
            assertThat(changed).as(m.name()).isGreaterThanOrEqualTo(10);
        }
    }

    @Test
    void seedsAreGenuineSignaturesAndExistingTokensKeepTheirParts() throws Exception {
        for (Seed s : Fixture.of(SEED).seeds()) {
            String[] p = s.parts();
            Signature verifier = Signature.getInstance(s.alg().equals("ES256") ? "SHA256withECDSAinP1363Format" : "SHA256withRSA");
            verifier.initVerify((s.alg().equals("ES256") ? ec : rsa).getPublic());
            verifier.update((p[0] + "." + p[1]).getBytes(StandardCharsets.US_ASCII));
            assertThat(verifier.verify(Base64.getUrlDecoder().decode(p[2]))).as(s.alg()).isTrue();

            Seed again = SvidMutations.existing(s.token(), s.alg(), s.key());
            assertThat(again.headerJson()).isEqualTo(s.headerJson());
            assertThat(again.payloadJson()).isEqualTo(CLAIMS);
            assertThat(again.parts()).containsExactly(p);
        }
    }
}
