package dev.svidauth.it.quickstart;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * README.md's quick start has the shape {@link QuickStartIT} runs: a settings block of exactly the
 * variables the test provides, then the install, setup and token commands reading only those, and
 * the names the IT asserts. Runs without a server, so a broken README fails the unit tests first.
 */
class QuickStartTest {

    /** The variables of the settings block, which QuickStartIT sets to the run's values. */
    static final Set<String> SETTINGS = Set.of("KC_HOME", "KEYCLOAK_URL", "REALM", "KC_ADMIN_USER", "KC_ADMIN_PASSWORD",
            "SVID_AUTH_JAR", "SPIRE_BUNDLE_URL", "SVID_FILE");

    @Test
    void readmeQuickStartHasTheSettingsAndCommandsTheItRuns() throws Exception {
        QuickStart q = QuickStart.read(QuickStartIT.readme());

        assertThat(q.settings().keySet()).containsExactlyInAnyOrderElementsOf(SETTINGS);
        assertThat(q.variablesUsed()).as("variables the commands read").isSubsetOf(SETTINGS);
        assertThat(q.command("kc.sh")).contains("\"$KC_HOME/providers/\"", "/bin/kc.sh\" build");
        assertThat(q.command("svid-setup.sh")).contains("setup/svid-setup.sh", "--spiffe-id " + QuickStartIT.SPIFFE_ID,
                "--client-id " + QuickStartIT.CLIENT_ID, "--trust-domain example.org", "--bundle-uri \"$SPIRE_BUNDLE_URL\"");
        assertThat(q.command("curl")).contains("grant_type=client_credentials", "client_id=" + QuickStartIT.CLIENT_ID,
                "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "\"$SVID_FILE\"");
    }

    @Test
    void settingsAreExportsOfPlainValues() {
        QuickStart q = QuickStart.parse(readme("export A=1 B=two   # comment\n# a note\nexport C=https://x:1/p\n", "echo \"$A\"\n"));

        assertThat(q.settings()).containsExactly(
                java.util.Map.entry("A", "1"), java.util.Map.entry("B", "two"), java.util.Map.entry("C", "https://x:1/p"));
        assertThat(q.commands()).containsExactly("echo \"$A\"\n");
        assertThat(q.variablesUsed()).containsExactly("A");
    }

    @Test
    void refusesWhatTheTestCouldNotReplace() {
        assertThatThrownBy(() -> QuickStart.parse(readme("KC_HOME=/opt/keycloak\n", "true\n")))
                .hasMessageContaining("may only export variables");
        assertThatThrownBy(() -> QuickStart.parse(readme("export A=\"a b\"\n", "true\n")))
                .hasMessageContaining("cannot read the export");
        assertThatThrownBy(() -> QuickStart.parse("# x\n\n## Other\n```sh\nexport A=1\n```\n"))
                .hasMessageContaining("no section");
        assertThatThrownBy(() -> QuickStart.parse("# x\n\n" + QuickStart.HEADING + "\n```sh\nexport A=1\n```\n\n## Next\n```sh\ntrue\n```\n"))
                .hasMessageContaining("found 1");
    }

    private static String readme(String settings, String command) {
        return "# t\n\n" + QuickStart.HEADING + "\n\ntext\n\n```sh\n" + settings + "```\n\nmore\n\n```sh\n" + command
                + "```\n\n## Next\n\n```sh\nnot this\n```\n";
    }
}
