package org.lamaworker.worker.job;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobError;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.LatencyEvent;
import org.lamaworker.protocol.ProtocolException;
import org.lamaworker.protocol.Timings;
import org.lamaworker.worker.admission.Admission;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.failure.Failures;
import org.lamaworker.worker.kafka.JobConsumer;
import org.lamaworker.worker.kafka.ResultPublisher;
import org.lamaworker.worker.management.WorkerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one job record from the consumer to its acknowledged result: decodes the record into a job
 * or, when it is not one, copies it to the dead-letter topic; has the job processed; publishes the
 * result and a latency event. A result the broker does not acknowledge is published again, the same
 * result (same bytes, same output object), after a backoff ({@code retry.initialBackoff} doubling
 * to {@code retry.maxBackoff}) while the record's partition is still this worker's: the job is not
 * run again for it. The returned future completes when the result is acknowledged and fails when
 * the worker lets go of the record (revoked or stopping), which leaves it to the next owner.
 */
public final class JobHandler implements JobConsumer.RecordHandler {
    private static final Logger LOG = LoggerFactory.getLogger(JobHandler.class);

    /** Runs a decoded job to a result; {@link JobProcessor#process} in the worker. */
    @FunctionalInterface
    public interface Processing {
        /** A future that always succeeds, with a SUCCEEDED or FAILED result. */
        Future<InpaintResult> process(
                InpaintJob job, long queuedMillis, int attempt, Admission.Ticket ticket);
    }

    private final Vertx vertx;
    private final Processing processing;
    private final ResultPublisher publisher;
    private final WorkerMetrics metrics;
    private final WorkerConfig config;
    private final String modelId;
    private final Predicate<KafkaConsumerRecord<String, byte[]>> stillOurs;
    private final JobStarts starts;
    private final CrashIsolation isolation = new CrashIsolation();

    /** Jobs whose start this process recorded and that have no result yet, with their records. */
    private final Map<String, KafkaConsumerRecord<String, byte[]>> started =
            new java.util.HashMap<>();

    private long republished;

    /**
     * A handler.
     *
     * @param modelId the model's id, reported on latency events
     * @param stillOurs whether a record's partition is still this worker's and it is not stopping:
     *     only then is a refused publish tried again
     * @param starts where each job's start is recorded before it runs, and which says when a job
     *     must not run again
     */
    public JobHandler(
            Vertx vertx,
            Processing processing,
            ResultPublisher publisher,
            WorkerMetrics metrics,
            WorkerConfig config,
            String modelId,
            Predicate<KafkaConsumerRecord<String, byte[]>> stillOurs,
            JobStarts starts) {
        this.vertx = vertx;
        this.starts = starts;
        this.processing = processing;
        this.publisher = publisher;
        this.metrics = metrics;
        this.config = config;
        this.modelId = modelId;
        this.stillOurs = stillOurs;
    }

    @Override
    public Future<Void> handle(
            KafkaConsumerRecord<String, byte[]> record, Admission.Ticket ticket, int attempt) {
        long queued = Math.max(0, System.currentTimeMillis() - record.timestamp());
        InpaintJob job;
        try {
            job = JsonCodec.decodeJob(record.value());
        } catch (ProtocolException e) {
            return refuse(record, e, queued);
        }
        String jobId = job.jobId();
        JobStarts.Start first = starts.decide(jobId, attempt);
        if (!starts.runningElsewhere(first)) {
            return run(record, job, first, queued, ticket);
        }
        // Another process's start still marked running: that process died, or the partition
        // moved from it while the job ran there and its "let go" mark is still on its way (the
        // revocation does not wait for it). A death is seen only after a session timeout, so a
        // short wait costs little and spares a moved job a death it did not cause.
        return vertx.timer(starts.settleMillis())
                .compose(v -> run(record, job, starts.decide(jobId, attempt), queued, ticket));
    }

