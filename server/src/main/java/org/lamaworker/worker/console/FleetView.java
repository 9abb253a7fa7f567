package org.lamaworker.worker.console;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.LatencyEvent;

/**
 * What the console shows of the fleet: the workers whose latency events it read in the last ten
 * minutes (id, model, last seen, jobs), jobs finished per second, the consumer group's lag, and
 * this worker's own gauges read from its metrics registry (model busy fraction, memory reserved
 * against the budget, jobs in flight, paused partitions), with one sample every {@link
 * #SAMPLE_MILLIS} kept for ten minutes for the page's charts. Bounded: at most {@link #MAX_WORKERS}
 * workers, {@link #HISTORY} samples and {@link #RECENT} recent jobs. Thread-safe: the topic
 * follower tells it events on its thread, the sampler and the HTTP server use it on the event loop.
 */
final class FleetView {
    /** How often a sample is taken. */
    static final long SAMPLE_MILLIS = 2_000;

    /** Samples kept: ten minutes. */
    static final int HISTORY = (int) (600_000 / SAMPLE_MILLIS);

    /** How long a worker stays listed after its last event. */
    static final long WORKER_WINDOW_MILLIS = 600_000;

    static final int MAX_WORKERS = 1_000;
    static final int RECENT = 10;

    /** The window jobs per second is averaged over. */
    private static final long RATE_WINDOW_MILLIS = 30_000;

    private static final class Worker {
        String modelId;
        long lastSeen;
        long succeeded;
        long failed;
    }

    private record Sample(
            long at,
            long millis,
            long events,
            double jobsPerSecond,
            Long lag,
            Double busy,
            Double reserved,
            Double budget,
            Double inFlight,
            Double paused) {}

    private final MeterRegistry registry;
    private final String workerId;
    private final Map<String, Worker> workers = new LinkedHashMap<>();
    private final Deque<Sample> history = new ArrayDeque<>();
    private final Deque<JsonObject> recent = new ArrayDeque<>();
    private long eventsSinceSample;
    private long succeeded;
    private long failed;
    private Long lag;
    private String lagProblem = "not measured yet";
    private double lastBusySeconds = Double.NaN;
    private long lastSampleAt;

    /**
     * A view reading this worker's gauges from {@code registry}.
     *
     * @param workerId this worker's id, marked in the list
     */
    FleetView(MeterRegistry registry, String workerId) {
        this.registry = registry;
        this.workerId = workerId;
    }

    /** A latency event read from the events topic, produced since the console started. */
    synchronized void event(LatencyEvent event) {
        event(event, false);
    }

