package dev.svidauth.testkit;

import java.util.function.UnaryOperator;

/**
 * The system properties the Maven build hands to the integration tests, the demo and the
 * benchmark (the distribution zip, the drop-in JAR, the realm file, work directories). Run outside
 * that build, they are missing: the failure names the property and the command that sets it,
 * instead of a null path further down.
 */
public final class SystemProperties {

    private SystemProperties() {
    }

    /**
     * The value of system property {@code name}, stripped.
     *
     * @throws IllegalStateException naming the property when it is unset or blank
     */
    public static String required(String name) {
        return required(name, System::getProperty);
    }

    /** {@link #required(String)} against {@code properties} instead of the JVM's. */
    static String required(String name, UnaryOperator<String> properties) {
        String value = properties.apply(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + name + " is not set: the Maven build sets it"
                    + " (./mvnw verify for the tests, ./demo.sh for the demo, ./mvnw -Pbench for the benchmark)");
        }
        return value.strip();
    }
}