    private Future<Void> run(
            KafkaConsumerRecord<String, byte[]> record,
            InpaintJob job,
            JobStarts.Start start,
            long queued,
            Admission.Ticket ticket) {
        String jobId = job.jobId();
        if (start.quarantined()) {
            return quarantine(record, job, start, queued).compose(v -> forget(jobId, true));
        }
        if (start.crashes() > 0) {
            metrics.recordCrashedStart();
            LOG.atWarn()
                    .addKeyValue("jobId", jobId)
                    .log(
                            "Job {} is back after its worker died {} time(s) running it; running"
                                    + " it alone (quarantined at {})",
                            jobId,
                            start.crashes(),
                            starts.maxCrashes());
        }
        return isolation
                .enter(start.crashes() > 0)
                .compose(
                        done ->
                                starts.record(jobId, start)
                                        .onSuccess(
                                                v -> {
                                                    if (stillOurs.test(record)) {
                                                        started.put(jobId, record);
                                                    } else {
                                                        // Moved (or stopping) while its start was
                                                        // being recorded: let go at once.
                                                        starts.released(jobId);
                                                    }
                                                })
                                        .compose(
                                                v ->
                                                        processing.process(
                                                                job,
                                                                queued,
                                                                start.attempt(),
                                                                ticket))
                                        .compose(result -> publish(result, record))
                                        .onComplete(ar -> done.run()))
                .compose(v -> forget(jobId, false))
                .onFailure(
                        e -> {
                            started.remove(jobId);
                            starts.released(jobId);
                        });
    }

    /**
     * After a rebalance: the jobs still running whose partitions went to another worker are let go
     * alive. They run on here and publish their results, but the partition's new owner reads them
     * again from the last commit and must not take this process's start, still marked running, for
     * a death: two such moves during a scale-up would otherwise quarantine a healthy job. Call on
     * the consumer's context after each assignment change.
     */
    public void letGoOfMoved() {
        started.entrySet()
                .removeIf(
                        entry -> {
                            if (stillOurs.test(entry.getValue())) {
                                return false;
                            }
                            starts.released(entry.getKey());
                            return true;
                        });
    }

    /**
     * Marks the starts of the jobs still running as let go, so that the next worker does not count
     * this clean stop as a death; for a stop whose grace ran out. Completes when the writes did.
     */
    public Future<Void> letGoOfUnfinished() {
        List<Future<Void>> writes = new ArrayList<>();
        for (String jobId : started.keySet()) {
            writes.add(starts.released(jobId));
        }
        started.clear();
        return Future.join(writes).mapEmpty();
    }

    /**
     * Deletes the job's start record now that its result is out. Best effort: a record left behind
     * counts against the job only if it comes back, which a published result makes unlikely.
     */
    private Future<Void> forget(String jobId, boolean quarantined) {
        started.remove(jobId);
        return (quarantined ? starts.cleared(jobId) : starts.finished(jobId))
                .recover(
                        e -> {
                            LOG.warn(
                                    "The start record of job {} was not deleted: {}",
                                    jobId,
                                    e.toString());
                            return Future.succeededFuture();
                        });
    }

    /**
     * A job whose earlier starts killed {@code delivery.maxCrashes} workers: not run again; a
     * dead-letter copy saying why, then a FAILED result, both acknowledged.
     */
    private Future<Void> quarantine(
            KafkaConsumerRecord<String, byte[]> record,
            InpaintJob job,
            JobStarts.Start start,
            long queued) {
        String last =
                start.last() == null
                        ? ""
                        : ", the last one "
                                + start.last().workerId()
                                + " at "
                                + Instant.ofEpochMilli(start.last().startedAtMillis());
        String message =
                "workers died "
                        + start.crashes()
                        + " times while running this job (delivery.maxCrashes="
                        + starts.maxCrashes()
                        + last
                        + "); it is not run again and a copy is on "
                        + config.kafka().deadLetterTopic();
        LOG.atError()
                .addKeyValue("jobId", job.jobId())
                .log("Quarantined job {}: {}", job.jobId(), message);
        JobError error = JobError.of(ErrorCode.JOB_CRASHED_WORKER, message);
        InpaintResult failed =
                InpaintResult.failed(
                        job.jobId(),
                        error,
                        job.attributes(),
                        start.attempt(),
                        new Timings(queued, 0, 0, 0, 0, 0, 0));
        return untilAcknowledged(
                        () ->
                                publisher.deadLetter(
                                        record,
                                        error.code(),
                                        error.message(),
                                        Map.of(
                                                ResultPublisher.HEADER_PREFIX + "crashes",
                                                String.valueOf(start.crashes()))),
                        record,
                        "the dead-letter copy of job " + job.jobId())
                .compose(v -> publish(failed, record));
    }

