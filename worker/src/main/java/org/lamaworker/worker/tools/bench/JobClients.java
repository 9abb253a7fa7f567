package org.lamaworker.worker.tools.bench;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.protocol.Timings;

/**
 * The bench's side of Kafka in the end-to-end phases: a producer of the workload's jobs and a
 * reader of their results, positioned at the results topic's end when opened so that only this
 * run's results are read. It is what submits a batch of jobs and waits for all of them, untimed
 * (warm-up, soak rounds) or timed together with the workers' busy time. Batches go to the
 * workload's jobs topic (its first lane); {@link #send} and {@link #poll} serve benches that choose
 * the topic of each job and time each result ({@link LaneBench}).
 */
final class JobClients implements AutoCloseable {
    /** The results of one batch: the succeeded jobs' timings, and how many failed. */
    record Collected(List<Timings> timings, int failed) {}

    /** A batch through the worker, timed from the first job produced to the last result read. */
    record Segment(Collected collected, double seconds, long busyNanos) {
        double busyFraction(int runners) {
            return busyFraction(busyNanos, seconds, runners);
        }

        /** Share of {@code seconds} the runners spent in session.run, averaged over runners. */
        static double busyFraction(long busyNanos, double seconds, int runners) {
            return busyNanos / (seconds * 1e9 * runners);
        }
    }

    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> results;
    private final Workload workload;
    private final PrintWriter err;
    private final String jobsTopic;

    private JobClients(
            KafkaProducer<String, byte[]> producer,
            KafkaConsumer<String, byte[]> results,
            Workload workload,
            PrintWriter err) {
        this.producer = producer;
        this.results = results;
        this.workload = workload;
        this.err = err;
        this.jobsTopic = workload.config().kafka().jobsTopic();
    }

    /** {@code err} gets a line for each failed job. */
    static JobClients open(String bootstrap, Workload workload, PrintWriter err) {
        Properties common = new Properties();
        common.put("bootstrap.servers", bootstrap);
        KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(common, new StringSerializer(), new ByteArraySerializer());
        KafkaConsumer<String, byte[]> results =
                new KafkaConsumer<>(common, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions =
                results.partitionsFor("inpaint.results").stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition()))
                        .toList();
        results.assign(partitions);
        results.seekToEnd(partitions);
        partitions.forEach(results::position);
        return new JobClients(producer, results, workload, err);
    }

    /**
     * One untimed batch, as the raw phase has its untimed run: the JIT compiles the worker's
     * decoding, encoding, Kafka and S3 paths before the clock starts.
     */
    void warmUp(int count) {
        Collected warm = submitAndCollect("warm-", count);
        if (warm.failed() > 0) {
            throw new IllegalStateException(warm.failed() + " warm-up jobs failed");
        }
    }

    /** A timed batch, with the busy time {@code workers} spent on it. */
    Segment timed(WorkerHarness.Workers workers, String prefix, int count) {
        long busyBefore = workers.busyNanos();
        long start = System.nanoTime();
        Collected collected = submitAndCollect(prefix, count);
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Segment(collected, seconds, workers.busyNanos() - busyBefore);
    }

    /**
     * Produces {@code count} jobs, ids {@code prefix} and a number, cycling through the pictures,
     * and reads results until each has one (or an hour has passed).
     */
    Collected submitAndCollect(String prefix, int count) {
        for (int i = 0; i < count; i++) {
            send(jobsTopic, prefix + i, i);
        }
        producer.flush();
        List<Timings> timings = new ArrayList<>();
        int failed = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(60);
        while (timings.size() + failed < count && System.nanoTime() < deadline) {
            for (InpaintResult result : poll(Duration.ofMillis(200))) {
                if (!result.jobId().startsWith(prefix)) {
                    continue;
                }
                if (result.status() == JobStatus.SUCCEEDED) {
                    timings.add(result.timings());
                } else {
                    failed++;
                    err.println(result.jobId() + " failed: " + result.error());
                }
            }
        }
        return new Collected(timings, failed);
    }

    /**
     * Produces one job with id {@code jobId} to {@code topic}, on picture {@code index} of the
     * workload (cycling), without waiting for the broker; {@link #flush} sends it now. The producer
     * is thread-safe, so one thread may send while another polls.
     */
    void send(String topic, String jobId, int index) {
        List<Sample> samples = workload.samples();
        Sample s = samples.get(index % samples.size());
        InpaintJob job =
                new InpaintJob(
                        1,
                        jobId,
                        new ObjectRef(WorkerHarness.BUCKET, "in/" + s.name()),
                        new ObjectRef(WorkerHarness.BUCKET, "in/" + s.name() + ".mask.png"),
                        null,
                        workload.options(),
                        null,
                        null);
        producer.send(new ProducerRecord<>(topic, job.jobId(), JsonCodec.encode(job)));
    }

    /** Sends what {@link #send} queued. */
    void flush() {
        producer.flush();
    }

    /** The results that arrive within {@code timeout}; call from one thread only. */
    List<InpaintResult> poll(Duration timeout) {
        List<InpaintResult> polled = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : results.poll(timeout)) {
            polled.add(JsonCodec.decodeResult(record.value()));
        }
        return polled;
    }

    @Override
    public void close() {
        producer.close();
        results.close();
    }
}
