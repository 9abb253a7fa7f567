package org.lamaworker.worker.app;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.vertx.kafka.client.common.TopicPartition;
import org.lamaworker.worker.admission.Admission;
import org.lamaworker.worker.admission.MemoryBudget;
import org.lamaworker.worker.inference.BatchingRunner;
import org.lamaworker.worker.kafka.JobConsumer;

/**
 * Gauges and counters over a running worker's live state, read by the management server's scrapes,
 * plus the Kafka consumer's own metrics (lag among them). Closing unbinds the Kafka metrics.
 */
final class WorkerGauges implements AutoCloseable {
    private final KafkaClientMetrics kafkaMetrics;

    private WorkerGauges(KafkaClientMetrics kafkaMetrics) {
        this.kafkaMetrics = kafkaMetrics;
    }

    static WorkerGauges bind(
            org.lamaworker.worker.management.WorkerMetrics metrics, WorkerAssembly worker) {
        MeterRegistry registry = metrics.registry();
        JobConsumer consumer = worker.consumer();
        MemoryBudget budget = worker.admission().budget();
        Gauge.builder("lama.inference.queue.depth", worker.runner(), BatchingRunner::queued)
                .description("Model runs waiting for a runner")
                .register(registry);
        Gauge.builder("lama.jobs.in.flight", worker.admission(), a -> a.inFlight())
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
        Gauge.builder("lama.partitions.paused", consumer, JobConsumer::pausedPartitions)
                .description("Partitions paused for lack of room")
                .register(registry);
        for (JobConsumer.LaneView lane : consumer.lanes()) {
            Tags tags = Tags.of("lane", lane.topic());
            FunctionCounter.builder("lama.lane.jobs.admitted", lane, JobConsumer.LaneView::admitted)
                    .description("Jobs started from this lane (topic)")
                    .tags(tags)
                    .register(registry);
            Gauge.builder("lama.lane.waiting", lane, JobConsumer.LaneView::waiting)
                    .description("Records of this lane fetched and not started")
                    .tags(tags)
                    .register(registry);
            Gauge.builder("lama.lane.paused", lane, l -> l.paused() ? 1 : 0)
                    .description(
                            "1 while this lane's partitions are paused (records of it wait for"
                                    + " room), 0 while it fetches")
                    .tags(tags)
                    .register(registry);
        }
        consumer.onQueued(metrics::recordLaneQueued);
        Gauge.builder("lama.inference.sessions", worker.sessions(), java.util.List::size)
                .register(registry);
        Gauge.builder("lama.inference.runners", worker, WorkerAssembly::runnerCount)
                .description("Inference threads, each running one model run at a time")
                .register(registry);
        for (Admission.Refusal why : Admission.Refusal.values()) {
            FunctionCounter.builder(
                            "lama.admission.refusals", worker.admission(), a -> a.refusals(why))
                    .description(
                            "Times the next job had to wait, so the partitions were paused, by"
                                    + " reason: in_flight_limit or memory_budget")
                    .tag("reason", why.name().toLowerCase(java.util.Locale.ROOT))
                    .register(registry);
        }
        FunctionCounter.builder("lama.jobs.retried", consumer, JobConsumer::jobsRetried)
                .description(
                        "Job records handed out again after their job ended without an"
                                + " acknowledged result")
                .register(registry);
        FunctionCounter.builder("lama.results.republished", worker.handler(), h -> h.republished())
                .description(
                        "Results published again, unchanged, because the broker did not"
                                + " acknowledge them")
                .register(registry);
        FunctionCounter.builder("lama.inference.busy", worker, w -> w.inferenceBusyNanos() / 1e9)
                .description(
                        "Seconds spent in model runs, summed over concurrent runs; its rate"
                                + " over runners is the device busy fraction")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("lama.backlog.oldest.age", consumer, JobConsumer::oldestBacklogAgeSeconds)
                .description(
                        "Age of the oldest job this worker has fetched but not started (from its"
                                + " record timestamp), over its partitions; 0 when none waits")
                .baseUnit("seconds")
                .register(registry);
        MultiGauge perPartition =
                MultiGauge.builder("lama.backlog.partition.oldest.age")
                        .description(
                                "Age of the oldest job fetched but not started, per partition"
                                        + " (topic is the lane)")
                        .baseUnit("seconds")
                        .register(registry);
        consumer.onAssignmentChange(
                partitions -> {
                    java.util.List<MultiGauge.Row<?>> rows = new java.util.ArrayList<>();
                    for (TopicPartition partition : partitions) {
                        rows.add(
                                MultiGauge.Row.of(
                                        Tags.of(
                                                "topic",
                                                partition.getTopic(),
                                                "partition",
                                                Integer.toString(partition.getPartition())),
                                        consumer,
                                        c -> c.backlogAgeSeconds(partition)));
                    }
                    perPartition.register(rows, true);
                });
        KafkaClientMetrics kafka = new KafkaClientMetrics(consumer.nativeConsumer());
        kafka.bindTo(registry);
        worker.runner().onBatch(metrics::recordBatch);
        return new WorkerGauges(kafka);
    }

    @Override
    public void close() {
        kafkaMetrics.close();
    }
}
