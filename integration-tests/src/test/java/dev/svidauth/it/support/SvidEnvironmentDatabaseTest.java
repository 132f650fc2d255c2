package dev.svidauth.it.support;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** The skip of a run whose database this machine lacks: every class disabled, one line printed. */
class SvidEnvironmentDatabaseTest {

    private final AtomicBoolean reported = new AtomicBoolean();
    private final List<String> printed = new ArrayList<>();

    @Test
    void withoutTheDatabasesPackageEveryClassIsSkippedWithOneLine() {
        for (int i = 0; i < 3; i++) {
            ConditionEvaluationResult r = SvidEnvironment.databaseCondition("mariadb",
                    db -> Optional.of("no MariaDB at /usr/sbin/mariadbd (install Debian's mariadb-server package)"), reported, printed::add);
            assertThat(r.isDisabled()).isTrue();
            assertThat(r.getReason()).hasValue("every test on mariadb skipped: no MariaDB at /usr/sbin/mariadbd"
                    + " (install Debian's mariadb-server package)");
        }
        assertThat(printed).containsExactly("[database] every test on mariadb skipped: no MariaDB at /usr/sbin/mariadbd"
                + " (install Debian's mariadb-server package)");
    }

    @Test
    void withTheDatabaseOrOnDevFileEveryClassRuns() {
        assertThat(SvidEnvironment.databaseCondition("mariadb", db -> Optional.empty(), reported, printed::add).isDisabled()).isFalse();
        assertThat(SvidEnvironment.databaseCondition(null, dev.svidauth.testkit.LocalDatabase::unavailableReason, reported, printed::add)
                .isDisabled()).isFalse();
        assertThat(printed).isEmpty();
    }
}
