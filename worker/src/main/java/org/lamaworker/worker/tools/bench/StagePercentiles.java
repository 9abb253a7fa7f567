package org.lamaworker.worker.tools.bench;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.lamaworker.protocol.Timings;

/**
 * Median and 95th percentile of each stage the worker times a job by, from the timings in its
 * results: where the end-to-end phase's time goes that the raw phase does not spend. Kept as plain
 * maps, stage to {@code p50}/{@code p95} in milliseconds, because that is the shape of {@code
 * stages_ms} in the JSON.
 */
final class StagePercentiles {
    private StagePercentiles() {}

    /** Each stage's p50 and p95, in the order a job goes through them; zeros for no timings. */
    static Map<String, Map<String, Long>> of(List<Timings> timings) {
        Map<String, ToLongFunction<Timings>> stages = new LinkedHashMap<>();
        stages.put("queued", Timings::queued);
        stages.put("download", Timings::download);
        stages.put("decode", Timings::decode);
        stages.put("inference", Timings::inference);
        stages.put("encode", Timings::encode);
        stages.put("upload", Timings::upload);
        stages.put("total", Timings::total);
        Map<String, Map<String, Long>> result = new LinkedHashMap<>();
        stages.forEach(
                (name, f) -> {
                    long[] values = timings.stream().mapToLong(f).sorted().toArray();
                    result.put(name, Map.of("p50", at(values, 0.50), "p95", at(values, 0.95)));
                });
        return result;
    }

    /** Prints {@code stages} as a Markdown table. */
    static void print(PrintWriter out, Map<String, Map<String, Long>> stages) {
        out.println("| stage | p50 ms | p95 ms |");
        out.println("|---|---|---|");
        stages.forEach(
                (stage, p) ->
                        out.printf(
                                Locale.ROOT,
                                "| %s | %d | %d |%n",
                                stage,
                                p.get("p50"),
                                p.get("p95")));
    }

    /** The nearest-rank quantile of {@code sorted}; 0 for none. */
    static long at(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)];
    }
}
