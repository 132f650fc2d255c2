package dev.svidauth.architecture;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.stream.Collectors;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The direction of the dependencies between the packages of svid-auth, as docs/DESIGN.md draws it
 * ("Modules and the direction of their dependencies"), checked on the compiled main classes of
 * this module and of svid-core: a dependency the wrong way fails the build and names the class,
 * the member and the line. The compiler already keeps svid-core free of Keycloak; these rules
 * keep the Keycloak glue and the core one way:
 *
 * <pre>
 *   admin ──► jwt ──┬──► runtime ─────┬──► client ──► svid ──► keys ──► rejection
 *   registration ───┤                 │                 └───► spiffe ─┘
 *   x509, wit ──────┴──► trustdomain ─┘   (admin ──► wit too)
 * </pre>
 *
 * (The glue may also use any core package directly.)
 */
class PackageDependencyTest {

    private static final String GLUE = "dev.svidauth.keycloak";

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.svidauth");

    /** The rule docs/DESIGN.md names: each layer may be used only by the layers listed. */
    static final ArchRule LAYERS = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("rejection").definedBy("dev.svidauth.rejection..")
            .layer("spiffe").definedBy("dev.svidauth.spiffe..")
            .layer("keys").definedBy("dev.svidauth.keys..")
            .layer("svid").definedBy("dev.svidauth.svid..")
            .layer("client").definedBy(GLUE + ".client..")
            .layer("trustdomain").definedBy(GLUE + ".trustdomain..")
            .layer("runtime").definedBy(GLUE + ".runtime..")
            .layer("jwt").definedBy(GLUE + ".jwt..")
            .layer("x509").definedBy(GLUE + ".x509..")
            .layer("wit").definedBy(GLUE + ".wit..")
            .layer("admin").definedBy(GLUE + ".admin..")
            .layer("registration").definedBy(GLUE + ".registration..")
            .whereLayer("rejection").mayOnlyBeAccessedByLayers("spiffe", "keys", "svid", "client", "trustdomain", "runtime",
                    "jwt", "x509", "wit", "admin", "registration")
            .whereLayer("spiffe").mayOnlyBeAccessedByLayers("svid", "client", "trustdomain", "runtime", "jwt", "x509", "wit", "admin",
                    "registration")
            .whereLayer("keys").mayOnlyBeAccessedByLayers("svid", "client", "trustdomain", "runtime", "jwt", "x509", "wit", "admin",
                    "registration")
            .whereLayer("svid").mayOnlyBeAccessedByLayers("client", "trustdomain", "runtime", "jwt", "x509", "wit", "admin", "registration")
            .whereLayer("client").mayOnlyBeAccessedByLayers("trustdomain", "runtime", "jwt", "x509", "wit", "admin", "registration")
            .whereLayer("trustdomain").mayOnlyBeAccessedByLayers("jwt", "x509", "wit", "admin", "registration")
            .whereLayer("runtime").mayOnlyBeAccessedByLayers("jwt", "x509", "wit", "admin", "registration")
            .whereLayer("jwt").mayOnlyBeAccessedByLayers("admin")
            .whereLayer("x509").mayNotBeAccessedByAnyLayer()
            .whereLayer("wit").mayOnlyBeAccessedByLayers("admin")
            .whereLayer("admin").mayNotBeAccessedByAnyLayer()
            .whereLayer("registration").mayNotBeAccessedByAnyLayer()
            .because("docs/DESIGN.md, \"Modules and the direction of their dependencies\"");

    @Test
    void gluePackagesDependOneWay() {
        assertThat(CLASSES.contain(GLUE + ".jwt.JwtSvidClientAuthenticatorFactory")).as("glue classes imported").isTrue();
        assertThat(CLASSES.contain("dev.svidauth.svid.JwtSvidVerifier")).as("core classes imported").isTrue();
        LAYERS.check(CLASSES);
    }

    @Test
    void everyGlueClassBelongsToAFeaturePackage() {
        noClasses().should().resideInAPackage(GLUE)
                .because("the glue is split by feature: client, trustdomain, runtime, jwt, x509, wit, admin, registration")
                .check(CLASSES);
    }

    @Test
    void noGluePackageHoldsMoreThanFifteenFiles() {
        Map<String, Long> files = CLASSES.stream()
                .filter(c -> c.getPackageName().startsWith(GLUE) && c.isTopLevelClass())
                .collect(Collectors.groupingBy(JavaClass::getPackageName, Collectors.counting()));
        assertThat(files).hasSize(8);
        assertThat(files).allSatisfy((pkg, n) -> assertThat(n).as(pkg).isLessThanOrEqualTo(15L));
    }
}
