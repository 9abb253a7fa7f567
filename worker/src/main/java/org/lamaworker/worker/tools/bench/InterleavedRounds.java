package org.lamaworker.worker.tools.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lamaworker.worker.tools.bench.JobClients.Segment;

/**
 * {@code --rounds K}: the raw and end-to-end phases alternate in K rounds with the worker and a
 * second set of sessions for the raw phase both loaded, so that a machine whose speed drifts by the
 * minute slows both sides alike instead of flattering whichever phase ran in a fast minute. Each
 * round runs {@code jobs / K} jobs' tensors on the raw sessions, then as many jobs through Kafka,
 * S3 and the worker (idle during the raw part).
 */
final class InterleavedRounds {
    /**
     * Both phases' totals over the rounds, and each round's rates as the JSON's {@code
     * rounds_figures}.
     */
    record Result(
            RawBench.Result raw, EndToEndBench.Result e2e, List<Map<String, Object>> rounds) {}

    private InterleavedRounds() {}

    /** Runs the rounds, printing a table row after each to {@code out}. */
    static Result run(WorkerHarness harness, int warmupJobs, int jobs, int rounds, PrintWriter out)
            throws Exception {
        int perRound = Math.max(1, jobs / rounds);
        return harness.run(
                (bootstrap, workers) -> {
                    try (RawBench rawBench = RawBench.open(harness.workload());
                            JobClients clients = harness.openClients(bootstrap)) {
                        clients.warmUp(warmupJobs);
                        out.println("| round | raw jobs/s | e2e jobs/s | ratio | device busy |");
                        out.println("|---|---|---|---|---|");
                        List<Map<String, Object>> rows = new ArrayList<>();
                        List<Segment> segments = new ArrayList<>();
                        double rawSeconds = 0;
                        int tiles = 0;
                        long runs = 0;
                        String modelId = null;
                        for (int r = 1; r <= rounds; r++) {
                            RawBench.Result raw = rawBench.run(perRound);
                            Segment seg = clients.timed(workers, "bench-" + r + "-", perRound);
                            int done = seg.collected().timings().size();
                            double rawRate = perRound / raw.seconds();
                            double e2eRate = done / seg.seconds();
                            double busy = seg.busyFraction(workers.runners());
                            out.printf(
                                    Locale.ROOT,
                                    "| %d | %.3f | %.3f | %.3f | %.1f%% |%n",
                                    r,
                                    rawRate,
                                    e2eRate,
                                    e2eRate / rawRate,
                                    100 * busy);
                            out.flush();
                            Map<String, Object> row = new LinkedHashMap<>();
                            row.put("raw_jobs_per_s", Figures.round(rawRate));
                            row.put("e2e_jobs_per_s", Figures.round(e2eRate));
                            row.put("ratio", Figures.round(e2eRate / rawRate));
                            rows.add(row);
                            segments.add(seg);
                            rawSeconds += raw.seconds();
                            tiles += raw.tiles();
                            runs += raw.runs();
                            modelId = raw.modelId();
                        }
                        return new Result(
                                new RawBench.Result(
                                        modelId, perRound * rounds, tiles, runs, rawSeconds),
                                EndToEndBench.Result.of(segments, workers.runners()),
                                rows);
                    }
                });
    }
}
