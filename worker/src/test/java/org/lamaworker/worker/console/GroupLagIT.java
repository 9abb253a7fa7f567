package org.lamaworker.worker.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.testing.TestServers;

/**
 * The console's lag against a real broker: with priority lanes it counts every lane's topic, a
 * committed partition from its committed offset and a partition never committed from its start; a
 * lane whose topic does not exist yet counts nothing and hides nothing.
 */
class GroupLagIT {
    @Test
    void countsEveryLaneFromItsCommittedOffsetOrItsStart() throws Exception {
        TestServers servers = TestServers.get();
        String run = "lag-" + UUID.randomUUID().toString().substring(0, 8);
        String interactive = run + ".interactive";
        String batch = run + ".batch";
        servers.createTopics(Map.of(interactive, 1, batch, 2));
        Map<String, String> settings = servers.workerSettings(run, run);
        // A third lane whose topic is not created yet hides none of the others.
        settings.put("topics.jobs", interactive + ":8," + batch + ":1," + run + ".later:1");
        WorkerConfig config = ConfigLoader.load(null, Map.of(), settings);

        Properties producerConfig = new Properties();
        producerConfig.put("bootstrap.servers", servers.bootstrapServers());
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(
                        producerConfig, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(interactive, 0, "i" + i, "{}"));
            }
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(batch, 0, "b" + i, "{}"));
            }
            for (int i = 0; i < 4; i++) {
                producer.send(new ProducerRecord<>(batch, 1, "c" + i, "{}"));
            }
            producer.flush();
        }

        try (GroupLag lag = new GroupLag(config.kafka(), run)) {
            // Nothing committed: every record of both lanes is waiting.
            assertThat(lag.measure().toCompletableFuture().get(20, TimeUnit.SECONDS))
                    .isEqualTo(12L);

            try (Admin admin =
                    Admin.create(Map.of("bootstrap.servers", servers.bootstrapServers()))) {
                admin.alterConsumerGroupOffsets(
                                run,
                                Map.of(
                                        new TopicPartition(batch, 0), new OffsetAndMetadata(2),
                                        new TopicPartition(interactive, 0),
                                                new OffsetAndMetadata(3)))
                        .all()
                        .get(20, TimeUnit.SECONDS);
            }
            // batch-0 has 3 left, batch-1 (never committed) 4, interactive none.
            assertThat(lag.measure().toCompletableFuture().get(20, TimeUnit.SECONDS)).isEqualTo(7L);
        }
    }
}
