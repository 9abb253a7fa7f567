package org.lamaworker.worker.kafka;

import io.vertx.core.Future;

/**
 * The fleet's record of job starts, keyed by job id: {@link AttemptsTopic} on Kafka, a map in
 * tests. Reads answer from what this process has seen so far; writes complete once durable.
 */
public interface StartLedger {
    /** The job's record as last seen, or {@code null} when it has none (never started, or done). */
    StartRecord latest(String jobId);

    /**
     * Writes the job's record, or deletes it when {@code record} is {@code null}; completes once
     * the write is durable, and {@link #latest} answers with it from then on.
     */
    Future<Void> write(String jobId, StartRecord record);
}
