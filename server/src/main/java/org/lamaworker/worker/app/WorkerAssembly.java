package org.lamaworker.worker.app;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.lamaworker.worker.admission.Admission;
import org.lamaworker.worker.admission.Redelivery;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.BatchingRunner;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.job.JobHandler;
import org.lamaworker.worker.job.JobProcessor;
import org.lamaworker.worker.job.JobStarts;
import org.lamaworker.worker.kafka.AttemptsTopic;
import org.lamaworker.worker.kafka.JobConsumer;
import org.lamaworker.worker.kafka.ResultPublisher;
import org.lamaworker.worker.management.WorkerMetrics;
import org.lamaworker.worker.storage.DownloadProgress;
import org.lamaworker.worker.storage.ModelFetcher;
import org.lamaworker.worker.storage.ObjectStore;
import org.lamaworker.worker.storage.StorageRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where the worker's parts are built and wired, started in order (pools, storage,
 * model, admission, the attempts topic read to its end, producer, consumer) and stopped in the
 * reverse stages (consumer drains, producer flushes, the attempts topic's clients close, sessions
 * stop their runs, runner threads end, storage and pools close). It owns everything it creates; the
 * verticle only starts and stops it. State is touched on the verticle's context, except the model's
 * loading, which runs on its own executor.
 */
