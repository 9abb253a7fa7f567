package org.lamaworker.worker.failure;

import java.util.Objects;
import org.lamaworker.protocol.ErrorCode;

/**
 * A job cannot be completed, for a reason a user can act on. Every stage throws this (or a
 * subclass) with the most specific {@link ErrorCode}; {@link Failures} turns any throwable into the
 * result's error in one place. Messages must never contain credentials.
 */
public class JobFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    /** A failure with a code and a message for people. */
    public JobFailure(ErrorCode code, String message) {
        this(code, message, null);
    }

    /** A failure with a code, a message for people, and the underlying cause for the logs. */
    public JobFailure(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** The code reported on the result. */
    public ErrorCode code() {
        return code;
    }
}
