package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.testing.CoffeeJobs;
import org.lamaworker.worker.testing.ResultLog;
import org.lamaworker.worker.testing.TestServers;
import org.lamaworker.worker.testing.WorkerProcess;

/**
 * A job that kills whichever worker runs it, with real process deaths: worker processes of the
 * packaged jar are SIGKILLed while that job is inside the model (seen in their log), twice, each
 * time by a new process; the third worker fails it with {@code JOB_CRASHED_WORKER} without running
 * it, copies it to the dead-letter topic, and keeps serving. Every other job succeeds, including
 * the ones that were running beside the poison job when their worker died (they then run alone),
 * and the attempts topic ends with a tombstone for every job.
 */
class PoisonJobIT {
    private static final String POISON = "poison";

    @Test
    void aJobThatKillsTwoWorkersIsQuarantinedByTheThird(@TempDir Path dir) throws Exception {
        TestServers servers = TestServers.get();
        String run = servers.coffeeRun("poison");
        servers.createTopics(Map.of(run + ".dlq", 1));
        // A big picture, so that the job stays in the model, compositing and encoding for a good
        // while after its worker logged that it went to the model.
        servers.put(run, "in/big.png", noise(2000, 1500));
        servers.put(run, "in/big.mask.png", rectangleMask(2000, 1500));
        Path logConfig = dir.resolve("logback-debug.xml");
        Files.writeString(logConfig, LOG_CONFIG, StandardCharsets.UTF_8);
        List<String> jvm = List.of("-Dlogback.configurationFile=" + logConfig);

        List<String> before =
                CoffeeJobs.produce(servers.bootstrapServers(), run + ".jobs", run, "c", 4);
        produce(servers.bootstrapServers(), run + ".jobs", poisonJob(run));
        List<String> after =
                CoffeeJobs.produce(servers.bootstrapServers(), run + ".jobs", run, "d", 8);

        String insideTheModel = "Job " + POISON + " goes to the model";
        List<InpaintResult> results;
        try (ResultLog log = new ResultLog(servers.bootstrapServers(), run + ".results", false)) {
            for (int death = 1; death <= 2; death++) {
                try (WorkerProcess doomed =
                        WorkerProcess.launch(
                                WorkerProcess.FULL_JAR,
                                dir,
                                environment(servers, run, death),
                                jvm)) {
                    doomed.awaitReady();
                    doomed.awaitLine(insideTheModel, Duration.ofMinutes(2));
                    doomed.kill();
                    if (death == 2) {
                        assertThat(doomed.output())
                                .as("the second worker knew of the first death and ran it alone")
                                .contains("Job " + POISON + " is back after its worker died 1");
                    }
                }
            }
            try (WorkerProcess third =
                    WorkerProcess.launch(
                            WorkerProcess.FULL_JAR, dir, environment(servers, run, 3), jvm)) {
                third.awaitReady();
                log.awaitDistinct(before.size() + 1 + after.size(), () -> third.warnings(40));
                List<String> late =
                        CoffeeJobs.produce(servers.bootstrapServers(), run + ".jobs", run, "e", 4);
                log.awaitDistinct(
                        before.size() + 1 + after.size() + late.size(), () -> third.warnings(40));
                results = log.settle(Duration.ofSeconds(3));
                assertThat(third.output())
                        .as("the third worker did not run it")
                        .doesNotContain(insideTheModel)
                        .contains("Quarantined job " + POISON);
            }
        }

        List<InpaintResult> poison =
                results.stream().filter(r -> r.jobId().equals(POISON)).toList();
        assertThat(poison).as("one result, from the third worker").hasSize(1);
        assertThat(poison.get(0).status()).isEqualTo(JobStatus.FAILED);
        assertThat(poison.get(0).error().code()).isEqualTo("JOB_CRASHED_WORKER");
        assertThat(poison.get(0).attempt()).as("attempts count across processes").isEqualTo(3);
        assertThat(results.stream().filter(r -> !r.jobId().equals(POISON)))
                .isNotEmpty()
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(JobStatus.SUCCEEDED));

