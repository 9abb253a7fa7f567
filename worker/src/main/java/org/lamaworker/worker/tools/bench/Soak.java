package org.lamaworker.worker.tools.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --soak-every N}: a search for leaks rather than a speed measure. {@code --jobs} jobs go
 * through the worker in rounds of N, with the process's resident memory and used heap after each
 * round, and the trend of resident memory over the second half of the run (after warm-up), in MiB
 * per 1,000 jobs: a worker that keeps something per job shows a slope there.
 */
final class Soak {
    private Soak() {}

    /** Runs the soak, printing a row per round and the trend to {@code out}; returns the JSON. */
    static Map<String, Object> run(WorkerHarness harness, int jobs, int every, PrintWriter out)
            throws Exception {
        List<Map<String, Object>> rows =
                harness.run(
                        (bootstrap, workers) -> {
                            try (JobClients clients = harness.openClients(bootstrap)) {
                                return rounds(clients, jobs, every, out);
                            }
                        });
        double slopePerThousand = rssTrendPerThousandJobs(rows);
        out.printf(
                Locale.ROOT,
                "%nresident memory trend over the second half: %+.1f MiB per 1000 jobs; peak %d MiB%n",
                slopePerThousand,
                ProcessMemory.peakBytes() >> 20);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("jobs", jobs);
        figures.put("pictures", harness.workload().pictureNames());
        figures.put("rounds", rows);
        figures.put("rss_trend_mib_per_1000_jobs", Figures.round(slopePerThousand));
        figures.put("peak_rss_bytes", ProcessMemory.peakBytes());
        return figures;
    }

    private static List<Map<String, Object>> rounds(
            JobClients clients, int jobs, int every, PrintWriter out) {
        List<Map<String, Object>> table = new ArrayList<>();
        out.println("| jobs done | jobs/s | failed | RSS MiB | heap used MiB |");
        out.println("|---|---|---|---|---|");
        int done = 0;
        for (int round = 0; done < jobs; round++) {
            int n = Math.min(every, jobs - done);
            long start = System.nanoTime();
            JobClients.Collected c = clients.submitAndCollect("soak-" + round + "-", n);
            done += n;
            double seconds = (System.nanoTime() - start) / 1e9;
            Runtime rt = Runtime.getRuntime();
            long heap = rt.totalMemory() - rt.freeMemory();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("jobs_done", done);
            row.put("jobs_per_s", Figures.round(n / seconds));
            row.put("failed", c.failed());
            row.put("rss_bytes", ProcessMemory.currentBytes());
            row.put("heap_used_bytes", heap);
            table.add(row);
            out.printf(
                    Locale.ROOT,
                    "| %d | %.2f | %d | %d | %d |%n",
                    done,
                    n / seconds,
                    c.failed(),
                    ProcessMemory.currentBytes() >> 20,
                    heap >> 20);
            out.flush();
        }
        return table;
    }

    /** Least-squares slope of resident MiB against jobs done, over the second half of the rows. */
    private static double rssTrendPerThousandJobs(List<Map<String, Object>> rows) {
        List<Map<String, Object>> late = rows.subList(rows.size() / 2, rows.size());
        double n = late.size();
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (Map<String, Object> row : late) {
            double x = ((Number) row.get("jobs_done")).doubleValue();
            double y = ((Number) row.get("rss_bytes")).doubleValue() / (1 << 20);
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        double denominator = n * sxx - sx * sx;
        return denominator == 0 ? 0 : 1000 * (n * sxy - sx * sy) / denominator;
    }
}
