package org.lamaworker.protocol;

import java.util.Optional;

/**
 * A message that cannot be accepted: not JSON, a field that is missing or invalid, or a version
 * this code does not speak. The message names the offending field so a producer can fix it.
 */
public final class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why the message was refused. */
    public enum Reason {
        /** The bytes are not a JSON object. */
        MALFORMED,
        /** A field is missing, of the wrong type, unknown, or has an invalid value. */
        INVALID_FIELD,
        /** The {@code version} field names a protocol version this code does not speak. */
        UNSUPPORTED_VERSION
    }

    private final Reason reason;
    private final String field;
    private final String jobId;

    ProtocolException(Reason reason, String field, String detail, String jobId, Throwable cause) {
        super(field == null ? detail : field + ": " + detail, cause);
        this.reason = reason;
        this.field = field;
        this.jobId = jobId;
    }

    static ProtocolException invalid(String field, String detail) {
        return new ProtocolException(Reason.INVALID_FIELD, field, detail, null, null);
    }

    ProtocolException withContext(String parentPath, String readableJobId) {
        String path = field;
        if (parentPath != null && !parentPath.isEmpty()) {
            path = field == null ? parentPath : parentPath + "." + field;
        }
        String detail = field == null ? getMessage() : getMessage().substring(field.length() + 2);
        return new ProtocolException(reason, path, detail, readableJobId, getCause());
    }

    /** Why the message was refused. */
    public Reason reason() {
        return reason;
    }

    /** Dotted path of the offending field ({@code image.bucket}), or empty when not about one. */
    public Optional<String> field() {
        return Optional.ofNullable(field);
    }

    /**
     * The job id, when the refused message carried a valid one, so the failure can still be
     * reported against it.
     */
    public Optional<String> jobId() {
        return Optional.ofNullable(jobId);
    }
}
