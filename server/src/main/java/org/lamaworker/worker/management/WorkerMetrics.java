package org.lamaworker.worker.management;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobError;
import org.lamaworker.protocol.Timings;

/**
 * The worker's metrics in one Prometheus registry: jobs by status and error code, per-stage latency
 * histograms, per-lane queue times, batch sizes, plus JVM metrics. Gauges over the worker's live
 * state (queue depth, in-flight cost against the budget, paused partitions, consumer lag, model
 * busy time) are bound by the worker once it has started. Meters are thread-safe; recording happens
 * on the worker's threads, scraping on the management server's.
 */
public final class WorkerMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry =
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final DistributionSummary batchSizes;

    /** A registry with the JVM's own metrics bound. */
    public WorkerMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        gc.bindTo(registry);
        batchSizes =
                DistributionSummary.builder("lama.inference.batch.size")
                        .description("Inputs per model run")
                        .serviceLevelObjectives(1, 2, 4, 8, 16)
                        .register(registry);
    }

    /** The registry, for binding gauges. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Counts a published result and records its stage timings. */
    public void recordResult(InpaintResult result) {
        JobError error = result.error();
        Counter.builder("lama.jobs")
                .description("Jobs finished, by status and error code")
                .tag("status", result.status().name())
                .tag("code", error == null ? "none" : error.code())
                .register(registry)
                .increment();
        if (result.output() != null && Boolean.TRUE.equals(result.output().reused())) {
            Counter.builder("lama.jobs.reused")
                    .description(
                            "Jobs answered from an output that already existed from the same"
                                    + " inputs, options and model, without running the model")
                    .register(registry)
                    .increment();
        }
        if (result.output() != null
                && result.output().jpegPatch() != null
                && !Boolean.TRUE.equals(result.output().reused())) {
            Counter.builder("lama.jpeg.jobs")
                    .description(
                            "JPEG-to-JPEG jobs by how they were written: patched (only the MCUs"
                                    + " the edit reaches re-encoded), reencoded (whole, as the job"
                                    + " asked) or fallback (whole: the input cannot be patched)")
                    .tag("path", result.output().jpegPatch())
                    .register(registry)
                    .increment();
        }
        Timings t = result.timings();
        stage("queued", t.queued());
        stage("download", t.download());
        stage("decode", t.decode());
        stage("inference", t.inference());
        stage("encode", t.encode());
        stage("upload", t.upload());
        stage("total", t.total());
    }

    /**
     * Counts a job started again after an earlier start ended with its worker dying: a job that may
     * be killing workers, before it is quarantined.
     */
    public void recordCrashedStart() {
        Counter.builder("lama.jobs.crashed.starts")
                .description(
                        "Jobs started again after a worker died while running them (counted per"
                                + " start); at delivery.maxCrashes such deaths a job is failed"
                                + " with JOB_CRASHED_WORKER instead")
                .register(registry)
                .increment();
    }

    /** Records the size of one model run. */
    public void recordBatch(int inputs) {
        batchSizes.record(inputs);
    }

    /**
     * Records how long a job of a lane (its topic) waited, record timestamp to start, once its
     * result is acknowledged: the lane's share of {@code lama_stage_duration_seconds{stage=
     * "queued"}}, which is how lanes are seen to work. Its buckets reach a day, not ten minutes as
     * the stages' do: a backfill's jobs wait for hours, by design.
     */
    public void recordLaneQueued(String lane, long millis) {
        Timer.builder("lama.lane.queued")
                .description("Time a job waited from its record's timestamp to its start, by lane")
                .tag("lane", lane)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofDays(1))
                .register(registry)
                .record(millis, TimeUnit.MILLISECONDS);
    }

    private void stage(String name, long millis) {
        Timer.builder("lama.stage.duration")
                .description("Time a job spent in a stage")
                .tag("stage", name)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry)
                .record(millis, TimeUnit.MILLISECONDS);
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
