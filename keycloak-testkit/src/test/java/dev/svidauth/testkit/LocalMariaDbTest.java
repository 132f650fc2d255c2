package dev.svidauth.testkit;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Starts the machine's MariaDB the way a test run does (skipped without Debian's mariadb-server). */
class LocalMariaDbTest {

    @Test
    void startsWithDebiansCaseInsensitiveCollationAndLeavesNothingBehind() throws Exception {
        assumeTrue(LocalMariaDb.unavailableReason().isEmpty(), () -> LocalMariaDb.unavailableReason().get());
        Path dir;
        try (LocalMariaDb db = LocalMariaDb.start()) {
            assertThat(db.collation()).isEqualTo("utf8mb4_general_ci");
            assertThat(db.caseInsensitive()).as("'A' = 'a' in the keycloak database").isTrue();
            assertThat(db.jdbcUrl()).isEqualTo("jdbc:mariadb://127.0.0.1:" + db.port() + "/keycloak");
            assertThat(db.describe()).contains("MariaDB 10.", "utf8mb4_general_ci", "case-insensitively");
            dir = db.directory();
            assertThat(dir.resolve("data")).isDirectory();
        }
        assertThat(Files.exists(dir)).as(dir + " after close").isFalse();
    }
}