    /** Results published again because the broker did not acknowledge them the first time. */
    public long republished() {
        return republished;
    }

    /** A record that is not a job: a dead-letter copy, then a FAILED result, both acknowledged. */
    private Future<Void> refuse(
            KafkaConsumerRecord<String, byte[]> record, ProtocolException e, long queued) {
        String jobId = e.jobId().orElseGet(() -> fallbackJobId(record));
        LOG.atWarn()
                .addKeyValue("jobId", jobId)
                .log(
                        "Refused record {}-{}@{} (job {}), copying it to {}: {}",
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        jobId,
                        config.kafka().deadLetterTopic(),
                        e.getMessage());
        JobError error = Failures.toError(e);
        InpaintResult failed =
                InpaintResult.failed(jobId, error, null, 1, new Timings(queued, 0, 0, 0, 0, 0, 0));
        return untilAcknowledged(
                        () -> publisher.deadLetter(record, error.code(), error.message(), Map.of()),
                        record,
                        "the dead-letter copy of job " + jobId)
                .compose(v -> publish(failed, record));
    }

    /**
     * The id a refused record's failure is reported under: its key when that is a valid job id
     * (producers key jobs by id), otherwise one derived from its position.
     */
    private static String fallbackJobId(KafkaConsumerRecord<String, byte[]> record) {
        String key = record.key();
        if (key != null && key.matches("[A-Za-z0-9._-]{1,128}")) {
            return key;
        }
        return "unparsed-" + record.partition() + "-" + record.offset();
    }

    private Future<Void> publish(InpaintResult result, KafkaConsumerRecord<String, byte[]> record) {
        JobError error = result.error();
        LOG.atInfo()
                .addKeyValue("jobId", result.jobId())
                .log(
                        "Job {} {}{} in {} ms",
                        result.jobId(),
                        result.status(),
                        error == null ? "" : " " + error.code() + ": " + error.message(),
                        result.timings().total());
        return untilAcknowledged(
                        () -> publisher.publish(result), record, "the result of " + result.jobId())
                .onSuccess(
                        v -> {
                            metrics.recordResult(result);
                            publishEvent(result, record);
                        });
    }

    /** Best effort: a lost latency event costs a data point, not a job. */
    private void publishEvent(InpaintResult result, KafkaConsumerRecord<String, byte[]> record) {
        JobError error = result.error();
        publisher
                .publish(
                        new LatencyEvent(
                                result.version(),
                                result.jobId(),
                                result.status(),
                                error == null ? null : error.code(),
                                config.workerId(),
                                modelId,
                                record.partition(),
                                record.offset(),
                                result.timings(),
                                Instant.now()))
                .onFailure(
                        e ->
                                LOG.warn(
                                        "Latency event for {} not published: {}",
                                        result.jobId(),
                                        e.toString()));
    }

    /**
     * Sends until the broker acknowledges, waiting the delivery backoff between tries, for as long
     * as the record is this worker's; then gives up with the last failure.
     */
    private Future<Void> untilAcknowledged(
            Supplier<Future<?>> send, KafkaConsumerRecord<String, byte[]> record, String what) {
        Promise<Void> acknowledged = Promise.promise();
        send(send, record, what, 1, acknowledged);
        return acknowledged.future();
    }

    private void send(
            Supplier<Future<?>> send,
            KafkaConsumerRecord<String, byte[]> record,
            String what,
            int attempt,
            Promise<Void> acknowledged) {
        Future<?> sent;
        try {
            sent = send.get();
        } catch (RuntimeException e) {
            sent = Future.failedFuture(e);
        }
        sent.onComplete(
                ar -> {
                    if (ar.succeeded()) {
                        acknowledged.complete();
                        return;
                    }
                    if (!stillOurs.test(record)) {
                        acknowledged.fail(ar.cause());
                        return;
                    }
                    long backoff = config.delivery().backoffMillis(attempt);
                    LOG.warn(
                            "The broker did not acknowledge {} ({}); publishing it again in {} ms",
                            what,
                            ar.cause().toString(),
                            backoff);
                    republished++;
                    vertx.setTimer(
                            backoff, id -> send(send, record, what, attempt + 1, acknowledged));
                });
    }
}
