package org.lamaworker.protocol;

/** The failure codes a result can carry, each with whether retrying the same job may help. */
public enum ErrorCode {
    /** The record is not a JSON object. */
    MALFORMED_JOB(false),
    /** A field of the job is missing, unknown or invalid; the message names it. */
    INVALID_JOB(false),
    /** The job's {@code version} is not one this worker speaks. */
    UNSUPPORTED_VERSION(false),
    /** The job names a bucket outside the worker's allow-list ({@code storage.allowedBuckets}). */
    BUCKET_NOT_ALLOWED(false),
    /**
     * The output key has a {@code ..} segment or a leading {@code /}, or lies outside the
     * configured prefix ({@code storage.outputPrefix}).
     */
    OUTPUT_KEY_NOT_ALLOWED(false),
    /** The image object (or its bucket) does not exist. */
    IMAGE_NOT_FOUND(false),
    /** The mask object (or its bucket) does not exist. */
    MASK_NOT_FOUND(false),
    /** Storage refused the worker's credentials for this object. */
    ACCESS_DENIED(false),
    /** Storage could not be reached or answered with a server error. */
    STORAGE_UNAVAILABLE(true),
    /** The bytes are not a picture format the worker reads. */
    UNSUPPORTED_IMAGE_FORMAT(false),
    /** The picture is damaged and cannot be decoded. */
    IMAGE_DECODE_FAILED(false),
    /** The picture has more pixels or bytes than the worker's limit. */
    IMAGE_TOO_LARGE(false),
    /** The mask's size differs from the image's. */
    MASK_SIZE_MISMATCH(false),
    /** The mask has more separate parts than the worker's limit ({@code mask.maxParts}). */
    MASK_TOO_COMPLEX(false),
    /** The job's deadline passed before it finished. */
    DEADLINE_EXCEEDED(false),
    /** The model failed to run on this input. */
    INFERENCE_FAILED(true),
    /**
     * Workers died while running this job as many times as the fleet allows ({@code
     * delivery.maxCrashes}): it is not run again, and a copy is on the dead-letter topic.
     */
    JOB_CRASHED_WORKER(false),
    /** An unexpected error inside the worker. */
    INTERNAL_ERROR(true);

    private final boolean retryable;

    ErrorCode(boolean retryable) {
        this.retryable = retryable;
    }

    /** Whether submitting the same job again may succeed. */
    public boolean retryable() {
        return retryable;
    }
}
