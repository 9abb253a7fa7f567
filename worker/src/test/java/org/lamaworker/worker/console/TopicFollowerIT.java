package org.lamaworker.worker.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.LatencyEvent;
import org.lamaworker.protocol.Timings;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.testing.TestServers;

/**
 * The console's follower against a real broker: the fleet view starts with the workers of the last
 * ten minutes read back from the events topic, which count in neither the rate nor the totals
 * finished since the start; older events are not read.
 */
class TopicFollowerIT {
    @Test
    void theFleetStartsWithTheLastTenMinutesOfWorkers() throws Exception {
        TestServers servers = TestServers.get();
        String run = "follow-" + UUID.randomUUID().toString().substring(0, 8);
        servers.createTopics(Map.of(run + ".results", 1, run + ".events", 1));
        Map<String, String> settings = servers.workerSettings(run, run);
        settings.put("topics.attempts", "none");
        WorkerConfig config = ConfigLoader.load(null, Map.of(), settings);

        long now = System.currentTimeMillis();
        Properties producerConfig = new Properties();
        producerConfig.put("bootstrap.servers", servers.bootstrapServers());
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(
                        producerConfig, new StringSerializer(), new ByteArraySerializer())) {
            send(producer, run, event("j-gone", "w-gone", now - 20 * 60_000L));
            send(producer, run, event("j-old", "w-old", now - 60_000L));
            producer.flush();

            FleetView fleet = new FleetView(new SimpleMeterRegistry(), "me");
            TopicFollower follower =
                    new TopicFollower(
                            config.kafka(),
                            run,
                            new ConsoleJobs(10),
                            fleet,
                            System::currentTimeMillis);
            try {
                follower.start().get(30, TimeUnit.SECONDS);
                send(producer, run, event("j-live", "w-live", System.currentTimeMillis()));
                producer.flush();

                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                List<String> seen = List.of();
                while (!seen.contains("w-live") && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                    seen = workers(fleet.view(System.currentTimeMillis(), "m", true));
                }
                assertThat(seen).containsExactlyInAnyOrder("w-old", "w-live");
                JsonObject finished =
                        fleet.view(System.currentTimeMillis(), "m", true).getJsonObject("finished");
                assertThat(finished.getLong("succeeded"))
                        .as("only the job finished since the start")
                        .isEqualTo(1);
            } finally {
                follower.close();
            }
        }
    }

    private static List<String> workers(JsonObject view) {
        List<String> ids = new ArrayList<>();
        JsonArray workers = view.getJsonArray("workers");
        for (int i = 0; i < workers.size(); i++) {
            ids.add(workers.getJsonObject(i).getString("workerId"));
        }
        return ids;
    }

    private static void send(KafkaProducer<String, byte[]> producer, String run, LatencyEvent event)
            throws Exception {
        producer.send(
                        new ProducerRecord<>(
                                run + ".events",
                                0,
                                event.finishedAt().toEpochMilli(),
                                event.jobId(),
                                JsonCodec.encode(event)))
                .get(30, TimeUnit.SECONDS);
    }

    private static LatencyEvent event(String jobId, String worker, long at) {
        return new LatencyEvent(
                InpaintJob.VERSION,
                jobId,
                JobStatus.SUCCEEDED,
                null,
                worker,
                "reference-fill@1",
                0,
                1,
                new Timings(1, 1, 1, 1, 1, 1, 6),
                Instant.ofEpochMilli(at));
    }
}
