package org.lamaworker.worker.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.LatencyEvent;
import org.lamaworker.protocol.Timings;

/**
 * The fleet view from latency events and the worker's own meters: workers listed while seen in the
 * last ten minutes, jobs per second from the events, the model's busy fraction from its busy-time
 * counter over the runners, memory and paused partitions from the gauges, history bounded.
 */
class FleetViewTest {
    private static final long T0 = 1_800_000_000_000L;

    @Test
    void workersRatesAndThisWorkersGauges() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicLong busyMillis = new AtomicLong();
        FunctionCounter.builder("lama.inference.busy", busyMillis, b -> b.get() / 1000.0)
                .register(registry);
        Gauge.builder("lama.inference.runners", () -> 2).register(registry);
        Gauge.builder("lama.memory.reserved", () -> 300).register(registry);
        Gauge.builder("lama.memory.budget", () -> 1000).register(registry);
        Gauge.builder("lama.partitions.paused", () -> 1).register(registry);
        Gauge.builder("lama.partitions.assigned", () -> 2).register(registry);
        FleetView fleet = new FleetView(registry, "w1");

        fleet.sample(T0);
        fleet.event(event("j1", "w1", "reference-fill@1", JobStatus.SUCCEEDED, T0 + 500));
        fleet.event(event("j2", "w2", "lama_fp32@2", JobStatus.FAILED, T0 + 900));
        busyMillis.set(2_000); // 2 s of model time on 2 runners over 2 s: half busy
        fleet.sample(T0 + 2_000);
        fleet.lag(7);

        JsonObject view = fleet.view(T0 + 2_000, "reference-fill@1", true);
        JsonArray workers = view.getJsonArray("workers");
        assertThat(workers).hasSize(2);
        JsonObject w1 = workers.getJsonObject(0);
        assertThat(w1.getString("workerId")).isEqualTo("w1");
        assertThat(w1.getBoolean("self")).isTrue();
        assertThat(w1.getBoolean("reference")).isTrue();
        assertThat(w1.getLong("succeeded")).isEqualTo(1);
        JsonObject w2 = workers.getJsonObject(1);
        assertThat(w2.getBoolean("reference")).isFalse();
        assertThat(w2.getLong("failed")).isEqualTo(1);
        // Two jobs in the two seconds since the first sample.
        assertThat(view.getDouble("jobsPerSecond")).isEqualTo(1.0);
        assertThat(view.getLong("lag")).isEqualTo(7);
        JsonObject self = view.getJsonObject("self");
        assertThat(self.getDouble("busy")).isEqualTo(0.5);
        assertThat(self.getDouble("memoryReserved")).isEqualTo(300.0);
        assertThat(self.getDouble("memoryBudget")).isEqualTo(1000.0);
        assertThat(self.getDouble("pausedPartitions")).isEqualTo(1.0);
        assertThat(view.getJsonArray("recent").getJsonObject(0).getString("jobId")).isEqualTo("j2");
        assertThat(view.getJsonObject("finished").getLong("failed")).isEqualTo(1);

        // Ten quiet minutes later: no rate, no workers, and the history holds ten minutes.
        long t = T0 + 2_000;
        for (int i = 0; i < FleetView.HISTORY + 10; i++) {
            t += FleetView.SAMPLE_MILLIS;
            fleet.sample(t);
        }
        JsonObject later = fleet.view(t, "reference-fill@1", true);
        assertThat(later.getJsonArray("workers")).isEmpty();
        assertThat(later.getDouble("jobsPerSecond")).isZero();
        assertThat(later.getJsonObject("history").getJsonArray("samples"))
                .hasSize(FleetView.HISTORY);
        assertThat(later.getJsonObject("self").getDouble("busy")).isZero();
    }

    private static LatencyEvent event(
            String jobId, String worker, String model, JobStatus status, long at) {
        return new LatencyEvent(
                InpaintJob.VERSION,
                jobId,
                status,
                status == JobStatus.FAILED ? "MASK_SIZE_MISMATCH" : null,
                worker,
                model,
                0,
                1,
                new Timings(1, 1, 1, 1, 1, 1, 6),
                Instant.ofEpochMilli(at));
    }
}
