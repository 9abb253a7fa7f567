package org.lamaworker.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OffsetTrackerTest {
    @Test
    void commitsOnlyPastTheLowestUnfinishedOffset() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.started(10);
        tracker.started(11);
        tracker.started(12);
        // 12 and 11 finish first: 10 has no result yet, so nothing may be committed.
        assertThat(tracker.finished(12)).isEqualTo(10);
        assertThat(tracker.finished(11)).isEqualTo(-1);
        // 10 finishes: everything up to 12 is done, the next offset to read is 13.
        assertThat(tracker.finished(10)).isEqualTo(13);
        assertThat(tracker.unfinishedCount()).isZero();
    }

    @Test
    void neverMovesBackwards() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.started(5);
        assertThat(tracker.finished(5)).isEqualTo(6);
        tracker.started(6);
        tracker.started(7);
        assertThat(tracker.finished(7)).isEqualTo(-1);
        assertThat(tracker.finished(6)).isEqualTo(8);
    }
}
