package org.lamaworker.worker.tools.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.InferenceInput;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.pipeline.Inpainting;
import org.lamaworker.worker.pipeline.Tile;
import org.lamaworker.worker.pipeline.TilePlanner;

/**
 * Whether this worker's crop policy (tiles around the mask merged when close, batched into runs)
 * pays against IOPaint's (one box per contour, no merging, one run per box): seconds per picture
 * with each, all stages on one thread and one session, so that only the tiling differs.
 */
final class CropPolicyComparison {
    private CropPolicyComparison() {}

    /**
     * Each picture's figures by name: {@code worker_s}, {@code worker_tiles}, {@code worker_runs}
     * and the same with {@code iopaint_}, seconds rounded.
     */
    static Map<String, Map<String, Object>> run(WorkerConfig config, List<Sample> samples) {
        Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
        // Whole-picture decode and encode on both sides: the comparison is of crop policies.
        JobOptions crop = new JobOptions("crop", null, null, null, null, null, null, null, false);
        try (InpaintModel loaded =
                InpaintModel.load(InpaintModel.Options.forOneRunAtATime(config))) {
            Inpainting work = new Inpainting(loaded, config);
            WorkerConfig.Inference inference = config.inference();
            TilePlanner.Settings planning =
                    new TilePlanner.Settings(
                            inference.maxPixels(),
                            inference.cropMarginPx(),
                            inference.cropMergeGapPx());
            for (Sample s : samples) {
                long runs0 = loaded.sessionRuns();
                long t0 = System.nanoTime();
                Inpainting.Decoded ours = work.decode(s.image(), s.mask(), crop);
                work.encode(work.composite(ours, work.run(work.tensors(ours))), ours, crop);
                double oursSeconds = (System.nanoTime() - t0) / 1e9;
                long oursRuns = loaded.sessionRuns() - runs0;

                long runs1 = loaded.sessionRuns();
                long t1 = System.nanoTime();
                Inpainting.Decoded decoded = work.decode(s.image(), s.mask(), crop);
                List<Tile> perContour =
                        TilePlanner.perContour(decoded.mask(), loaded.info(), planning);
                Inpainting.Decoded theirs =
                        new Inpainting.Decoded(
                                decoded.picture(),
                                decoded.info(),
                                decoded.modelView(),
                                decoded.mask(),
                                perContour);
                List<float[]> outputs = new ArrayList<>();
                for (InferenceInput input : work.tensors(theirs)) {
                    outputs.add(loaded.run(input));
                }
                work.encode(work.composite(theirs, outputs), theirs, crop);
                double theirSeconds = (System.nanoTime() - t1) / 1e9;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("worker_s", Figures.round(oursSeconds));
                row.put("worker_tiles", ours.tiles().size());
                row.put("worker_runs", oursRuns);
                row.put("iopaint_s", Figures.round(theirSeconds));
                row.put("iopaint_tiles", perContour.size());
                row.put("iopaint_runs", loaded.sessionRuns() - runs1);
                rows.put(s.name(), row);
            }
        }
        return rows;
    }

    /** Prints the figures of {@link #run} as a Markdown table. */
    static void print(PrintWriter out, Map<String, Map<String, Object>> rows) {
        out.println(
                "| picture | this worker: s/image (tiles, runs) | IOPaint policy: s/image (tiles, runs) |");
        out.println("|---|---|---|");
        rows.forEach(
                (name, row) ->
                        out.printf(
                                Locale.ROOT,
                                "| %s | %s (%s, %s) | %s (%s, %s) |%n",
                                name,
                                row.get("worker_s"),
                                row.get("worker_tiles"),
                                row.get("worker_runs"),
                                row.get("iopaint_s"),
                                row.get("iopaint_tiles"),
                                row.get("iopaint_runs")));
    }
}
