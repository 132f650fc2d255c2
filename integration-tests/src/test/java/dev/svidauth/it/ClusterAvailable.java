package dev.svidauth.it;

import dev.svidauth.testkit.KeycloakCluster;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.Optional;

/**
 * Skips a cluster test class, with one line saying why, on a machine without PostgreSQL server
 * binaries: the cluster's JDBC-PING discovery needs the shared database. Evaluated before any
 * callback, so nothing starts for nothing. Debian: {@code apt-get install postgresql}.
 */
public final class ClusterAvailable implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<String> why = KeycloakCluster.unavailableReason();
        if (why.isPresent()) {
            String line = context.getDisplayName() + " skipped: " + why.get();
            System.out.println("[cluster] " + line);
            return ConditionEvaluationResult.disabled(line);
        }
        return ConditionEvaluationResult.enabled("PostgreSQL server binaries present");
    }
}
