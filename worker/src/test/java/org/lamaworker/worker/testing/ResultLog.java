package org.lamaworker.worker.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JsonCodec;

/**
 * Every result on a topic, duplicates included, read from the start (or from the end) of all its
 * partitions: for tests that count what a fault cost.
 */
public final class ResultLog implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final List<InpaintResult> results = new ArrayList<>();

    /**
     * Reads {@code topic}.
     *
     * @param fromEnd skip what is already there
     */
    public ResultLog(String bootstrap, String topic, boolean fromEnd) {
        java.util.Properties props = new java.util.Properties();
        props.put("bootstrap.servers", bootstrap);
        consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions =
                consumer.partitionsFor(topic).stream()
                        .map(p -> new TopicPartition(topic, p.partition()))
                        .toList();
        consumer.assign(partitions);
        if (fromEnd) {
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
        } else {
            consumer.seekToBeginning(partitions);
        }
    }

    /** Reads until {@code distinct} jobs have a result, failing after four minutes. */
    public List<InpaintResult> awaitDistinct(int distinct) {
        return awaitDistinct(distinct, () -> "");
    }

    /**
     * Waits up to 4 minutes for results of that many distinct jobs; on timeout the error carries
     * what {@code diagnostics} says (such as the workers' warnings), so a failure in CI explains
     * itself.
     */
    public List<InpaintResult> awaitDistinct(int distinct, Supplier<String> diagnostics) {
        return awaitDistinct(distinct, id -> true, diagnostics);
    }

    /** As {@link #awaitDistinct(int, Supplier)}, counting only the jobs {@code jobIds} accepts. */
    public List<InpaintResult> awaitDistinct(
            int distinct, Predicate<String> jobIds, Supplier<String> diagnostics) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (distinctJobs(jobIds) < distinct) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        "waited 4 minutes for "
                                + distinct
                                + " jobs' results, got "
                                + distinctJobs(jobIds)
                                + " ("
                                + results.size()
                                + " results)"
                                + diagnostics.get());
            }
            poll();
        }
        return results;
    }

    private long distinctJobs(Predicate<String> jobIds) {
        return results.stream().map(InpaintResult::jobId).filter(jobIds).distinct().count();
    }

    /** Waits a little, then reads what arrived: late duplicates get counted. */
    public List<InpaintResult> settle(Duration wait) throws InterruptedException {
        Thread.sleep(wait.toMillis());
        poll();
        return results;
    }

    private void poll() {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            results.add(JsonCodec.decodeResult(r.value()));
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}
