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
 * (warm-up, soak rounds) or timed together with the workers' busy time.
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

    private JobClients(
            KafkaProducer<String, byte[]> producer,
            KafkaConsumer<String, byte[]> results,
            Workload workload,
            PrintWriter err) {
        this.producer = producer;
        this.results = results;
        this.workload = workload;
        this.err = err;
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
        List<Sample> samples = workload.samples();
        for (int i = 0; i < count; i++) {
            Sample s = samples.get(i % samples.size());
            InpaintJob job =
                    new InpaintJob(
                            1,
                            prefix + i,
                            new ObjectRef(WorkerHarness.BUCKET, "in/" + s.name()),
                            new ObjectRef(WorkerHarness.BUCKET, "in/" + s.name() + ".mask.png"),
                            null,
                            workload.options(),
                            null,
                            null);
            producer.send(new ProducerRecord<>("inpaint.jobs", job.jobId(), JsonCodec.encode(job)));
        }
        producer.flush();
        List<Timings> timings = new ArrayList<>();
        int failed = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(60);
        while (timings.size() + failed < count && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> record : results.poll(Duration.ofMillis(200))) {
                InpaintResult result = JsonCodec.decodeResult(record.value());
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

    @Override
    public void close() {
        producer.close();
        results.close();
    }
}
