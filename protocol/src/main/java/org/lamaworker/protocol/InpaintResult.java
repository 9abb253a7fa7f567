package org.lamaworker.protocol;

import java.util.Map;

/**
 * The one terminal outcome of a job, produced to the results topic with the record key set to
 * {@link #jobId()}.
 *
 * @param version protocol version, {@link InpaintJob#VERSION}
 * @param jobId the job's id
 * @param status how it ended
 * @param output the stored picture, present exactly when {@code status} is SUCCEEDED
 * @param error why it failed, present exactly when {@code status} is FAILED
 * @param attributes the job's attributes, echoed back
 * @param attempt 1 for the first processing of this job by a worker, higher for redeliveries
 * @param timings milliseconds per stage
 */
public record InpaintResult(
        Integer version,
        String jobId,
        JobStatus status,
        OutputObject output,
        JobError error,
        Map<String, String> attributes,
        int attempt,
        Timings timings) {

    /** Validates that output and error agree with the status. */
    public InpaintResult {
        Checks.required("version", version);
        Checks.jobId("jobId", jobId);
        Checks.required("status", status);
        if (status == JobStatus.SUCCEEDED) {
            Checks.required("output", output);
            Checks.check(error == null, "error", "must be absent when status is SUCCEEDED");
        } else {
            Checks.required("error", error);
            Checks.check(output == null, "output", "must be absent when status is FAILED");
        }
        attributes = Checks.attributes("attributes", attributes);
        Checks.check(attempt >= 1, "attempt", "must be >= 1");
        timings = timings == null ? Timings.ZERO : timings;
    }

    /** A successful result. */
    public static InpaintResult succeeded(
            String jobId,
            OutputObject output,
            Map<String, String> attributes,
            int attempt,
            Timings timings) {
        return new InpaintResult(
                InpaintJob.VERSION,
                jobId,
                JobStatus.SUCCEEDED,
                output,
                null,
                attributes,
                attempt,
                timings);
    }

    /** A failed result. */
    public static InpaintResult failed(
            String jobId,
            JobError error,
            Map<String, String> attributes,
            int attempt,
            Timings timings) {
        return new InpaintResult(
                InpaintJob.VERSION,
                jobId,
                JobStatus.FAILED,
                null,
                error,
                attributes,
                attempt,
                timings);
    }
}
