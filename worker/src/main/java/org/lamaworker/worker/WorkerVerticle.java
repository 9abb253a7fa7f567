package org.lamaworker.worker;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobError;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.LatencyEvent;
import org.lamaworker.protocol.ProtocolException;
import org.lamaworker.protocol.Timings;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.BatchingRunner;
import org.lamaworker.worker.inference.Calibration;
import org.lamaworker.worker.inference.CostModel;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.job.Failures;
import org.lamaworker.worker.job.JobProcessor;
import org.lamaworker.worker.job.MemoryBudget;
import org.lamaworker.worker.kafka.JobConsumer;
import org.lamaworker.worker.kafka.ResultPublisher;
import org.lamaworker.worker.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker: reads jobs from Kafka, runs them, publishes one result per job and a latency event,
 * and commits a job's offset once its result is acknowledged. Starts storage, model, producer and
 * consumer in that order; it is ready (its start future completes) only when all are up.
 */
public final class WorkerVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);
    private static final long STOP_GRACE_MILLIS = 30_000;
    private static final int IO_THREADS = 4;

    private final WorkerConfig config;
    private WorkerExecutor cpu;
    private WorkerExecutor inference;
    private ObjectStore store;
    private InpaintModel model;
    private ResultPublisher publisher;
    private JobConsumer consumer;
    private JobProcessor processor;
    private BatchingRunner runner;
    private MemoryBudget budget;

    /** A worker for the given configuration. */
    public WorkerVerticle(WorkerConfig config) {
        this.config = config;
    }

    @Override
    public Future<?> start() {
        cpu = vertx.createSharedWorkerExecutor("lama-io", IO_THREADS);
        // One dedicated thread owns the model session; long runs are expected there.
        inference = vertx.createSharedWorkerExecutor("lama-inference", 1, 10, TimeUnit.MINUTES);
        store = new ObjectStore(vertx, config.storage(), cpu, config.image().maxBytes());
        return store.bucketExists(config.storage().bucket())
                .recover(
                        e ->
                                Future.failedFuture(
                                        new IllegalStateException(
                                                "storage is not usable: " + e.getMessage(), e)))
                .onSuccess(
                        exists -> {
                            if (!exists) {
                                // Reachable and authorised; jobs name their own buckets.
                                LOG.warn(
                                        "Bucket {} (s3.bucket) does not exist",
                                        config.storage().bucket());
                            }
                        })
                .compose(
                        v ->
                                inference.executeBlocking(
                                        () -> {
                                            InpaintModel loaded =
                                                    InpaintModel.load(
                                                            InpaintModel.Options.of(config));
                                            // Ready only once every shape has run: no cold first
                                            // job.
                                            loaded.warmUp(config.inference().maxBatch());
                                            return loaded;
                                        }))
                .compose(
                        loaded -> {
                            model = loaded;
                            CostModel costs =
                                    Calibration.costModelFor(config.model().path(), model.id());
                            runner =
                                    new BatchingRunner(
                                            model,
                                            config.inference().maxBatch(),
                                            config.inference().maxBatchDelayMillis());
                            processor = new JobProcessor(store, model, cpu, runner, config, costs);
                            publisher =
                                    new ResultPublisher(vertx, config.kafka(), config.workerId());
                            long deviceMemory = physicalMemoryBytes();
                            budget = new MemoryBudget(config.memoryBudgetBytes(deviceMemory));
                            long worstCase =
                                    costs.worstCaseBytes(
                                            config.image().maxPixels(),
                                            model.info(),
                                            config.inference().maxPixels(),
                                            config.inference().maxBatch());
                            LOG.info(
                                    "Memory budget {} MiB of {} MiB; a job reserves up to {} MiB until its picture is decoded",
                                    budget.budget() >> 20,
                                    deviceMemory >> 20,
                                    worstCase >> 20);
                            consumer =
                                    new JobConsumer(
                                            vertx,
                                            config.kafka(),
                                            config.workerId(),
                                            config.maxInFlight(),
                                            budget,
                                            () -> worstCase,
                                            this::handle);
                            return consumer.start();
                        })
                .onSuccess(
                        v ->
                                LOG.info(
                                        "Worker {} ready: model {}, jobs from {}, results to {}",
                                        config.workerId(),
                                        model.id(),
                                        config.kafka().jobsTopic(),
                                        config.kafka().resultsTopic()));
    }

    /** Runs one record to its acknowledged result. */
    private Future<?> handle(
            KafkaConsumerRecord<String, byte[]> record, MemoryBudget.Reservation reservation) {
        long queued = Math.max(0, System.currentTimeMillis() - record.timestamp());
        InpaintJob job;
        try {
            job = JsonCodec.decodeJob(record.value());
        } catch (ProtocolException e) {
            String jobId = e.jobId().orElseGet(() -> fallbackJobId(record));
            LOG.warn(
                    "Refused record {}-{}@{} (job {}): {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    jobId,
                    e.getMessage());
            InpaintResult failed =
                    InpaintResult.failed(
                            jobId,
                            Failures.toError(e),
                            null,
                            1,
                            new Timings(queued, 0, 0, 0, 0, 0, 0));
            return publish(failed, record);
        }
        return processor
                .process(job, queued, 1, reservation)
                .compose(result -> publish(result, record));
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

    private Future<?> publish(InpaintResult result, KafkaConsumerRecord<String, byte[]> record) {
        JobError error = result.error();
        LOG.info(
                "Job {} {}{} in {} ms",
                result.jobId(),
                result.status(),
                error == null ? "" : " " + error.code() + ": " + error.message(),
                result.timings().total());
        return publisher
                .publish(result)
                .onSuccess(
                        ack ->
                                publisher
                                        .publish(
                                                new LatencyEvent(
                                                        result.version(),
                                                        result.jobId(),
                                                        result.status(),
                                                        error == null ? null : error.code(),
                                                        config.workerId(),
                                                        model.id(),
                                                        record.partition(),
                                                        record.offset(),
                                                        result.timings(),
                                                        Instant.now()))
                                        .onFailure(
                                                e ->
                                                        LOG.warn(
                                                                "Latency event for {} not published: {}",
                                                                result.jobId(),
                                                                e.toString())));
    }

    @Override
    public Future<?> stop() {
        Future<Void> stopped =
                consumer == null
                        ? Future.succeededFuture()
                        : consumer.stop(vertx, STOP_GRACE_MILLIS);
        return stopped.eventually(
                        () -> publisher == null ? Future.succeededFuture() : publisher.close())
                .eventually(
                        () -> {
                            if (runner != null) {
                                runner.close();
                            }
                            if (model != null) {
                                model.close();
                            }
                            if (store != null) {
                                store.close();
                            }
                            cpu.close();
                            inference.close();
                            return Future.succeededFuture();
                        });
    }

    /** Physical memory of this machine: the device's memory when inference runs on the CPU. */
    private static long physicalMemoryBytes() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean hotspot) {
            return hotspot.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** The job consumer, once started. */
    public JobConsumer jobConsumer() {
        return consumer;
    }

    /** The memory budget, once started. */
    public MemoryBudget budget() {
        return budget;
    }

    /** The loaded model's id, once started. */
    public String modelId() {
        return model == null ? null : model.id();
    }

    /** Time the model has spent running, once started; 0 before. */
    public long inferenceBusyNanos() {
        return model == null ? 0 : model.busyNanos();
    }
}