final class WorkerAssembly {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerAssembly.class);

    private final Vertx vertx;
    private final WorkerMetrics metrics;

    /** Replaced once, when a model in S3 has been fetched to a local file. */
    private WorkerConfig config;

    private WorkerExecutor storagePool;
    private WorkerExecutor pipelinePool;
    private WorkerExecutor loading;
    private ObjectStore store;
    private final List<InpaintModel> sessions = new ArrayList<>();
    private Admission admission;
    private BatchingRunner runner;
    private ResultPublisher publisher;
    private JobHandler handler;
    private JobConsumer consumer;
    private AttemptsTopic attempts;
    private WorkerGauges gauges;
    private long storageTimer = -1;
    private volatile boolean started;
    private volatile boolean storageUp;

    /** What the worker is doing while not ready, for the readiness answer. */
    private volatile String stage = "starting";

    WorkerAssembly(Vertx vertx, WorkerConfig config, WorkerMetrics metrics) {
        this.vertx = vertx;
        this.config = config;
        this.metrics = metrics;
    }

    /** Builds and starts everything; completes once jobs can be taken. */
    Future<Void> start() {
        WorkerConfig.Pools pools = config.pools();
        storagePool = vertx.createSharedWorkerExecutor("lama-storage", pools.storageThreads());
        pipelinePool = vertx.createSharedWorkerExecutor("lama-pipeline", pools.pipelineThreads());
        // Fetches, loads and warms the model, which the runner threads then run: long blocking
        // calls (a 208 MB download on a slow link among them), so Vert.x warns only after an hour.
        loading = vertx.createSharedWorkerExecutor("lama-model-load", 1, 60, TimeUnit.MINUTES);
        try {
            store =
                    new ObjectStore(
                            vertx, config.storage(), storagePool, config.image().maxBytes());
        } catch (RuntimeException e) {
            // A failed future, so that the verticle's recovery stops what was built so far.
            return Future.failedFuture(e);
        }
        stage = "checking storage";
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
                .compose(v -> loading.executeBlocking(this::loadModel))
                .compose(v -> readAttempts())
                .compose(v -> startJobs())
                .onSuccess(v -> serving());
    }

    /**
     * Gets a model named by catalogue name, URL or S3 location into the cache (or finds it there);
     * nothing for a file. Readiness says how far a download has come meanwhile.
     */
    private Future<Void> fetchModel() {
        WorkerConfig.Model m = config.model();
        if (m.remote() == null) {
            return Future.succeededFuture();
        }
        stage = "fetching model " + m.fileName();
        DownloadProgress progress =
                ModelFetcher.reporting(
                        DownloadProgress.shown("model " + m.fileName()),
                        status -> stage = "downloading model " + m.fileName() + ": " + status);
        // Blocking, so on the model-load thread; the store's own calls still run on its pool.
        Future<Path> file =
                loading.executeBlocking(
                        () -> ModelFetcher.fetchRemote(m, store, storagePool, progress));
        return file.map(
                path -> {
                    config = config.withModelFile(path);
                    return null;
                });
    }

    /**
     * Loads and warms every session, then prices admission for the model. Ready only once every
     * shape has run on every session: no cold first job. One run at a time, even where runners
     * share the session: runs at once would make the arena keep their buffers from the start (the
     * 5K crop job then peaked at up to 2319 MiB, past issue 3's 2 GiB).
     */
    private Void loadModel() {
        stage = "loading and warming up the model";
        InpaintModel.Options options = InpaintModel.Options.of(config);
        for (int i = 0; i < config.inference().sessions(); i++) {
            InpaintModel loaded = InpaintModel.load(options);
            sessions.add(loaded);
            loaded.warmUp(config.inference().maxBatch());
        }
        admission = Admission.forModel(config, sessions.get(0));
        return null;
    }

    /**
     * Reads the fleet's record of job starts to its end before the first job, so that a job that
     * killed workers before this one started is known when it comes.
     */
    private Future<Void> readAttempts() {
        if (config.kafka().attemptsTopic() == null) {
            return Future.succeededFuture();
        }
        stage = "reading the attempts topic " + config.kafka().attemptsTopic();
        attempts = new AttemptsTopic(vertx, config.kafka(), config.workerId());
        return attempts.start();
    }

    private Future<Void> startJobs() {
        stage = "joining the consumer group";
        InpaintModel model = sessions.get(0);
        runner =
                new BatchingRunner(
                        BatchingRunner.spread(sessions, config.inference().runners()),
                        config.inference().maxBatch(),
                        config.inference().maxBatchDelayMillis());
        JobProcessor processor =
                new JobProcessor(
                        store,
                        model,
                        pipelinePool,
                        runner,
                        config,
                        new StorageRetry(vertx, config.delivery()));
        publisher = ResultPublisher.create(vertx, config.kafka(), config.workerId());
        handler =
                new JobHandler(
                        vertx,
                        processor::process,
                        publisher,
                        metrics,
                        config,
                        model.id(),
                        record -> consumer != null && consumer.owns(record),
                        new JobStarts(attempts, config.workerId(), config.delivery().maxCrashes()));
        consumer =
                new JobConsumer(
                        vertx,
                        config.kafka(),
                        config.workerId(),
                        admission,
                        new Redelivery(10_000, config.delivery()),
                        handler);
        // A job whose partition moves while it runs here is let go alive, not left to look dead.
        consumer.onAssignmentChange(partitions -> handler.letGoOfMoved());
        return consumer.start();
    }

    private void serving() {
        gauges = WorkerGauges.bind(metrics, this);
        storageUp = true;
        // Readiness follows storage: checked every 10 s while running.
        storageTimer =
                vertx.setPeriodic(
                        10_000,
                        id ->
                                store.bucketExists(config.storage().bucket())
                                        .onComplete(ar -> storageUp = ar.succeeded()));
        started = true;
        LOG.info(
                "Worker {} ready: model {}, jobs from {}, results to {}",
                config.workerId(),
                modelId(),
                config.kafka().lanes().size() == 1
                        ? config.kafka().jobsTopic()
                        : config.kafka().lanes(),
                config.kafka().resultsTopic());
    }

    /**
     * Stops in stages: the consumer stops fetching and lets jobs in flight finish within the grace
     * (committing what finished), the producer flushes, then sessions close (stopping runs still
     * going and waiting for them) before their runner threads end, then storage and the pools.
     */
    Future<Void> stop() {
        started = false;
        if (storageTimer >= 0) {
            vertx.cancelTimer(storageTimer);
        }
        if (gauges != null) {
            gauges.close();
        }
        Future<Void> stopped =
                consumer == null
                        ? Future.succeededFuture()
                        : consumer.stop(config.delivery().shutdownGraceMillis());
        return stopped.eventually(
                        // Jobs still running past the grace are let go alive, not deaths.
                        () ->
                                handler == null
                                        ? Future.succeededFuture()
                                        : handler.letGoOfUnfinished().timeout(10, TimeUnit.SECONDS))
                .eventually(() -> publisher == null ? Future.succeededFuture() : publisher.close())
                .eventually(() -> attempts == null ? Future.succeededFuture() : attempts.close())
                .eventually(
                        // Off the event loop: a session waits up to 30 s for a run to stop, and
                        // the runner threads are joined.
                        () ->
                                loading == null
                                        ? Future.succeededFuture()
                                        : loading.executeBlocking(this::closeModel))
                .eventually(
                        () -> {
                            if (store != null) {
                                store.close();
                            }
                            return Future.join(
                                            close(storagePool), close(pipelinePool), close(loading))
                                    .<Void>mapEmpty();
                        });
    }

    /**
     * Sessions first: closing one stops its runs still in progress (the grace ran out; their jobs
     * are redelivered) and refuses new ones, so the runner threads then end at once.
     */
    private Void closeModel() {
        sessions.forEach(InpaintModel::close);
        if (runner != null) {
            runner.close();
        }
        return null;
    }

    private static Future<Void> close(WorkerExecutor pool) {
        return pool == null ? Future.succeededFuture() : pool.close();
    }

    /** Started, storage answering, at least one partition assigned. */
    boolean ready() {
        return notReadyReason() == null;
    }

    /** Why the worker cannot take jobs now, or {@code null} when it can. */
    String notReadyReason() {
        if (!started) {
            return stage;
        }
        if (!storageUp) {
            return "storage does not answer";
        }
        if (consumer.assignedCount() == 0) {
            return "no partitions assigned";
        }
        return null;
    }

    boolean live() {
        return started;
    }

    JobConsumer consumer() {
        return consumer;
    }

    Admission admission() {
        return admission;
    }

    BatchingRunner runner() {
        return runner;
    }

    JobHandler handler() {
        return handler;
    }

    List<InpaintModel> sessions() {
        return sessions;
    }

    String modelId() {
        return sessions.isEmpty() ? null : sessions.get(0).id();
    }

    /** Time spent in model runs, summed over concurrent runs; 0 before start. */
    long inferenceBusyNanos() {
        return sessions.stream().mapToLong(InpaintModel::busyNanos).sum();
    }

    /** Inference threads running jobs' model runs, once started; 0 before. */
    int runnerCount() {
        return runner == null ? 0 : config.inference().runners();
    }
}
