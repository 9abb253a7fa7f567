package org.lamaworker.worker.app;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.lamaworker.worker.admission.MemoryBudget;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.kafka.JobConsumer;
import org.lamaworker.worker.management.WorkerMetrics;

/**
 * The worker as a Vert.x verticle: starting it builds and starts a {@link WorkerAssembly} on its
 * context (ready when its start future completes), stopping it stops that assembly in stages.
 * Nothing else: wiring lives in the assembly, each job's path in the job handler.
 */
public final class WorkerVerticle extends VerticleBase {
    private final WorkerConfig config;
    private final WorkerMetrics metrics;
    private final boolean ownsMetrics;
    private volatile WorkerAssembly assembly;

    /** A worker for the given configuration, with metrics of its own, closed when it stops. */
    public WorkerVerticle(WorkerConfig config) {
        this(config, new WorkerMetrics(), true);
    }

    /**
     * A worker recording into the given metrics (served by the management server), which stay the
     * caller's to close.
     */
    public WorkerVerticle(WorkerConfig config, WorkerMetrics metrics) {
        this(config, metrics, false);
    }

    private WorkerVerticle(WorkerConfig config, WorkerMetrics metrics, boolean ownsMetrics) {
        this.config = config;
        this.metrics = metrics;
        this.ownsMetrics = ownsMetrics;
    }

    @Override
    public Future<?> start() {
        WorkerAssembly starting = new WorkerAssembly(vertx, config, metrics);
        assembly = starting;
        // A start that fails part way (storage unusable, model refused) frees what it built.
        return starting.start()
                .recover(e -> starting.stop().transform(ar -> Future.failedFuture(e)));
    }

    @Override
    public Future<?> stop() {
        Future<Void> stopped = assembly == null ? Future.succeededFuture() : assembly.stop();
        return stopped.onComplete(
                ar -> {
                    if (ownsMetrics) {
                        metrics.close();
                    }
                });
    }

    /**
     * Ready to take jobs: started (storage checked, model warmed on every session, producer and
     * consumer up), storage answering, and at least one partition assigned.
     */
    public boolean ready() {
        WorkerAssembly a = assembly;
        return a != null && a.ready();
    }

    /** Why the worker cannot take jobs now (e.g. downloading its model), or {@code null}. */
    public String notReadyReason() {
        WorkerAssembly a = assembly;
        return a == null ? "starting" : a.notReadyReason();
    }

    /** Started and not stopped: the process is doing its job. */
    public boolean live() {
        WorkerAssembly a = assembly;
        return a != null && a.live();
    }

    /** The job consumer, once started. */
    public JobConsumer jobConsumer() {
        return assembly.consumer();
    }

    /** The memory budget, once started. */
    public MemoryBudget budget() {
        return assembly.admission().budget();
    }

    /** The loaded model's id, once started. */
    public String modelId() {
        return assembly == null ? null : assembly.modelId();
    }

    /** Time spent in model runs, summed over concurrent runs; 0 before start. */
    public long inferenceBusyNanos() {
        return assembly == null ? 0 : assembly.inferenceBusyNanos();
    }

    /** Inference threads running jobs' model runs, once started; 0 before. */
    public int runnerCount() {
        return assembly == null ? 0 : assembly.runnerCount();
    }
}
