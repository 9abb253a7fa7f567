package org.lamaworker.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The attempts topic's values: round trip, validation, and who counts a start as a death. */
class StartRecordTest {
    private final StartRecord running = new StartRecord(3, 1, true, "worker-a", "proc-a", 42L);

    @Test
    void roundTrips() {
        assertThat(StartRecord.decode(running.encode())).isEqualTo(running);
        assertThat(StartRecord.decode(running.released().encode()).running()).isFalse();
    }

    @Test
    void aRunningStartOfAnotherProcessIsADeathAndOnlyThat() {
        assertThat(running.crashesSeenBy("proc-b")).isEqualTo(2);
        assertThat(running.crashesSeenBy("proc-a")).as("its own process is alive").isEqualTo(1);
        assertThat(running.released().crashesSeenBy("proc-b")).isEqualTo(1);
    }

    @Test
    void refusesWhatItDidNotWrite() {
        assertThatThrownBy(() -> StartRecord.decode("{".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(
                        () ->
                                StartRecord.decode(
                                        "{\"attempts\":\"x\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StartRecord.decode("{}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StartRecord(1, 1, true, "w", "p", 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
