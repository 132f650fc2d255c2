package dev.svidauth.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * What a {@link KeycloakServer.Builder} was told, fixed at {@link KeycloakServer.Builder#start()}:
 * the options of {@code kc.sh build} and {@code kc.sh start}, the server's environment, and the
 * provider JARs and realm files installed into the distribution before it starts.
 */
final class ServerConfig {

    private static final ObjectMapper REALM_JSON = new ObjectMapper();

    final Path distZip;
    final Path workDir;
    final List<Path> providerJars;
    final List<Path> realmFiles;
    final Set<String> features;
    final List<String> options;
    final List<String> buildOptions;
    final Map<String, String> env;
    final String heap;
    final Consumer<String> progress;
    final Duration startTimeout;
    final boolean freshDatabase;
    final String dbVendor;
    /** {@code --cache} of {@code kc.sh start}: local or ispn. */
    final String cache;
    /** The HTTPS listener, or null for HTTP only. */
    final Https https;

    /**
     * An HTTPS listener next to the HTTP one: its server certificate is made at start
     * ({@link ServerTls} in {@code <workDir>/tls}). The static methods check what a
     * {@link KeycloakServer.Builder} is given, so that a mistake fails there and not at start.
     *
     * @param trustStore PEM or PKCS #12 file of the authorities client certificates must chain to, or null
     * @param trustStorePassword of a PKCS #12 trust store; null for PEM
     * @param clientAuth {@code none}, {@code request} or {@code required}
     * @param reloadPeriod how often Keycloak re-reads the certificate files and the trust store
     */
    record Https(Path trustStore, String trustStorePassword, String clientAuth, Duration reloadPeriod) {

        /** The listener with client authentication {@code request} with a trust store, {@code none} without, unless set. */
        static Https of(Path trustStore, String trustStorePassword, String clientAuth, Duration reloadPeriod) {
            return new Https(trustStore, trustStorePassword,
                    clientAuth != null ? clientAuth : trustStore != null ? "request" : "none", reloadPeriod);
        }

        /** {@code pemFile}, whose name must tell Keycloak it is PEM: {@code .pem}, {@code .crt} or {@code .ca}. */
        static Path pemTrustStore(Path pemFile) {
            String name = Objects.requireNonNull(pemFile, "pemFile").getFileName().toString();
            if (!name.endsWith(".pem") && !name.endsWith(".crt") && !name.endsWith(".ca")) {
                throw new IllegalArgumentException("Keycloak reads a trust store as PEM only when its name ends in .pem, .crt or .ca: " + pemFile);
            }
            return pemFile;
        }

        /** {@code p12File}, whose name must tell Keycloak it is PKCS #12: {@code .p12}. */
        static Path p12TrustStore(Path p12File) {
            String name = Objects.requireNonNull(p12File, "p12File").getFileName().toString();
            if (!name.endsWith(".p12")) {
                throw new IllegalArgumentException("Keycloak reads a trust store as PKCS #12 when its name ends in .p12: " + p12File);
            }
            return p12File;
        }

        /** {@code mode}, one of the values of {@code --https-client-auth}. */
        static String clientAuth(String mode) {
            if (!List.of("none", "request", "required").contains(mode)) {
                throw new IllegalArgumentException("https-client-auth is none, request or required: " + mode);
            }
            return mode;
        }

        /** {@code period}, at least the 30 s Quarkus allows. */
        static Duration reloadPeriod(Duration period) {
            if (period == null || period.compareTo(Duration.ofSeconds(30)) < 0) {
                throw new IllegalArgumentException("Keycloak re-reads certificates at most every 30 s: " + period);
            }
            return period;
        }
    }

    ServerConfig(Path distZip, Path workDir, List<Path> providerJars, List<Path> realmFiles, Set<String> features,
                 List<String> options, List<String> buildOptions, Map<String, String> env, String heap,
                 Consumer<String> progress, Duration startTimeout, boolean freshDatabase, String dbVendor, String cache,
                 Https https) {
        this.distZip = distZip;
        this.workDir = workDir;
        this.providerJars = List.copyOf(providerJars);
        this.realmFiles = List.copyOf(realmFiles);
        this.features = new LinkedHashSet<>(features);
        this.options = List.copyOf(options);
        this.buildOptions = List.copyOf(buildOptions);
        this.env = new LinkedHashMap<>(env);
        this.heap = heap;
        this.progress = progress;
        this.startTimeout = startTimeout;
        this.freshDatabase = freshDatabase;
        this.dbVendor = dbVendor;
        this.cache = cache;
        this.https = https;
    }

    /** The options of {@code kc.sh build}. */
    List<String> effectiveBuildOptions() {
        List<String> all = new ArrayList<>(KeycloakServer.BASE_BUILD_OPTIONS);
        all.replaceAll(o -> o.equals("--db=dev-file") ? "--db=" + dbVendor : o);
        if (!features.isEmpty()) {
            all.add("--features=" + String.join(",", features));
        }
        if (https != null && !"none".equals(https.clientAuth())) {
            all.add("--https-client-auth=" + https.clientAuth()); // a build option in Keycloak 26
        }
        all.addAll(buildOptions);
        return all;
    }

    /** Where {@link ServerTls} writes the server's certificate and key. */
    Path tlsDir() {
        return workDir.toAbsolutePath().normalize().resolve(ServerLaunch.TLS_DIR);
    }

    /** How many free ports a start needs: HTTP, management, and HTTPS if enabled. */
    int portCount() {
        return https == null ? 2 : 3;
    }

    /** The arguments after {@code kc.sh} for starting on the given ports, without HTTPS. */
    List<String> startArguments(int httpPort, int managementPort) {
        return startArguments(httpPort, managementPort, -1);
    }

    /** The arguments after {@code kc.sh} for starting on the given ports ({@code httpsPort} used only with HTTPS). */
    List<String> startArguments(int httpPort, int managementPort, int httpsPort) {
        List<String> args = new ArrayList<>(List.of(
                "start",
                "--optimized",
                "--http-enabled=true",
                "--http-host=127.0.0.1",
                "--http-port=" + httpPort,
                "--http-management-port=" + managementPort,
                "--hostname-strict=false",
                "--import-realm",
                // one node needs no cluster: without this (a run-time option since Keycloak 26), start
                // mode runs JGroups, which listens on all interfaces (port 7800) and slows every start;
                // KeycloakCluster sets ispn and binds JGroups to the loopback address
                "--cache=" + cache,
                "--log-console-color=false",
                // every /health/ready poll that finds the server not yet ready logs a line at INFO
                "--log-level-io.smallrye.health=warn"));
        if (https != null) {
            Path tls = tlsDir();
            args.add("--https-port=" + httpsPort);
            args.add("--https-certificate-file=" + tls.resolve(ServerTls.CERTIFICATE_FILE));
            args.add("--https-certificate-key-file=" + tls.resolve(ServerTls.KEY_FILE));
            if (https.trustStore() != null) {
                args.add("--https-trust-store-file=" + https.trustStore().toAbsolutePath().normalize());
                if (https.trustStorePassword() != null) {
                    args.add("--https-trust-store-password=" + https.trustStorePassword());
                }
            }
            args.add("--https-certificates-reload-period=" + https.reloadPeriod().toSeconds() + "s");
            // the management interface would otherwise inherit HTTPS; the readiness check polls it over HTTP
            args.add("--http-management-scheme=http");
        }
        args.addAll(options);
        return args;
    }

    /** The server's environment: the inherited one minus anything that would reconfigure Keycloak, plus ours. */
    Map<String, String> processEnvironment(Map<String, String> inherited, Path dir) {
        Map<String, String> result = new LinkedHashMap<>();
        inherited.forEach((k, v) -> {
            if (!isKeycloakVariable(k)) {
                result.put(k, v);
            }
        });
        result.put("JAVA_HOME", System.getProperty("java.home"));
        result.put("JAVA_OPTS_KC_HEAP", heap);
        result.put("KC_BOOTSTRAP_ADMIN_USERNAME", KeycloakServer.ADMIN_USERNAME);
        result.put("KC_BOOTSTRAP_ADMIN_PASSWORD", KeycloakServer.ADMIN_PASSWORD);
        String append = "-Djava.io.tmpdir=" + dir.resolve(ServerLaunch.TMP_DIR) + " -XX:-UsePerfData";
        result.putAll(env);
        if (env.containsKey("JAVA_OPTS_APPEND")) {
            append = append + " " + env.get("JAVA_OPTS_APPEND");
        }
        result.put("JAVA_OPTS_APPEND", append);
        return result;
    }

    static boolean isKeycloakVariable(String name) {
        return name.startsWith("KC_") || name.startsWith("KEYCLOAK_") || name.startsWith("QUARKUS_")
                || name.startsWith("JAVA_OPTS") || name.equals("JAVA_ADD_OPENS") || name.equals("JAVA_LOCALE")
                || name.equals("JAVA") || name.equals("DEBUG") || name.equals("DEBUG_PORT")
                || name.equals("DEBUG_SUSPEND") || name.equals("PRINT_ENV");
    }

    /**
     * Copies the provider JARs into {@code providers/}, removing the other JARs of earlier starts
     * and keeping one whose content is unchanged (with its file time).
     */
    List<Path> installProviders(Path home) throws IOException {
        Path providers = home.resolve("providers");
        Files.createDirectories(providers);
        for (Path jar : providerJars) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("provider JAR not found: " + jar.toAbsolutePath()
                        + " (build it first)");
            }
        }
        try (Stream<Path> old = Files.list(providers)) {
            for (Path p : (Iterable<Path>) old.filter(p -> p.getFileName().toString().endsWith(".jar"))::iterator) {
                Path source = providerJars.stream().filter(jar -> jar.getFileName().equals(p.getFileName())).findFirst().orElse(null);
                if (source == null || Files.mismatch(source, p) != -1) {
                    Files.delete(p);
                }
            }
        }
        List<Path> installed = new ArrayList<>();
        for (Path jar : providerJars) {
            Path target = providers.resolve(jar.getFileName());
            // An unchanged JAR (a reproducible build makes the same bytes again) stays as it is: a new
            // file time would make the optimized server refuse to start ("A provider JAR was updated
            // since the last build") while the build fingerprint, which hashes the content, asks for no build.
            if (!Files.exists(target)) {
                Files.copy(jar, target, StandardCopyOption.COPY_ATTRIBUTES);
            }
            installed.add(target);
        }
        return installed;
    }

    /** Replaces {@code data/import/} with the realm files, each under the name Keycloak requires. */
    void installRealms(Path home) throws IOException {
        Path importDir = home.resolve("data").resolve("import");
        DistArchive.deleteRecursively(importDir);
        Files.createDirectories(importDir);
        Set<String> names = new LinkedHashSet<>();
        for (Path realm : realmFiles) {
            if (!Files.isRegularFile(realm)) {
                throw new IllegalStateException("realm file not found: " + realm.toAbsolutePath());
            }
            String name = importFileName(realm);
            if (!names.add(name)) {
                throw new IllegalStateException("two realm files import the same realm (" + name + "): " + realmFiles);
            }
            Files.copy(realm, importDir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * The name a file must have in {@code data/import}: Keycloak refuses to start when a realm
     * file is not named {@code <realm>-realm.json} after the realm it contains. Partial user
     * files ({@code <realm>-users-<n>.json}) keep their name.
     */
    static String importFileName(Path realmFile) throws IOException {
        String name = realmFile.getFileName().toString();
        if (name.matches(".+-users-\\d+\\.json")) {
            return name;
        }
        String realm;
        try (InputStream in = Files.newInputStream(realmFile)) {
            realm = REALM_JSON.readTree(in).path("realm").asText("");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("realm file is not JSON: " + realmFile.toAbsolutePath(), e);
        }
        if (realm.isEmpty()) {
            throw new IllegalStateException("realm file has no \"realm\" name: " + realmFile.toAbsolutePath());
        }
        return realm + "-realm.json";
    }
}
