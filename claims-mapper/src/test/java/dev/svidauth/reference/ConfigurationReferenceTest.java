package dev.svidauth.reference;

import dev.svidauth.keycloak.client.ClientBoundSvid;
import dev.svidauth.keycloak.client.SvidClientConfig;
import dev.svidauth.keycloak.client.SvidMethod;
import dev.svidauth.keycloak.jwt.JwtSvidClientAuthenticatorFactory;
import dev.svidauth.keycloak.registration.SvidClientRegistrationProvider;
import dev.svidauth.keycloak.trustdomain.TrustDomainEntry;
import dev.svidauth.keycloak.wit.WitSvidClientAuthenticatorFactory;
import dev.svidauth.keycloak.x509.X509SvidClientAuthenticatorFactory;
import dev.svidauth.mapper.SvidClaimMapper;
import dev.svidauth.mapper.SvidClaimValues;
import dev.svidauth.rejection.Reason;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.keycloak.Config;
import org.keycloak.authentication.ClientAuthenticatorFactory;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.provider.Spi;
import org.keycloak.representations.oidc.OIDCClientRepresentation;
import org.keycloak.util.JsonSerialization;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/configuration.md against the code, both ways: every public name the code declares has its
 * row in the page's table for that kind of name, and every row of those tables names something
 * the code declares. The names are collected from the code itself, never from a list kept here:
 * the providers registered in the modules' {@code META-INF/services} files and what they declare
 * ({@link ProviderFactory#getConfigMetadata()} for provider options,
 * {@code getConfigPropertiesPerClient()}, {@code getConfigProperties()},
 * {@link ServerInfoAwareProviderFactory#getOperationalInfo()}, discovery's auth methods),
 * {@link Reason#values()}, {@link SvidMethod#values()}, the contract's constant lists, the
 * {@code DETAIL_*}, {@code METRIC_*} and {@code INFO_*} constants of the compiled classes, and the
 * packages of the compiled classes (log categories). The names docs/DESIGN.md lists as its public
 * contract must be on the page too.
 *
 * <p>It lives in {@code claims-mapper} because that is the one module whose test class path holds
 * every module that declares a public name (svid-core, spi-client-authenticator and the mapper)
 * with the Keycloak classes they need, so it reads the declarations as compiled and needs no
 * server.
 */
class ConfigurationReferenceTest {

    private static Path root;
    private static Page page;
    /** Every provider the JAR's modules register, with the SPI it is registered for. */
    private static List<Registered> providers;

    @BeforeAll
    static void readPageAndProviders() throws IOException {
        root = repositoryRoot();
        page = Page.read(root.resolve("docs/configuration.md"));
        providers = registeredProviders();
    }

    @Test
    void providersInTheJar() {
        Set<String> code = providers.stream().map(p -> p.id() + " @ " + p.spi()).collect(Collectors.toCollection(TreeSet::new));
        Set<String> documented = new TreeSet<>();
        for (List<String> row : page.rows("Providers in the JAR")) {
            documented.add(name(row.get(0)) + " @ " + name(row.get(1)));
        }
        assertSameNames("providers (id @ SPI)", code, documented);
    }

    @Test
    void clientAuthenticators() {
        Map<String, ClientAuthenticatorFactory> code = new LinkedHashMap<>();
        providers.stream().filter(p -> p.factory() instanceof ClientAuthenticatorFactory)
                .forEach(p -> code.put(p.id(), (ClientAuthenticatorFactory) p.factory()));
        Map<String, List<String>> rows = page.rowsByName("Client authenticators");
        assertSameNames("client authenticators", code.keySet(), rows.keySet());
        code.forEach((id, factory) -> {
            assertThat(rows.get(id).get(1)).as(id + ": display name").isEqualTo(factory.getDisplayType());
            assertThat(names(rows.get(id).get(2))).as(id + ": token_endpoint_auth_method")
                    .containsExactlyElementsOf(factory.getProtocolAuthenticatorMethods(OIDCLoginProtocol.LOGIN_PROTOCOL));
        });
    }

    @Test
    void jwtSvidClientAttributes() {
        List<ProviderConfigProperty> declared = new JwtSvidClientAuthenticatorFactory().getConfigPropertiesPerClient();
        checkProperties("JWT-SVID client attributes", declared, Set.of(), "JWT-SVID clients (`client-svid-jwt`)", 3);
    }

    @Test
    void x509SvidClientAttributes() {
        List<ProviderConfigProperty> declared = new X509SvidClientAuthenticatorFactory().getConfigPropertiesPerClient();
        checkProperties("X.509-SVID client attributes", declared, new LinkedHashSet<>(SvidClientConfig.X509),
                "X.509-SVID clients (`client-svid-x509`)", 3);
    }

    @Test
    void witSvidClientAttributes() {
        List<ProviderConfigProperty> declared = new WitSvidClientAuthenticatorFactory().getConfigPropertiesPerClient();
        checkProperties("WIT-SVID client attributes", declared, new LinkedHashSet<>(SvidClientConfig.WIT),
                "WIT-SVID clients (`client-svid-wit`)", 3);
    }

    /** The three attribute tables together are the contract's list of client attributes, no more, no less. */
    @Test
    void everyClientAttributeOfTheContractHasARow() {
        Set<String> documented = new TreeSet<>(page.rowsByName("JWT-SVID clients (`client-svid-jwt`)").keySet());
        documented.addAll(page.rowsByName("X.509-SVID clients (`client-svid-x509`)").keySet());
        documented.addAll(page.rowsByName("WIT-SVID clients (`client-svid-wit`)").keySet());
        assertSameNames("client attributes (SvidClientConfig.ALL)", new TreeSet<>(SvidClientConfig.ALL), documented);
    }

    @Test
    void trustDomainFields() {
        ProviderFactory<?> pageFactory = provider("ui-page", TrustDomainEntry.PROVIDER_ID);
        List<ProviderConfigProperty> declared = ((org.keycloak.provider.ConfiguredProvider) pageFactory).getConfigProperties();
        String heading = "Trust-domain entries (`svid-trust-domain`)";
        checkProperties("trust-domain fields", declared, new LinkedHashSet<>(TrustDomainEntry.ALL), heading, 4);
        checkLabels("trust-domain fields", declared, page.rowsByName(heading));
    }

    /**
     * Every option any provider of the JAR declares ({@link ProviderFactory#getConfigMetadata()}),
     * in Keycloak 26's two spellings: {@code --spi-<spi>--<provider>--<option>} and
     * {@code KC_SPI_<SPI>__<PROVIDER>__<OPTION>}, with its type and default.
     */
    @Test
    void providerOptions() {
        Map<String, ProviderConfigProperty> code = new LinkedHashMap<>();
        for (Registered p : providers) {
            List<ProviderConfigProperty> options = p.factory().getConfigMetadata();
            if (options != null) {
                options.forEach(o -> code.put(cliOption(p.spi(), p.id(), o.getName()), o));
            }
        }
        Map<String, List<String>> rows = page.rowsByNameWithSubsections("Provider options");
        assertSameNames("provider options", code.keySet(), rows.keySet());
        code.forEach((cli, option) -> {
            List<String> row = rows.get(cli);
            assertThat(name(row.get(1))).as(cli + ": environment variable").isEqualTo(environmentVariable(cli));
            assertThat(row.get(2)).as(cli + ": type").startsWith(option.getType());
            Object dflt = option.getDefaultValue();
            if (dflt != null && !String.valueOf(dflt).isEmpty()) {
                assertThat(name(row.get(4))).as(cli + ": default").isEqualTo(String.valueOf(dflt));
            } else {
                assertThat(row.get(4)).as(cli + ": default").startsWith("empty");
            }
        });
    }

    @Test
    void registrationAuthMethods() {
        Map<String, List<String>> rows = page.rowsByName("`token_endpoint_auth_method` values");
        Set<String> code = Arrays.stream(SvidMethod.values()).map(SvidMethod::authMethod).collect(Collectors.toCollection(TreeSet::new));
        assertSameNames("token_endpoint_auth_method values", code, rows.keySet());
        for (SvidMethod m : SvidMethod.values()) {
            assertThat(name(rows.get(m.authMethod()).get(1))).as(m.authMethod() + ": client authenticator").isEqualTo(m.providerId());
        }
    }

    @Test
    void registrationMetadata() throws IOException {
        Set<String> code = new TreeSet<>(publicConstants(SvidClientRegistrationProvider.class, ""));
        code.add(jwksUriMember());
        assertSameNames("registration metadata", code, page.rowsByName("Registration metadata").keySet());
    }

    @Test
    void registrationPolicyOptions() {
        ProviderFactory<?> policy = provider("client-registration-policy", "svid-registration");
        List<ProviderConfigProperty> declared = ((org.keycloak.provider.ConfiguredProvider) policy).getConfigProperties();
        String heading = "Client registration policy (`svid-registration`)";
        checkProperties("svid-registration options", declared, Set.of(), heading, 3);
        checkLabels("svid-registration options", declared, page.rowsByName(heading));
    }

    @Test
    void discoveryValues() {
        Map<String, String> code = new LinkedHashMap<>();
        providers.stream().filter(p -> p.factory() instanceof ClientAuthenticatorFactory).forEach(p ->
                ((ClientAuthenticatorFactory) p.factory()).getProtocolAuthenticatorMethods(OIDCLoginProtocol.LOGIN_PROTOCOL)
                        .forEach(m -> code.put(m, p.id())));
        Map<String, List<String>> rows = page.rowsByName("Discovery");
        assertSameNames("discovery values", code.keySet(), rows.keySet());
        code.forEach((value, id) -> assertThat(name(rows.get(value).get(1))).as(value + ": advertised by").isEqualTo(id));
    }

    @Test
    void mapperSettings() {
        List<ProviderConfigProperty> declared = new SvidClaimMapper().getConfigProperties();
        checkProperties("mapper settings", declared, Set.of(), "Protocol mapper (`oidc-svid-claim-mapper`)", 3);
    }

    @Test
    void mapperDerivedSources() {
        assertSameNames("derived sources of svid.claim", publicConstants(SvidClaimValues.class, "SOURCE_"),
                page.rowsByName("Derived sources").keySet());
    }

    @Test
    void clientSessionNotes() {
        assertSameNames("client-session notes", new TreeSet<>(ClientBoundSvid.NOTE_NAMES),
                page.rowsByName("Client-session notes").keySet());
    }

    /** Every code, and the caller's fixed text of each, exactly as {@link Reason#callerDescription()} gives it. */
    @Test
    void reasonCodes() {
        Map<String, List<String>> rows = page.rowsByName("Reason codes");
        Set<String> code = Arrays.stream(Reason.values()).map(Reason::code).collect(Collectors.toCollection(TreeSet::new));
        assertSameNames("reason codes", code, rows.keySet());
        for (Reason r : Reason.values()) {
            assertThat(name(rows.get(r.code()).get(1))).as(r.code() + ": error_description").isEqualTo(r.callerDescription());
        }
    }

    @Test
    void eventDetails() throws IOException {
        assertSameNames("event details", constantsOfCompiledClasses("DETAIL_"), page.rowsByName("Event details").keySet());
    }

    /**
     * Micrometer names against the Prometheus series the page lists: the registry adds
     * {@code _total} to a counter and the base unit {@code _seconds} to a timer.
     */
    @Test
    void metrics() throws IOException {
        Set<String> code = constantsOfCompiledClasses("METRIC_");
        Set<String> documented = page.rowsByName("Metrics").keySet();
        Function<String, String> stem = series -> code.contains(series) ? series
                : Stream.of("_total", "_seconds").filter(series::endsWith)
                .map(s -> series.substring(0, series.length() - s.length())).filter(code::contains).findFirst().orElse(series);
        assertSameNames("metrics", code, documented.stream().map(stem).collect(Collectors.toCollection(TreeSet::new)));
    }

    /**
     * What each Server Info aware provider shows once initialized with the default options, and
     * the {@code INFO_*} keys of the compiled classes (those shown only with a running server, or
     * one key per URL or realm: the page writes them {@code key <placeholder>}).
     */
    @Test
    void serverInfoKeys() throws IOException {
        Set<String> code = new TreeSet<>(constantsOfCompiledClasses("INFO_"));
        for (Registered p : registeredProviders()) {
            if (p.factory() instanceof ServerInfoAwareProviderFactory info) {
                p.factory().init(new Config.SystemPropertiesScope("svidauth.reference.unset."));
                try {
                    code.addAll(info.getOperationalInfo().keySet());
                } finally {
                    p.factory().close();
                }
            }
        }
        Set<String> documented = page.rowsByName("Server Info").keySet().stream()
                .map(k -> k.replaceFirst(" <[^>]+>$", "")).collect(Collectors.toCollection(TreeSet::new));
        assertSameNames("Server Info keys", code, documented);
    }

    @Test
    void logCategories() throws IOException {
        Set<String> code = new TreeSet<>();
        for (Path location : codeLocations()) {
            for (String entry : entries(location)) {
                if (entry.endsWith(".class")) {
                    code.add(entry.substring(0, entry.lastIndexOf('/')).replace('/', '.'));
                }
            }
        }
        assertSameNames("log categories (packages)", code, page.rowsByName("Log categories").keySet());
    }

    /**
     * docs/DESIGN.md's "Public contract" lists the names that belong to the contract and leaves
     * their meaning to this page: each name it lists (a lower-case code span, tags cut off) is one
     * of this page's too.
     */
    @Test
    void designContractNamesAreInTheReference() throws IOException {
        String design = Files.readString(root.resolve("docs/DESIGN.md"), StandardCharsets.UTF_8);
        int start = design.indexOf("\n## Public contract");
        assertThat(start).as("docs/DESIGN.md has a section \"Public contract\"").isNotNegative();
        int end = design.indexOf("\n## ", start + 1);
        String contract = design.substring(start, end < 0 ? design.length() : end);
        Set<String> onThisPage = new TreeSet<>(names(Files.readString(root.resolve("docs/configuration.md"), StandardCharsets.UTF_8)));
        Set<String> contractNames = new TreeSet<>();
        for (String span : names(contract)) {
            String name = span.replaceFirst("\\{[^}]*}$", "");
            if (name.matches("[a-z][a-z0-9_.\\-]*( <[a-z]+>)?")) {
                contractNames.add(name);
            }
        }
        assertThat(contractNames).as("names of DESIGN.md's contract").hasSizeGreaterThan(50);
        // a provider option is on this page in its command-line form, --spi-<spi>--<provider>--<option>
        contractNames.removeIf(n -> onThisPage.contains(n) || onThisPage.stream().anyMatch(p -> p.endsWith("--" + n)));
        assertThat(contractNames).as("named in docs/DESIGN.md's \"Public contract\" but missing from docs/configuration.md").isEmpty();
    }

    // ---- the code side

    /** A provider registered in a {@code META-INF/services} file of the JAR's modules. */
    private record Registered(String spi, String id, ProviderFactory<?> factory) {
    }

    private static List<Registered> registeredProviders() throws IOException {
        Map<String, String> spiNames = new LinkedHashMap<>();
        ServiceLoader.load(Spi.class).stream().forEach(provider -> {
            try {
                Spi spi = provider.get();
                spiNames.put(spi.getProviderFactoryClass().getName(), spi.getName());
            } catch (Throwable e) {
                // an SPI of Keycloak's whose classes are not on this class path: none of ours
            }
        });
        List<Registered> found = new ArrayList<>();
        for (Path location : codeLocations()) {
            for (String entry : entries(location)) {
                if (!entry.startsWith("META-INF/services/") || entry.endsWith("/")) {
                    continue;
                }
                String iface = entry.substring("META-INF/services/".length());
                String spi = spiNames.get(iface);
                assertThat(spi).as("the Keycloak SPI of " + entry).isNotNull();
                for (String line : read(location, entry).split("\n")) {
                    String className = line.replaceFirst("#.*", "").trim();
                    if (!className.isEmpty()) {
                        ProviderFactory<?> factory = instantiate(className);
                        found.add(new Registered(spi, factory.getId(), factory));
                    }
                }
            }
        }
        assertThat(found).as("providers registered by the JAR's modules").isNotEmpty();
        return found;
    }

    private static ProviderFactory<?> provider(String spi, String id) {
        return providers.stream().filter(p -> p.spi().equals(spi) && p.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no provider " + id + " registered for SPI " + spi)).factory();
    }

    private static ProviderFactory<?> instantiate(String className) {
        try {
            return (ProviderFactory<?>) Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot instantiate " + className, e);
        }
    }

    /** Where the classes of svid-core, spi-client-authenticator and claims-mapper were loaded from (directories or JARs). */
    private static List<Path> codeLocations() {
        List<Path> locations = new ArrayList<>();
        for (Class<?> c : List.of(Reason.class, SvidClientConfig.class, SvidClaimMapper.class)) {
            try {
                locations.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
            } catch (URISyntaxException e) {
                throw new AssertionError(e);
            }
        }
        return locations;
    }

    /** The entries of a class-path location, as {@code a/b/C.class} paths. */
    private static List<String> entries(Path location) throws IOException {
        if (Files.isDirectory(location)) {
            try (Stream<Path> files = Files.walk(location)) {
                return files.filter(Files::isRegularFile).map(f -> location.relativize(f).toString().replace('\\', '/')).toList();
            }
        }
        try (JarFile jar = new JarFile(location.toFile())) {
            return jar.stream().map(JarEntry::getName).toList();
        }
    }

    private static byte[] bytes(Path location, String entry) throws IOException {
        if (Files.isDirectory(location)) {
            return Files.readAllBytes(location.resolve(entry));
        }
        try (JarFile jar = new JarFile(location.toFile()); InputStream in = jar.getInputStream(jar.getEntry(entry))) {
            return in.readAllBytes();
        }
    }

    private static String read(Path location, String entry) throws IOException {
        return new String(bytes(location, entry), StandardCharsets.UTF_8);
    }

    /**
     * The values of the {@code static final String} fields whose name starts with {@code prefix},
     * in every compiled class of the three modules. Only classes whose class file holds the
     * prefix are loaded (a constant's field name is in its own class's file only).
     */
    private static Set<String> constantsOfCompiledClasses(String prefix) throws IOException {
        Set<String> values = new TreeSet<>();
        byte[] needle = prefix.getBytes(StandardCharsets.US_ASCII);
        for (Path location : codeLocations()) {
            for (String entry : entries(location)) {
                if (entry.endsWith(".class") && contains(bytes(location, entry), needle)) {
                    String className = entry.substring(0, entry.length() - ".class".length()).replace('/', '.');
                    try {
                        values.addAll(constants(Class.forName(className), prefix, false));
                    } catch (ClassNotFoundException | LinkageError e) {
                        throw new AssertionError("cannot read the constants of " + className, e);
                    }
                }
            }
        }
        assertThat(values).as(prefix + "* constants").isNotEmpty();
        return values;
    }

    private static Set<String> publicConstants(Class<?> type, String prefix) {
        return constants(type, prefix, true);
    }

    private static Set<String> constants(Class<?> type, String prefix, boolean publicOnly) {
        Set<String> values = new TreeSet<>();
        for (Field f : type.getDeclaredFields()) {
            int m = f.getModifiers();
            if (Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == String.class && f.getName().startsWith(prefix)
                    && (!publicOnly || Modifier.isPublic(m))) {
                try {
                    f.setAccessible(true);
                    values.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return values;
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** The JSON member Keycloak's registration representation uses for its {@code jwksUri}, which the provider maps. */
    private static String jwksUriMember() throws IOException {
        OIDCClientRepresentation representation = new OIDCClientRepresentation();
        representation.setJwksUri("urn:marker");
        Map<?, ?> json = JsonSerialization.readValue(JsonSerialization.writeValueAsString(representation), Map.class);
        return json.entrySet().stream().filter(e -> "urn:marker".equals(e.getValue())).map(e -> (String) e.getKey())
                .findFirst().orElseThrow();
    }

    /** Keycloak 26's command-line spelling of a provider option. */
    static String cliOption(String spi, String provider, String option) {
        return "--spi-" + dashed(spi) + "--" + dashed(provider) + "--" + dashed(option);
    }

    /** The environment variable of a command-line option: {@code --spi-a-b--c--d-e} → {@code KC_SPI_A_B__C__D_E}. */
    static String environmentVariable(String cliOption) {
        return "KC_" + cliOption.substring(2).replace('-', '_').toUpperCase(Locale.ROOT);
    }

    /** Keycloak's option form of a name: {@code clientValidation} → {@code client-validation}. */
    private static String dashed(String name) {
        return name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    // ---- comparing

    /**
     * Compares a table of declared properties both ways (with {@code alsoDeclared}, names the code
     * lists besides them), and, where the code declares a default, the page's default column.
     */
    private static void checkProperties(String what, List<ProviderConfigProperty> declared, Set<String> alsoDeclared,
                                        String heading, int defaultColumn) {
        Set<String> code = new TreeSet<>(alsoDeclared);
        declared.forEach(p -> code.add(p.getName()));
        Map<String, List<String>> rows = page.rowsByName(heading);
        assertSameNames(what, code, rows.keySet());
        for (ProviderConfigProperty p : declared) {
            Object dflt = p.getDefaultValue();
            if (dflt != null && !String.valueOf(dflt).isEmpty()) {
                assertThat(name(rows.get(p.getName()).get(defaultColumn))).as(what + ": default of " + p.getName())
                        .isEqualTo(String.valueOf(dflt));
            }
        }
    }

    /** The page's label column against the admin console's English text of each label key. */
    private static void checkLabels(String what, List<ProviderConfigProperty> declared, Map<String, List<String>> rows) {
        Properties messages = new Properties();
        try (Reader in = Files.newBufferedReader(root.resolve("themes/src/main/resources/theme-resources/messages/messages_en.properties"))) {
            messages.load(in);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        for (ProviderConfigProperty p : declared) {
            assertThat(rows.get(p.getName()).get(1)).as(what + ": label of " + p.getName())
                    .isEqualTo(messages.getProperty(p.getLabel(), p.getLabel()));
        }
    }

    private static void assertSameNames(String what, Collection<String> code, Collection<String> documented) {
        Set<String> missing = new TreeSet<>(code);
        missing.removeAll(documented);
        Set<String> unknown = new TreeSet<>(documented);
        unknown.removeAll(code);
        assertThat(missing).as(what + ": declared in the code but missing from docs/configuration.md").isEmpty();
        assertThat(unknown).as(what + ": named in docs/configuration.md but not declared in the code").isEmpty();
    }

    private static final Pattern CODE = Pattern.compile("`([^`]+)`");

    /** The first {@code `code`} span of a cell. */
    static String name(String cell) {
        Matcher m = CODE.matcher(cell);
        return m.find() ? m.group(1) : cell.trim();
    }

    /** Every {@code `code`} span of a cell. */
    static List<String> names(String cell) {
        List<String> out = new ArrayList<>();
        Matcher m = CODE.matcher(cell);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("docs/configuration.md"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("the repository root (holding docs/configuration.md) above " + Path.of("").toAbsolutePath()).isNotNull();
        return dir;
    }

    /** The tables of a Markdown page, by the heading they stand under. */
    static final class Page {

        private final List<String> lines;

        private Page(List<String> lines) {
            this.lines = lines;
        }

        static Page read(Path file) throws IOException {
            return new Page(Files.readAllLines(file, StandardCharsets.UTF_8));
        }

        /** The body rows of the tables between the heading and the next heading of any level. */
        List<List<String>> rows(String heading) {
            return rows(heading, false);
        }

        /** The rows of {@link #rows(String)} keyed by the first code span of their first cell; a name twice fails. */
        Map<String, List<String>> rowsByName(String heading) {
            return byName(heading, rows(heading, false));
        }

        /** As {@link #rowsByName(String)}, with the tables of the heading's subsections too. */
        Map<String, List<String>> rowsByNameWithSubsections(String heading) {
            return byName(heading, rows(heading, true));
        }

        private static Map<String, List<String>> byName(String heading, List<List<String>> rows) {
            Map<String, List<String>> byName = new LinkedHashMap<>();
            for (List<String> row : rows) {
                String name = name(row.get(0));
                assertThat(byName.put(name, row)).as("\"" + heading + "\": one row per name, but " + name + " has two").isNull();
            }
            assertThat(byName).as("\"" + heading + "\": a table").isNotEmpty();
            return byName;
        }

        private List<List<String>> rows(String heading, boolean subsections) {
            int start = -1;
            int level = 0;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                int l = headingLevel(line);
                if (l > 0 && line.substring(l).trim().equals(heading)) {
                    start = i + 1;
                    level = l;
                    break;
                }
            }
            assertThat(start).as("docs/configuration.md has a heading \"" + heading + "\"").isPositive();
            List<List<String>> rows = new ArrayList<>();
            boolean header = true;
            for (int i = start; i < lines.size(); i++) {
                String line = lines.get(i);
                int l = headingLevel(line);
                if (l > 0 && (!subsections || l <= level)) {
                    break;
                }
                if (!line.startsWith("|")) {
                    header = true;
                    continue;
                }
                List<String> cells = cells(line);
                if (header) {
                    header = false; // the header row; the separator row follows
                } else if (!cells.stream().allMatch(c -> c.matches(":?-+:?"))) {
                    rows.add(cells);
                }
            }
            return rows;
        }

        private static int headingLevel(String line) {
            int l = 0;
            while (l < line.length() && line.charAt(l) == '#') {
                l++;
            }
            return l > 0 && l < line.length() && line.charAt(l) == ' ' ? l : 0;
        }

        /** The cells of a table row; {@code \|} is a pipe inside a cell. */
        private static List<String> cells(String line) {
            String body = line.trim();
            body = body.substring(1, body.endsWith("|") && !body.endsWith("\\|") ? body.length() - 1 : body.length());
            List<String> cells = new ArrayList<>();
            for (String cell : body.split("(?<!\\\\)\\|", -1)) {
                cells.add(cell.replace("\\|", "|").trim());
            }
            return cells;
        }
    }
}
