package org.lamaworker.worker.management;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The per-lane queue time: one histogram per lane, so lanes can be seen to keep their promise. */
class WorkerMetricsLanesTest {
    @Test
    void queueTimesAreRecordedPerLane() {
        try (WorkerMetrics metrics = new WorkerMetrics()) {
            metrics.recordLaneQueued("inpaint.jobs.interactive", 120);
            metrics.recordLaneQueued("inpaint.jobs.interactive", 80);
            metrics.recordLaneQueued("inpaint.jobs.batch", 30_000);

            String scrape = metrics.scrape();
            assertThat(scrape)
                    .contains("lama_lane_queued_seconds_count{lane=\"inpaint.jobs.interactive\"} 2")
                    .contains("lama_lane_queued_seconds_sum{lane=\"inpaint.jobs.interactive\"} 0.2")
                    .contains("lama_lane_queued_seconds_count{lane=\"inpaint.jobs.batch\"} 1")
                    .contains("lama_lane_queued_seconds_sum{lane=\"inpaint.jobs.batch\"} 30.0")
                    .contains("lama_lane_queued_seconds_bucket{lane=\"inpaint.jobs.batch\",le=");
        }
    }
}
