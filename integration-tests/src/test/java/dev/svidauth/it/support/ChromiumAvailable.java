package dev.svidauth.it.support;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Skips a browser test class when Chromium or its driver is missing: the class is reported as
 * skipped with the reason, never as failed. Register it before {@link SvidEnvironment}: conditions
 * are evaluated before any callback, so no Keycloak server starts for nothing.
 * Debian: {@code apt-get install chromium chromium-driver}.
 */
public final class ChromiumAvailable implements ExecutionCondition {

    public static Path chromium() {
        return Path.of(System.getProperty("svid.chromium", "/usr/bin/chromium"));
    }

    public static Path chromedriver() {
        return Path.of(System.getProperty("svid.chromedriver", "/usr/bin/chromedriver"));
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (!Files.isExecutable(chromium())) {
            return ConditionEvaluationResult.disabled(chromium()
                    + " is missing (Debian: apt-get install chromium chromium-driver); browser test skipped");
        }
        if (!Files.isExecutable(chromedriver())) {
            return ConditionEvaluationResult.disabled(chromedriver()
                    + " is missing (Debian: apt-get install chromium-driver); browser test skipped");
        }
        return ConditionEvaluationResult.enabled("Chromium and chromedriver present");
    }
}
