package org.lamaworker.protocol;

import java.util.Map;
import java.util.regex.Pattern;

/** Validation helpers shared by the message records; each failure names its field. */
final class Checks {
    static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    static final int MAX_KEY_LENGTH = 1024;
    static final int MAX_ATTRIBUTES = 64;
    static final int MAX_ATTRIBUTE_KEY = 256;
    static final int MAX_ATTRIBUTE_VALUE = 4096;

    private Checks() {}

    static <T> T required(String field, T value) {
        if (value == null) {
            throw ProtocolException.invalid(field, "is required");
        }
        return value;
    }

    static void check(boolean condition, String field, String detail) {
        if (!condition) {
            throw ProtocolException.invalid(field, detail);
        }
    }

    static String jobId(String field, String value) {
        required(field, value);
        check(JOB_ID.matcher(value).matches(), field, "must be 1-128 characters of [A-Za-z0-9._-]");
        return value;
    }

    static String bucket(String field, String value) {
        required(field, value);
        check(
                BUCKET.matcher(value).matches() && !value.contains(".."),
                field,
                "must be an S3 bucket name: 3-63 characters of [a-z0-9.-], starting and ending with"
                        + " a letter or digit");
        return value;
    }

    static String key(String field, String value) {
        required(field, value);
        check(
                !value.isEmpty() && value.length() <= MAX_KEY_LENGTH,
                field,
                "must be 1-" + MAX_KEY_LENGTH + " characters");
        check(
                value.chars().noneMatch(c -> c < 0x20 || c == 0x7f),
                field,
                "must not contain control characters");
        return value;
    }

    static long nonNegative(String field, long value) {
        check(value >= 0, field, "must be >= 0");
        return value;
    }

    static Map<String, String> attributes(String field, Map<String, String> value) {
        if (value == null) {
            return Map.of();
        }
        check(
                value.size() <= MAX_ATTRIBUTES,
                field,
                "must have at most " + MAX_ATTRIBUTES + " entries");
        for (Map.Entry<String, String> e : value.entrySet()) {
            check(
                    e.getKey() != null
                            && !e.getKey().isEmpty()
                            && e.getKey().length() <= MAX_ATTRIBUTE_KEY,
                    field,
                    "names must be 1-" + MAX_ATTRIBUTE_KEY + " characters");
            check(e.getValue() != null, field + "." + e.getKey(), "must be a string, not null");
            check(
                    e.getValue().length() <= MAX_ATTRIBUTE_VALUE,
                    field + "." + e.getKey(),
                    "must be at most " + MAX_ATTRIBUTE_VALUE + " characters");
        }
        return Map.copyOf(value);
    }
}
