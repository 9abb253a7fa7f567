package org.lamaworker.protocol;

/** How a job ended. */
public enum JobStatus {
    /** The output was stored. */
    SUCCEEDED,
    /** The job ended without output; see the result's error. */
    FAILED
}
