package dev.svidauth.it;

import dev.svidauth.testkit.LocalNginx;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.Optional;

/**
 * Skips a test class that runs Keycloak behind nginx, with one line saying why, on a machine
 * without Debian's nginx. Evaluated before any callback, so nothing starts for nothing.
 */
public final class NginxAvailable implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<String> why = LocalNginx.unavailableReason();
        if (why.isPresent()) {
            String line = context.getDisplayName() + " skipped: " + why.get();
            System.out.println("[nginx] " + line);
            return ConditionEvaluationResult.disabled(line);
        }
        return ConditionEvaluationResult.enabled("nginx present");
    }
}
