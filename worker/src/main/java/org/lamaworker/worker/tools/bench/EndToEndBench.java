package org.lamaworker.worker.tools.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.lamaworker.protocol.Timings;
import org.lamaworker.worker.tools.bench.JobClients.Segment;

/**
 * The other side of the comparison with {@link RawBench}: the workload's jobs through Kafka, S3 and
 * the real worker, timed from the first job produced to the last result read after an untimed
 * warm-up, and the figures such a phase yields.
 */
final class EndToEndBench {
    /**
     * Figures of one or more timed segments: jobs completed and failed, seconds and busy time
     * summed, the runners of the workers, and the stage percentiles over all completed jobs.
     */
    record Result(
            int completed,
            int failed,
            double seconds,
            long busyNanos,
            int runners,
            Map<String, Map<String, Long>> stages) {
        double busyFraction() {
            return Segment.busyFraction(busyNanos, seconds, runners);
        }

        /** The totals of {@code segments}, run by workers with {@code runners} runners. */
        static Result of(List<Segment> segments, int runners) {
            List<Timings> timings = new ArrayList<>();
            int failed = 0;
            double seconds = 0;
            long busyNanos = 0;
            for (Segment segment : segments) {
                timings.addAll(segment.collected().timings());
                failed += segment.collected().failed();
                seconds += segment.seconds();
                busyNanos += segment.busyNanos();
            }
            return new Result(
                    timings.size(),
                    failed,
                    seconds,
                    busyNanos,
                    runners,
                    StagePercentiles.of(timings));
        }
    }

    private EndToEndBench() {}

    /** Starts the harness, warms the worker up with {@code warmupJobs}, times {@code jobs}. */
    static Result measure(WorkerHarness harness, int warmupJobs, int jobs) throws Exception {
        return harness.run(
                (bootstrap, workers) -> {
                    try (JobClients clients = harness.openClients(bootstrap)) {
                        clients.warmUp(warmupJobs);
                        Segment timed = clients.timed(workers, "bench-", jobs);
                        return Result.of(List.of(timed), workers.runners());
                    }
                });
    }
}
