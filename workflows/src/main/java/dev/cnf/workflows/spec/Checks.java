package dev.cnf.workflows.spec;

import java.util.List;

/** The shared wording of input problems: each names the field, its value and what is allowed. */
final class Checks {
    private Checks() {}

    static final String BUCKET_KEY = "s3://[a-z0-9][a-z0-9.-]{1,62}/.+";

    static void range(List<String> p, String field, int value, int min, int max) {
        if (value < min || value > max) {
            p.add(field + " " + value + ": must be in [" + min + ", " + max + "]");
        }
    }

    static void open01(List<String> p, String field, double value) {
        if (!(value > 0 && value < 1)) {
            p.add(field + " " + value + ": must be in (0, 1)");
        }
    }

    static void oneOf(List<String> p, String field, String value, List<String> allowed) {
        if (!allowed.contains(value)) {
            p.add(field + " '" + value + "': choose one of " + allowed);
        }
    }

    /** s3://bucket/key or an absolute worker path (empty: not given). */
    static void location(List<String> p, String field, String value) {
        if (!value.isEmpty() && !isLocation(value)) {
            p.add(field + " '" + value + "': use s3://bucket/key or an absolute path on the workers");
        }
    }

    /** s3://bucket/prefix or an absolute worker path: where a file or a diffusers folder can be. */
    static boolean isLocation(String value) {
        return value.matches(BUCKET_KEY) || value.startsWith("/");
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    static String stripped(String s) {
        return s == null ? "" : s.strip();
    }
}