    /**
     * A latency event read from the events topic.
     *
     * @param history produced before the console started (read back from the last ten minutes at
     *     start): it lists its worker and job, but counts in neither the rate nor the totals
     *     finished since the start
     */
    synchronized void event(LatencyEvent event, boolean history) {
        Worker worker = workers.remove(event.workerId());
        if (worker == null) {
            worker = new Worker();
            if (workers.size() >= MAX_WORKERS) {
                Iterator<String> oldest = workers.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
        }
        // Re-inserted: the map's order is the order workers were last seen in.
        workers.put(event.workerId(), worker);
        worker.modelId = event.modelId();
        worker.lastSeen = Math.max(worker.lastSeen, event.finishedAt().toEpochMilli());
        boolean ok = event.status() == JobStatus.SUCCEEDED;
        if (ok) {
            worker.succeeded++;
        } else {
            worker.failed++;
        }
        if (!history) {
            if (ok) {
                succeeded++;
            } else {
                failed++;
            }
            eventsSinceSample++;
        }
        recent.addFirst(
                new JsonObject()
                        .put("jobId", event.jobId())
                        .put("workerId", event.workerId())
                        .put("status", event.status().name())
                        .put("errorCode", event.errorCode())
                        .put("totalMillis", event.timings().total())
                        .put("finishedAt", event.finishedAt().toEpochMilli()));
        while (recent.size() > RECENT) {
            recent.removeLast();
        }
    }

    /** The consumer group's lag on the jobs topic, as last measured. */
    synchronized void lag(long records) {
        lag = records;
        lagProblem = null;
    }

    /** Why the lag could not be measured. */
    synchronized void lagUnknown(String why) {
        lag = null;
        lagProblem = why;
    }

    /** Takes a sample of the rates and this worker's gauges. */
    synchronized void sample(long now) {
        double seconds = lastSampleAt == 0 ? 0 : (now - lastSampleAt) / 1000.0;
        double busySeconds = counter("lama.inference.busy");
        Double runners = gauge("lama.inference.runners");
        Double busy = null;
        if (seconds > 0 && !Double.isNaN(busySeconds) && !Double.isNaN(lastBusySeconds)) {
            double runnerCount = runners == null || runners < 1 ? 1 : runners;
            busy =
                    Math.max(
                            0,
                            Math.min(1, (busySeconds - lastBusySeconds) / seconds / runnerCount));
        }
        lastBusySeconds = busySeconds;
        history.addLast(
                new Sample(
                        now,
                        lastSampleAt == 0 ? 0 : now - lastSampleAt,
                        eventsSinceSample,
                        seconds > 0 ? eventsSinceSample / seconds : 0,
                        lag,
                        busy,
                        gauge("lama.memory.reserved"),
                        gauge("lama.memory.budget"),
                        gauge("lama.jobs.in.flight"),
                        gauge("lama.partitions.paused")));
        while (history.size() > HISTORY) {
            history.removeFirst();
        }
        eventsSinceSample = 0;
        lastSampleAt = now;
        workers.values().removeIf(w -> now - w.lastSeen > WORKER_WINDOW_MILLIS);
    }

    /** Jobs finished per second over the samples of the last half minute. */
    private double jobsPerSecond(long now) {
        long events = 0;
        long millis = 0;
        for (Iterator<Sample> it = history.descendingIterator(); it.hasNext(); ) {
            Sample sample = it.next();
            if (now - sample.at() >= RATE_WINDOW_MILLIS) {
                break;
            }
            events += sample.events();
            millis += sample.millis();
        }
        return millis == 0 ? 0 : events * 1000.0 / millis;
    }

    /** The fleet as {@code GET /api/fleet} shows it. */
    synchronized JsonObject view(long now, String modelId, boolean reference) {
        JsonArray list = new JsonArray();
        workers.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(
                        e ->
                                list.add(
                                        new JsonObject()
                                                .put("workerId", e.getKey())
                                                .put("modelId", e.getValue().modelId)
                                                .put("reference", isReference(e.getValue().modelId))
                                                .put("lastSeen", e.getValue().lastSeen)
                                                .put("succeeded", e.getValue().succeeded)
                                                .put("failed", e.getValue().failed)
                                                .put("self", e.getKey().equals(workerId))));
        Sample last = history.peekLast();
        JsonObject self =
                new JsonObject()
                        .put("workerId", workerId)
                        .put("modelId", modelId)
                        .put("reference", reference);
        if (last != null) {
            self.put("busy", last.busy())
                    .put("memoryReserved", last.reserved())
                    .put("memoryBudget", last.budget())
                    .put("inFlight", last.inFlight())
                    .put("pausedPartitions", last.paused());
        }
        self.put("assignedPartitions", gauge("lama.partitions.assigned"));
        self.put("backlogAgeSeconds", gauge("lama.backlog.oldest.age"));
        JsonArray samples = new JsonArray();
        for (Sample sample : history) {
            samples.add(
                    new JsonArray()
                            .add(sample.at())
                            .add(round(sample.jobsPerSecond()))
                            .add(sample.lag())
                            .add(sample.busy() == null ? null : round(sample.busy()))
                            .add(sample.reserved())
                            .add(sample.budget())
                            .add(sample.paused()));
        }
        return new JsonObject()
                .put("now", now)
                .put("workers", list)
                .put("jobsPerSecond", round(jobsPerSecond(now)))
                .put("finished", new JsonObject().put("succeeded", succeeded).put("failed", failed))
                .put("lag", lag)
                .put("lagProblem", lagProblem)
                .put("self", self)
                .put("recent", new JsonArray(new java.util.ArrayList<>(recent)))
                .put(
                        "history",
                        new JsonObject()
                                .put("sampleMillis", SAMPLE_MILLIS)
                                .put(
                                        "columns",
                                        new JsonArray()
                                                .add("at")
                                                .add("jobsPerSecond")
                                                .add("lag")
                                                .add("busy")
                                                .add("memoryReserved")
                                                .add("memoryBudget")
                                                .add("pausedPartitions"))
                                .put("samples", samples));
    }

    /** Whether a model id is the built-in reference fill's (not LaMa). */
    static boolean isReference(String modelId) {
        return modelId != null && modelId.startsWith("reference-fill");
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }

    private Double gauge(String name) {
        Gauge gauge = registry.find(name).gauge();
        if (gauge == null) {
            return null;
        }
        double value = gauge.value();
        return Double.isNaN(value) ? null : value;
    }

    private double counter(String name) {
        FunctionCounter counter = registry.find(name).functionCounter();
        return counter == null ? Double.NaN : counter.count();
    }
}
