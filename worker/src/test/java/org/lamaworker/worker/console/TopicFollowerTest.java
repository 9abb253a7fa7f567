package org.lamaworker.worker.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;

/** A follower that cannot follow says so, for the page to show, instead of going quiet. */
class TopicFollowerTest {
    @Test
    void aFollowerThatStopsSaysWhy() throws Exception {
        WorkerConfig config =
                ConfigLoader.load(
                        null,
                        Map.of(),
                        Map.of(
                                "kafka.bootstrap.servers",
                                "127.0.0.1:9",
                                "s3.endpoint",
                                "http://127.0.0.1:9",
                                "kafka.max.poll.records",
                                "-1"));
        TopicFollower follower =
                new TopicFollower(
                        config.kafka(),
                        "w",
                        new ConsoleJobs(1),
                        new FleetView(new SimpleMeterRegistry(), "w"),
                        System::currentTimeMillis);
        assertThat(follower.problem()).isNull();
        try {
            assertThatThrownBy(() -> follower.start().get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class);
            assertThat(follower.problem()).isEqualTo("ConfigException");
        } finally {
            follower.close();
        }
    }
}
