package dev.svidauth.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway nginx, from the machine's own binary (Debian's {@code nginx} package:
 * {@code /usr/sbin/nginx}), terminating TLS on a free loopback port in front of a Keycloak, as
 * users run Keycloak behind a TLS proxy that does the mutual TLS:
 * <ul>
 *   <li>{@code ssl_verify_client optional_no_ca}: nginx asks for a client certificate and
 *       accepts any, without judging it (the SPIFFE trust bundle, not nginx, decides);</li>
 *   <li>the client certificate, URL-escaped PEM ({@code $ssl_client_escaped_cert}), forwarded in
 *       the header {@value #CERT_HEADER}, which Keycloak's {@code nginx} certificate lookup reads;
 *       a header of that name sent by the client is overwritten, never passed on;</li>
 *   <li>{@code X-Forwarded-*} headers, and the upstream connection made from
 *       {@link #UPSTREAM_SOURCE}, so that Keycloak can trust exactly this proxy
 *       ({@code --proxy-trusted-addresses}) and nobody else on the loopback interface.</li>
 * </ul>
 * Runs as the current user with every path under a temporary directory that {@link #close()}
 * deletes; as root, worker processes run as root too ({@code user root}) so they can read it.
 */
public final class LocalNginx implements AutoCloseable {

    /** The header carrying the client certificate to Keycloak (Keycloak's nginx lookup reads it). */
    public static final String CERT_HEADER = "ssl-client-cert";
    /** The loopback address nginx connects to Keycloak from: the only address Keycloak trusts as proxy. */
    public static final String UPSTREAM_SOURCE = "127.0.0.2";

    private static final Path BINARY = Path.of("/usr/sbin/nginx");

    private final Path dir;
    private final int port;
    private final Process process;

    private LocalNginx(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /** Why nginx cannot run here (no binary), or empty. */
    public static Optional<String> unavailableReason() {
        return Files.isExecutable(BINARY) ? Optional.empty()
                : Optional.of("no nginx binary at " + BINARY + " (install Debian's nginx package)");
    }

    /**
     * Starts nginx on a free loopback port: TLS with {@code certificate}/{@code key} (PEM files),
     * client certificates requested, everything proxied to {@code upstream} (e.g.
     * {@code http://127.0.0.1:8080}).
     */
    public static LocalNginx start(Path certificate, Path key, String upstream) {
        unavailableReason().ifPresent(why -> {
            throw new IllegalStateException(why);
        });
        try {
            Path dir = Files.createTempDirectory("svid-auth-nginx-");
            int port = FreePorts.pick();
            Files.writeString(dir.resolve("nginx.conf"), config(dir, port, certificate, key, upstream), StandardCharsets.UTF_8);
            Process process = new ProcessBuilder(BINARY.toString(), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString(),
                    "-e", dir.resolve("error.log").toString(), "-g", "daemon off;")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
            LocalNginx nginx = new LocalNginx(dir, port, process);
            try {
                nginx.awaitListening(Duration.ofSeconds(20));
            } catch (RuntimeException e) {
                String log = nginx.log();
                nginx.close();
                throw new IllegalStateException(e.getMessage() + (log.isEmpty() ? "" : "\n" + log), e);
            }
            return nginx;
        } catch (IOException e) {
            throw new IllegalStateException("nginx did not start: " + e, e);
        }
    }

    static String config(Path dir, int port, Path certificate, Path key, String upstream) {
        boolean root = "root".equals(System.getProperty("user.name"));
        return String.join("\n", List.of(
                root ? "user root;" : "",
                "worker_processes 1;",
                "pid " + dir.resolve("nginx.pid") + ";",
                "events { worker_connections 256; }",
                "http {",
                "  access_log " + dir.resolve("access.log") + ";",
                "  client_body_temp_path " + dir.resolve("body") + ";",
                "  proxy_temp_path " + dir.resolve("proxy") + ";",
                "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";",
                "  uwsgi_temp_path " + dir.resolve("uwsgi") + ";",
                "  scgi_temp_path " + dir.resolve("scgi") + ";",
                "  upstream keycloak { server " + upstream.replaceFirst("^https?://", "") + "; keepalive 16; }",
                "  server {",
                "    listen 127.0.0.1:" + port + " ssl;",
                "    ssl_certificate " + certificate + ";",
                "    ssl_certificate_key " + key + ";",
                "    ssl_protocols TLSv1.2 TLSv1.3;",
                "    ssl_verify_client optional_no_ca;",
                "    ssl_verify_depth 8;",
                "    location / {",
                "      proxy_pass http://keycloak;",
                "      proxy_http_version 1.1;",
                "      proxy_set_header Connection \"\";",
                "      proxy_bind " + UPSTREAM_SOURCE + ";",
                "      proxy_set_header Host $http_host;",
                "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                "      proxy_set_header X-Forwarded-Proto https;",
                "      proxy_set_header X-Forwarded-Host $host;",
                "      proxy_set_header X-Forwarded-Port " + port + ";",
                "      proxy_set_header " + CERT_HEADER + " $ssl_client_escaped_cert;",
                "    }",
                "  }",
                "}",
                ""));
    }

    /** The HTTPS base URL, e.g. {@code https://127.0.0.1:41234}. */
    public String baseUrl() {
        return "https://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** nginx's error log and output so far. */
    public String log() {
        StringBuilder out = new StringBuilder();
        for (String name : List.of("error.log", "stdout.log")) {
            try {
                Path f = dir.resolve(name);
                if (Files.exists(f)) {
                    out.append(Files.readString(f, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // nothing to show
            }
        }
        return out.toString().strip();
    }

    private void awaitListening(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nginx exited with " + process.exitValue());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", ie);
                }
            }
        }
        throw new IllegalStateException("nginx did not listen on port " + port + " within " + timeout.toSeconds() + " s");
    }

    /** Stops nginx and deletes its directory. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("[nginx] could not delete " + dir + ": " + e);
        }
    }
}
