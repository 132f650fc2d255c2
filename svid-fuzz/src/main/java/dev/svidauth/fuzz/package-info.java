/**
 * Reproducible hostile JWT-SVID assertions for fuzz tests: {@link dev.svidauth.fuzz.SvidMutations}
 * derives them from genuine tokens by byte and character edits, changes to the token's structure,
 * hostile JSON in header and claims, tampered signatures and algorithm confusion. Its two users are
 * {@code SvidFuzzTest} (the verification core, in memory) and {@code FuzzIT} (the token endpoint of
 * a real Keycloak); both name a seed, so a failure can be replayed exactly.
 *
 * <pre>{@code
 * SecureRandom drbg = SvidMutations.drbg(seed);
 * SvidMutations generator = new SvidMutations(new Random(seed), drbg, identity, ec, rsa,
 *         SvidMutations.ecKeyPair(drbg), SvidMutations.rsaKeyPair(drbg));
 * SvidMutations.Seed genuine = SvidMutations.existing(svid, "ES256", signingKey);
 * generator.seeds(List.of(genuine));
 * for (SvidMutations.Mutator m : generator.mutators()) {
 *     String hostile = m.apply().apply(genuine);   // must be refused
 * }
 * }</pre>
 */
package dev.svidauth.fuzz;
