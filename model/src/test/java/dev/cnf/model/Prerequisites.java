package dev.cnf.model;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A test that needs something outside Maven (a system package, npm packages, the Go-built server): skipped on a
 * developer's machine without it, but a failure under CI=true, where scripts/test installs it
 * (scripts/test-prerequisites.sh), so a green CI never hides a test that did not run. The activities' and workers' tests use it through
 * this module's test jar.
 */
public final class Prerequisites {
    private Prerequisites() {}

    public static void require(boolean present, String what) {
        if (present) {
            return;
        }
        String message = what + " (scripts/test-prerequisites.sh installs it)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail("CI=true: " + message);
        }
        Assumptions.abort(message);
    }
}
