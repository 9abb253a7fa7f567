package org.lamaworker.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code topics.jobs} read as lanes: topics with weights, and the mistakes it refuses. */
class LaneConfigTest {
    private static WorkerConfig.Kafka kafka(String jobs) {
        return ConfigLoader.load(null, Map.of("LAMA_TOPICS_JOBS", jobs), Map.of()).kafka();
    }

    @Test
    void oneTopicIsOneLaneOfWeightOneAsBefore() {
        WorkerConfig.Kafka kafka = ConfigLoader.load(null, Map.of(), Map.of()).kafka();
        assertThat(kafka.lanes()).containsExactly(new Lane("inpaint.jobs", 1));
        assertThat(kafka.jobsTopic()).isEqualTo("inpaint.jobs");
    }

    @Test
    void topicsWithWeightsAreLanesInTheirOrder() {
        WorkerConfig.Kafka kafka =
                kafka(" inpaint.jobs.interactive:8 , inpaint.jobs.batch:1,inpaint.jobs.backfill ");
        assertThat(kafka.lanes())
                .containsExactly(
                        new Lane("inpaint.jobs.interactive", 8),
                        new Lane("inpaint.jobs.batch", 1),
                        new Lane("inpaint.jobs.backfill", 1));
        // The tools' default topic: the first lane's.
        assertThat(kafka.jobsTopic()).isEqualTo("inpaint.jobs.interactive");
        assertThat(kafka.toString())
                .contains(
                        "inpaint.jobs.interactive:8,inpaint.jobs.batch:1,inpaint.jobs.backfill:1");
        assertThat(kafka("a: 1000").lanes()).containsExactly(new Lane("a", 1000));
    }

    @Test
    void mistakesAreRefusedNamingTheEntryAndTheFix() {
        for (Map.Entry<String, String> bad :
                Map.of(
                                "a:8,,b:1", "empty entry (number 2",
                                "a:8,", "empty entry (number 2",
                                "a:8, b:x", "the weight in 'b:x' must be a whole number of 1-1000",
                                "a:0", "the weight of a must be 1-1000, got 0",
                                "a:1001", "the weight of a must be 1-1000, got 1001",
                                "a:-3", "the weight of a must be 1-1000, got -3",
                                "a:", "the weight in 'a:' must be a whole number",
                                "a:8,b:1,a:2", "names a twice",
                                "in paint:2", "'in paint' is not a Kafka topic name",
                                ":5", "'' is not a Kafka topic name")
                        .entrySet()) {
            assertThatThrownBy(() -> kafka(bad.getKey()))
                    .as(bad.getKey())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("topics.jobs")
                    .hasMessageContaining(bad.getValue());
        }
        assertThatThrownBy(() -> kafka(" "))
                .isInstanceOf(ConfigException.class)
                .hasMessage("topics.jobs must not be empty");
        assertThatThrownBy(() -> Lane.parseAll("a,b,a")).hasMessageContaining("names a twice");
        // Kafka's pattern allows them, Kafka does not.
        assertThatThrownBy(() -> kafka("a:2,..:1"))
                .hasMessageContaining("'..' is not a Kafka topic name");
        assertThatThrownBy(() -> kafka(".")).hasMessageContaining("'.' is not a Kafka topic name");
        assertThat(Lane.parseAll("x")).isEqualTo(List.of(new Lane("x", 1)));
    }

    @Test
    void aLaneMayNotBeATopicTheWorkerWritesTo() {
        for (Map.Entry<String, String> clash :
                Map.of(
                                "LAMA_TOPICS_RESULTS", "topics.results",
                                "LAMA_TOPICS_EVENTS", "topics.events",
                                "LAMA_TOPICS_DEAD_LETTER", "topics.deadLetter",
                                "LAMA_TOPICS_ATTEMPTS", "topics.attempts")
                        .entrySet()) {
            assertThatThrownBy(
                            () ->
                                    ConfigLoader.load(
                                            null,
                                            Map.of(
                                                    "LAMA_TOPICS_JOBS",
                                                    "inpaint.jobs.interactive:8,shared:1",
                                                    clash.getKey(),
                                                    "shared"),
                                            Map.of()))
                    .as(clash.getValue())
                    .isInstanceOf(ConfigException.class)
                    .hasMessage(
                            "topics.jobs and "
                                    + clash.getValue()
                                    + " both name shared: the worker would read what it writes"
                                    + " there as jobs; give "
                                    + clash.getValue()
                                    + " a topic of its own");
        }
    }
}
