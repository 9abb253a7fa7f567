package org.lamaworker.worker.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Redeliveries to the same process count up; finished jobs and old entries are forgotten. */
class AttemptsTest {
    @Test
    void countsStartsUntilTheResultIsPublished() {
        Attempts attempts = new Attempts(100);
        assertThat(attempts.next("a")).isEqualTo(1);
        assertThat(attempts.next("a")).isEqualTo(2);
        assertThat(attempts.next("b")).isEqualTo(1);
        attempts.finished("a");
        assertThat(attempts.next("a")).isEqualTo(1);
    }

    @Test
    void forgetsTheOldestBeyondCapacity() {
        Attempts attempts = new Attempts(2);
        attempts.next("a");
        attempts.next("b");
        attempts.next("c");
        assertThat(attempts.next("a")).isEqualTo(1);
        assertThat(attempts.next("c")).isEqualTo(2);
    }
}