        Map<String, ConsumerRecord<String, byte[]>> dlq = readAll(servers, run + ".dlq");
        assertThat(dlq).containsOnlyKeys(POISON);
        ConsumerRecord<String, byte[]> copy = dlq.get(POISON);
        assertThat(header(copy, "lama.dlq.reason")).isEqualTo("JOB_CRASHED_WORKER");
        assertThat(header(copy, "lama.dlq.crashes")).isEqualTo("2");
        assertThat(JsonCodec.decodeJob(copy.value()).jobId()).isEqualTo(POISON);

        // Bounded: every job's last record on the attempts topic is its tombstone.
        Map<String, ConsumerRecord<String, byte[]>> attempts =
                readAll(servers, run + ".jobs.attempts");
        assertThat(attempts).containsKey(POISON);
        assertThat(attempts.values())
                .allSatisfy(r -> assertThat(r.value()).as("tombstone of " + r.key()).isNull());
    }

    /** A config that logs, besides the usual, when each job goes to the model. */
    private static final String LOG_CONFIG =
            """
            <configuration>
              <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
              </appender>
              <logger name="org.apache.kafka" level="WARN"/>
              <logger name="org.lamaworker.worker.job" level="DEBUG"/>
              <root level="INFO"><appender-ref ref="OUT"/></root>
            </configuration>
            """;

    private static Map<String, String> environment(TestServers servers, String run, int index) {
        Map<String, String> env = servers.workerEnvironment(run, run);
        env.put("LAMA_WORKER_ID", run + "-" + index);
        env.put("LAMA_TOPICS_DEAD_LETTER", run + ".dlq");
        // A killed member's partition moves on after 6 s instead of the client's default 45 s.
        env.put("LAMA_KAFKA_SESSION_TIMEOUT_MS", "6000");
        env.put("LAMA_KAFKA_HEARTBEAT_INTERVAL_MS", "1000");
        env.put("LAMA_WORKER_MAX_IN_FLIGHT", "2");
        env.put("LAMA_INFERENCE_THREADS", "1");
        return env;
    }

    private static byte[] poisonJob(String bucket) {
        InpaintJob job =
                InpaintJob.of(
                        POISON,
                        new ObjectRef(bucket, "in/big.png"),
                        new ObjectRef(bucket, "in/big.mask.png"));
        return JsonCodec.encode(job);
    }

    private static void produce(String bootstrap, String topic, byte[] job) throws Exception {
        Properties client = new Properties();
        client.put("bootstrap.servers", bootstrap);
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(client, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, POISON, job)).get();
        }
    }

    /** Each key's last record on a one-partition topic, read from its beginning to its end. */
    private static Map<String, ConsumerRecord<String, byte[]>> readAll(
            TestServers servers, String topic) {
        Properties props = new Properties();
        props.put("bootstrap.servers", servers.bootstrapServers());
        Map<String, ConsumerRecord<String, byte[]>> last = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    last.put(r.key(), r);
                }
            }
        }
        return last;
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static byte[] noise(int width, int height) {
        java.util.Random random = new java.util.Random(7);
        java.awt.image.BufferedImage image =
                new java.awt.image.BufferedImage(
                        width, height, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int v = (x * 7 + y * 3) & 0xff;
                image.setRGB(x, y, (v << 16) | (random.nextInt(64) << 8) | (255 - v));
            }
        }
        return png(image);
    }

    private static byte[] rectangleMask(int width, int height) {
        java.awt.image.BufferedImage mask =
                new java.awt.image.BufferedImage(
                        width, height, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        java.awt.Graphics2D g = mask.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(width / 5, height / 5, width * 3 / 5, height * 3 / 5);
        g.dispose();
        return png(mask);
    }

    private static byte[] png(java.awt.image.BufferedImage image) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            javax.imageio.ImageIO.write(image, "png", out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
