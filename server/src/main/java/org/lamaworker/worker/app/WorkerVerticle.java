package org.lamaworker.worker.app;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobError;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.LatencyEvent;
import org.lamaworker.protocol.ProtocolException;
import org.lamaworker.protocol.Timings;
import org.lamaworker.worker.admission.Calibration;
import org.lamaworker.worker.admission.CostModel;
import org.lamaworker.worker.admission.MemoryBudget;
import org.lamaworker.worker.admission.NvidiaSmiProbe;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.failure.Failures;
import org.lamaworker.worker.inference.BatchingRunner;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.job.Attempts;
import org.lamaworker.worker.job.JobProcessor;
import org.lamaworker.worker.kafka.JobConsumer;
import org.lamaworker.worker.kafka.ResultPublisher;
import org.lamaworker.worker.management.WorkerMetrics;
import org.lamaworker.worker.storage.ModelCache;
import org.lamaworker.worker.storage.ObjectStore;
import org.lamaworker.worker.storage.StorageRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker: reads jobs from Kafka, runs them, publishes one result per job and a latency event,
 * and commits a job's offset once its result is acknowledged. Starts storage, model, producer and
 * consumer in that order; it is ready (its start future completes) only when all are up.
 */
public final class WorkerVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);
    private static final int IO_THREADS = 4;

    /** Replaced once, when a model in S3 has been fetched to a local file. */
    private WorkerConfig config;

    private WorkerExecutor cpu;
    private WorkerExecutor inference;
    private ObjectStore store;

    /** The first session: the model's id and shape for everyone. */
    private InpaintModel model;

    private final List<InpaintModel> sessions = new ArrayList<>();
    private ResultPublisher publisher;
    private JobConsumer consumer;
    private JobProcessor processor;
    private BatchingRunner runner;
    private MemoryBudget budget;

    /** What a percentage budget is a share of, read while the sessions load; 0 otherwise. */
    private long deviceMemory;

    private final Attempts attempts = new Attempts(10_000);

    private final WorkerMetrics metrics;
    private volatile boolean started;
    private volatile boolean storageUp;
    private long storageTimer = -1;
    private KafkaClientMetrics kafkaMetrics;

    /** A worker for the given configuration, with metrics of its own. */
    public WorkerVerticle(WorkerConfig config) {
        this(config, new WorkerMetrics());
    }

    /** A worker recording into the given metrics (served by the management server). */
    public WorkerVerticle(WorkerConfig config, WorkerMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
    }

    @Override
    public Future<?> start() {
        cpu = vertx.createSharedWorkerExecutor("lama-io", IO_THREADS);
        // Loads and warms the sessions, which the runner threads then run. Long
        // blocking calls are expected there.
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
                .compose(v -> fetchModel())
                .compose(
                        v ->
                                inference.executeBlocking(
                                        () -> {
                                            InpaintModel.Options options =
                                                    InpaintModel.Options.of(config);
                                            for (int i = 0;
                                                    i < config.inference().sessions();
                                                    i++) {
                                                InpaintModel loaded = InpaintModel.load(options);
                                                sessions.add(loaded);
                                                // Ready only once every shape has run on every
                                                // session: no cold first job. One run at a time,
                                                // even where runners share the session: runs at
                                                // once would make the arena keep their buffers
                                                // from the start (the 5K crop job then peaked
                                                // at up to 2319 MiB, past issue 3's 2 GiB).
                                                loaded.warmUp(config.inference().maxBatch());
                                            }
                                            // Only a percentage budget needs the device's
                                            // memory; on a GPU that is nvidia-smi, a process to
                                            // run, so here rather than on the event loop.
                                            deviceMemory =
                                                    config.inference().memoryBudget().isPercentage()
                                                            ? deviceMemoryBytes(sessions.get(0))
                                                            : 0;
                                            return sessions.get(0);
                                        }))
                .compose(
                        first -> {
                            model = first;
                            CostModel costs =
                                    Calibration.costModelFor(
                                            config.model().path(), model.id(), model.device());
                            runner =
                                    new BatchingRunner(
                                            BatchingRunner.spread(
                                                    sessions, config.inference().runners()),
                                            config.inference().maxBatch(),
                                            config.inference().maxBatchDelayMillis());
                            processor =
                                    new JobProcessor(
                                            store,
                                            model,
                                            cpu,
                                            runner,
                                            config,
                                            costs,
                                            new StorageRetry(vertx, config.delivery()));
                            publisher =
                                    new ResultPublisher(vertx, config.kafka(), config.workerId());
                            budget =
                                    new MemoryBudget(
                                            config.inference()
                                                    .memoryBudget()
                                                    .resolve(deviceMemory));
                            long worstCase =
                                    costs.worstCaseBytes(
                                            config.image().maxPixels(),
                                            model.info(),
                                            config.inference().maxPixels(),
                                            config.inference().maxBatch());
                            LOG.info(
                                    "Memory budget {} MiB{}; a job reserves up to {} MiB until its picture is decoded",
                                    budget.budget() >> 20,
                                    deviceMemory > 0
                                            ? " of " + (deviceMemory >> 20) + " MiB"
                                            : " (inference.memoryBudget in bytes)",
                                    worstCase >> 20);
                            consumer =
                                    new JobConsumer(
                                            vertx,
                                            config.kafka(),
                                            config.delivery(),
                                            config.workerId(),
                                            config.maxInFlight(),
                                            budget,
                                            () -> worstCase,
                                            this::handle);
                            return consumer.start();
                        })
                .onSuccess(
                        v -> {
                            bindGauges();
                            storageUp = true;
                            // Readiness follows storage: checked every 10 s while running.
                            storageTimer =
                                    vertx.setPeriodic(
                                            10_000,
                                            id ->
                                                    store.bucketExists(config.storage().bucket())
                                                            .onComplete(
                                                                    ar ->
                                                                            storageUp =
                                                                                    ar
                                                                                            .succeeded()));
                            started = true;
                            LOG.info(
                                    "Worker {} ready: model {}, jobs from {}, results to {}",
                                    config.workerId(),
                                    model.id(),
                                    config.kafka().jobsTopic(),
                                    config.kafka().resultsTopic());
                        });
    }

    /** Downloads a model kept in S3 into the cache (or finds it there); nothing for a file. */
    private Future<Void> fetchModel() {
        WorkerConfig.Model m = config.model();
        if (m.remote() == null) {
            return Future.succeededFuture();
        }
        return ModelCache.fetch(store, cpu, m.remote(), m.sha256(), m.cacheDir())
                .map(
                        file -> {
                            config = config.withModelFile(file);
                            return null;
                        });
    }

    /** Gauges over the live state, read by the management server's scrapes. */
    private void bindGauges() {
        MeterRegistry registry = metrics.registry();
        Gauge.builder("lama.inference.queue.depth", runner, BatchingRunner::queued)
                .description("Model runs waiting for a runner")
                .register(registry);
        Gauge.builder("lama.jobs.in.flight", consumer, JobConsumer::inFlight)
                .description("Jobs admitted and not yet finished")
                .register(registry);
        Gauge.builder("lama.memory.reserved", budget, MemoryBudget::reserved)
                .description("Memory reserved by the jobs in flight")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("lama.memory.budget", budget, MemoryBudget::budget)
                .description("Memory the jobs in flight may reserve together")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("lama.partitions.assigned", consumer, JobConsumer::assignedCount)
                .register(registry);
        Gauge.builder("lama.partitions.paused", consumer, c -> c.paused() ? c.assignedCount() : 0)
                .description("Partitions paused for lack of room")
                .register(registry);
        Gauge.builder("lama.inference.sessions", sessions, List::size).register(registry);
        Gauge.builder("lama.inference.runners", this, WorkerVerticle::runnerCount)
                .description("Inference threads, each running one model run at a time")
                .register(registry);
        FunctionCounter.builder("lama.jobs.retried", consumer, JobConsumer::jobsRetried)
                .description("Jobs run again because their result was not acknowledged")
                .register(registry);
        FunctionCounter.builder("lama.inference.busy", this, w -> w.inferenceBusyNanos() / 1e9)
                .description(
                        "Seconds spent in model runs, summed over concurrent runs; its rate"
                                + " over runners is the device busy fraction")
                .baseUnit("seconds")
                .register(registry);
        // Consumer lag and the rest of the Kafka client's own metrics.
        kafkaMetrics = new KafkaClientMetrics(consumer.nativeConsumer());
        kafkaMetrics.bindTo(registry);
        runner.onBatch(metrics::recordBatch);
    }

    /**
     * Ready to take jobs: started (storage checked, model warmed on every session, producer and
     * consumer up), storage answering, and at least one partition assigned.
     */
    public boolean ready() {
        return started && storageUp && consumer != null && consumer.assignedCount() > 0;
    }

    /** Started and not stopped: the process is doing its job. */
    public boolean live() {
        return started;
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
                    InpaintResult.failed(
                            jobId, error, null, 1, new Timings(queued, 0, 0, 0, 0, 0, 0));
            // Both acknowledged before the offset may be committed.
            return publisher
                    .deadLetter(record, error.code(), error.message())
                    .compose(ack -> publish(failed, record));
        }
        int attempt = attempts.next(job.jobId());
        return processor
                .process(job, queued, attempt, reservation)
                .compose(result -> publish(result, record))
                .onSuccess(v -> attempts.finished(job.jobId()));
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
        LOG.atInfo()
                .addKeyValue("jobId", result.jobId())
                .log(
                        "Job {} {}{} in {} ms",
                        result.jobId(),
                        result.status(),
                        error == null ? "" : " " + error.code() + ": " + error.message(),
                        result.timings().total());
        return publisher
                .publish(result)
                .onSuccess(ack -> metrics.recordResult(result))
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
        started = false;
        if (storageTimer >= 0) {
            vertx.cancelTimer(storageTimer);
        }
        if (kafkaMetrics != null) {
            kafkaMetrics.close();
        }
        Future<Void> stopped =
                consumer == null
                        ? Future.succeededFuture()
                        : consumer.stop(config.delivery().shutdownGraceMillis());
        return stopped.eventually(
                        () -> publisher == null ? Future.succeededFuture() : publisher.close())
                .eventually(
                        () -> {
                            // Sessions first: closing one stops its runs still in progress (the
                            // grace ran out; their jobs are redelivered) and refuses new ones, so
                            // the runner threads then end at once.
                            sessions.forEach(InpaintModel::close);
                            if (runner != null) {
                                runner.close();
                            }
                            if (store != null) {
                                store.close();
                            }
                            cpu.close();
                            inference.close();
                            return Future.succeededFuture();
                        });
    }

    /**
     * The memory the budget is a share of: the GPU's (through nvidia-smi) when the model runs on
     * one, this machine's physical memory on the CPU.
     */
    private static long deviceMemoryBytes(InpaintModel model) {
        if (model.nvidiaSmiId() == null) {
            return physicalMemoryBytes();
        }
        try {
            return NvidiaSmiProbe.totalMemoryBytes(model.nvidiaSmiId());
        } catch (IOException e) {
            long host = physicalMemoryBytes();
            LOG.warn(
                    "Cannot read {}'s memory (nvidia-smi --id={}: {}); the memory budget is taken"
                            + " from this machine's {} MiB instead: set inference.memoryBudget to a"
                            + " byte count for the GPU",
                    model.device(),
                    model.nvidiaSmiId(),
                    e.getMessage(),
                    host >> 20);
            return host;
        }
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

    /** Time spent in model runs, summed over concurrent runs; 0 before start. */
    public long inferenceBusyNanos() {
        return sessions.stream().mapToLong(InpaintModel::busyNanos).sum();
    }

    /** Inference threads running jobs' model runs, once started; 0 before. */
    public int runnerCount() {
        return runner == null ? 0 : config.inference().runners();
    }
}
