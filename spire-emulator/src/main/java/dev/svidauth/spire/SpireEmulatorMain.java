package dev.svidauth.spire;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Command line entry point for manual use: starts a {@link SpireEmulator}, prints its URLs and,
 * when asked, a minted JWT-SVID or X.509-SVID (chain and key as PEM), then serves until
 * interrupted (or exits at once with {@code --exit}); {@code --x509-bundle-file} keeps the trust
 * domain's X.509 bundle in a PEM file while it serves.
 *
 * <pre>
 * java dev.svidauth.spire.SpireEmulatorMain [--trust-domain example.org] [--port 0]
 *      [--issuer self|none|&lt;url&gt;] [--key-type EC_P256|EC_P384|RSA_2048|RSA_4096] [--set-key-use]
 *      [--x509-authority] [--ttl &lt;seconds&gt;]
 *      [--mint &lt;spiffe-id&gt; --aud &lt;audience&gt;... [--claim k=v]... [--jti]]
 *      [--mint-x509 &lt;spiffe-id&gt;] [--x509-bundle-file &lt;path.pem&gt;] [--exit]
 * </pre>
 */
public final class SpireEmulatorMain {

    private SpireEmulatorMain() {
    }

    /**
     * Runs the emulator with the options above.
     *
     * @param args command line options
     * @throws InterruptedException if interrupted while serving
     */
    public static void main(String[] args) throws InterruptedException {
        PrintStream out = System.out;
        SpireEmulatorBuilder builder = SpireEmulator.builder();
        String mintId = null;
        String mintX509Id = null;
        java.nio.file.Path bundleFile = null;
        List<String> audience = new ArrayList<>();
        Map<String, Object> claims = new LinkedHashMap<>();
        Duration ttl = null;
        boolean jti = false;
        boolean exit = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--trust-domain" -> builder.trustDomain(value(args, ++i, arg));
                case "--port" -> builder.port(Integer.parseInt(value(args, ++i, arg)));
                case "--issuer" -> {
                    String v = value(args, ++i, arg);
                    builder.issuer(switch (v) {
                        case "self" -> SpireEmulator.SELF;
                        case "none" -> null;
                        default -> v;
                    });
                }
                case "--key-type" -> builder.keyType(KeyType.valueOf(value(args, ++i, arg)));
                case "--set-key-use" -> builder.setKeyUse(true);
                case "--x509-authority" -> builder.x509Authority(true);
                case "--ttl" -> ttl = Duration.ofSeconds(Long.parseLong(value(args, ++i, arg)));
                case "--mint" -> mintId = value(args, ++i, arg);
                case "--aud" -> audience.add(value(args, ++i, arg));
                case "--claim" -> {
                    String kv = value(args, ++i, arg);
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--claim wants name=value, got " + kv);
                    }
                    claims.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                case "--jti" -> jti = true;
                case "--mint-x509" -> mintX509Id = value(args, ++i, arg);
                case "--x509-bundle-file" -> bundleFile = java.nio.file.Path.of(value(args, ++i, arg));
                case "--exit" -> exit = true;
                case "-h", "--help" -> {
                    out.println("usage: SpireEmulatorMain [--trust-domain td] [--port n] [--issuer self|none|url]"
                            + " [--key-type EC_P256|EC_P384|RSA_2048|RSA_4096] [--set-key-use] [--x509-authority]"
                            + " [--ttl seconds] [--mint spiffe-id --aud aud... [--claim k=v]... [--jti]]"
                            + " [--mint-x509 spiffe-id] [--x509-bundle-file path.pem] [--exit]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + arg + " (try --help)");
            }
        }

        SpireEmulator spire = builder.start();
        out.println("trust domain : " + spire.trustDomain());
        out.println("issuer       : " + (spire.issuer() == null ? "(none)" : spire.issuer()));
        out.println("discovery    : " + spire.discoveryUrl());
        out.println("jwks         : " + spire.jwksUrl());
        out.println("bundle       : " + spire.bundleUrl());
        out.println("signing kid  : " + spire.signingKey().getKeyID());
        if (mintId != null) {
            JwtSvidBuilder svid = spire.svid(mintId).audience(audience);
            if (ttl != null) {
                svid.ttl(ttl);
            }
            claims.forEach(svid::claim);
            if (jti) {
                svid.withJti();
            }
            out.println("svid         : " + svid.mint());
        }
        if (mintX509Id != null) {
            X509Svid x509 = ttl != null ? spire.mintX509Svid(mintX509Id, ttl) : spire.mintX509Svid(mintX509Id);
            out.print(x509.chainPem());
            out.print(x509.privateKeyPem());
        }
        if (bundleFile != null) {
            spire.keepX509BundlePemUpdated(bundleFile);
            out.println("x509 bundle  : " + bundleFile.toAbsolutePath());
        }
        if (exit) {
            spire.close();
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            spire.close();
            done.countDown();
        }));
        out.println("serving; Ctrl-C to stop");
        done.await();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
