package org.lamaworker.worker.admission;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.lamaworker.worker.config.WorkerConfig;

/** Redeliveries to the same process count up; finished jobs and old entries are forgotten. */
class RedeliveryTest {
    private static final WorkerConfig.Delivery DELIVERY =
            new WorkerConfig.Delivery(8, 20, 40, 5_000, 2);

    @Test
    void countsStartsUntilTheResultIsPublished() {
        Redelivery attempts = new Redelivery(100, DELIVERY);
        assertThat(attempts.started("a")).isEqualTo(1);
        assertThat(attempts.started("a")).isEqualTo(2);
        assertThat(attempts.started("b")).isEqualTo(1);
        attempts.finished("a");
        assertThat(attempts.started("a")).isEqualTo(1);
    }

    @Test
    void forgetsTheOldestBeyondCapacity() {
        Redelivery attempts = new Redelivery(2, DELIVERY);
        attempts.started("a");
        attempts.started("b");
        attempts.started("c");
        assertThat(attempts.started("a")).isEqualTo(1);
        assertThat(attempts.started("c")).isEqualTo(2);
    }

    @Test
    void aRecordWithoutAResultWaitsLongerEachTimeUpToTheMaximum() {
        Redelivery redelivery = new Redelivery(100, DELIVERY);
        redelivery.started("jobs-0@7");
        assertThat(redelivery.failed("jobs-0@7")).isEqualTo(20);
        assertThat(redelivery.failed("jobs-0@7")).isEqualTo(40);
        assertThat(redelivery.failed("jobs-0@7")).isEqualTo(40);
        assertThat(redelivery.started("jobs-0@7")).as("a hand-out after failures").isEqualTo(2);
        redelivery.finished("jobs-0@7");
        assertThat(redelivery.failed("jobs-0@7")).as("counting starts over").isEqualTo(20);
    }
}
