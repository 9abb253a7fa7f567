package org.lamaworker.protocol;

import java.time.Instant;

/**
 * One event per finished job on the events topic, for latency dashboards and capacity planning.
 *
 * @param version protocol version, {@link InpaintJob#VERSION}
 * @param jobId the job's id
 * @param status how the job ended
 * @param errorCode the failure code, or {@code null} on success
 * @param workerId the worker that processed the job
 * @param modelId the model that ran (file name and content hash)
 * @param partition partition of the job record
 * @param offset offset of the job record
 * @param timings milliseconds per stage
 * @param finishedAt when the result was ready
 */
public record LatencyEvent(
        Integer version,
        String jobId,
        JobStatus status,
        String errorCode,
        String workerId,
        String modelId,
        int partition,
        long offset,
        Timings timings,
        Instant finishedAt) {

    /** Validates the required fields. */
    public LatencyEvent {
        Checks.required("version", version);
        Checks.jobId("jobId", jobId);
        Checks.required("status", status);
        Checks.required("workerId", workerId);
        Checks.required("modelId", modelId);
        Checks.check(partition >= 0, "partition", "must be >= 0");
        Checks.nonNegative("offset", offset);
        Checks.required("timings", timings);
        Checks.required("finishedAt", finishedAt);
    }
}
