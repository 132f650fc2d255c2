package dev.svidauth.it.support;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * Skips a test class, with one line saying why, when this machine lacks what it needs (a Debian
 * package, a binary). Evaluated before any callback, so nothing starts for nothing.
 */
public abstract class MachineRequirement implements ExecutionCondition {

    private final String tag;
    private final Supplier<Optional<String>> missing;
    private final String present;

    /**
     * @param tag     the prefix of the skip line, e.g. {@code cluster}
     * @param missing why the machine cannot run the class, or empty
     * @param present what is there when it can
     */
    MachineRequirement(String tag, Supplier<Optional<String>> missing, String present) {
        this.tag = tag;
        this.missing = missing;
        this.present = present;
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<String> why = missing.get();
        if (why.isPresent()) {
            String line = context.getDisplayName() + " skipped: " + why.get();
            System.out.println("[" + tag + "] " + line);
            return ConditionEvaluationResult.disabled(line);
        }
        return ConditionEvaluationResult.enabled(present);
    }
}
