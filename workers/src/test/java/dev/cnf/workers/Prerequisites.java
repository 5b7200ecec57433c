package dev.cnf.workers;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A test that needs something outside Maven (a system package, a Go toolchain): skipped on a developer's machine
 * without it, but a failure under CI=true, where scripts/test installs it (scripts/test-prerequisites.sh), so a green
 * CI never hides a test that did not run. (The workers' copy of activities' test helper: test classes do not travel
 * between modules.)
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
