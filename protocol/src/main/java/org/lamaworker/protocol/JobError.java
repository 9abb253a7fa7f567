package org.lamaworker.protocol;

/**
 * Why a job failed.
 *
 * @param code one of {@link ErrorCode}'s names
 * @param message what went wrong and what to do about it, for people
 * @param retryable whether submitting the same job again may succeed
 */
public record JobError(String code, String message, boolean retryable) {
    /** Validates that code and message are present. */
    public JobError {
        Checks.required("code", code);
        Checks.required("message", message);
    }

    /** An error with the given code and its usual retryability. */
    public static JobError of(ErrorCode code, String message) {
        return new JobError(code.name(), message, code.retryable());
    }
}
