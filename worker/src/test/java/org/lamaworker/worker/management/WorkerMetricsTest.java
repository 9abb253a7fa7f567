package org.lamaworker.worker.management;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobError;
import org.lamaworker.protocol.OutputObject;
import org.lamaworker.protocol.Timings;

class WorkerMetricsTest {
    private static InpaintResult jpeg(String id, String jpegPatch) {
        return InpaintResult.succeeded(
                id,
                new OutputObject(
                        "photos", "results/" + id + ".jpg", 64, 48, "image/jpeg", 900, jpegPatch),
                Map.of(),
                1,
                new Timings(1, 2, 3, 4, 5, 6, 21));
    }

    private static List<String> lines(String scrape, String prefix) {
        return scrape.lines().filter(line -> line.startsWith(prefix)).toList();
    }

    @Test
    void jpegJobsAreCountedByHowTheyWereWritten() {
        try (WorkerMetrics metrics = new WorkerMetrics()) {
            InpaintResult png =
                    InpaintResult.succeeded(
                            "p",
                            new OutputObject("photos", "results/p.png", 64, 48, "image/png", 900),
                            null,
                            1,
                            null);
            InpaintResult failed =
                    InpaintResult.failed(
                            "f",
                            JobError.of(ErrorCode.IMAGE_NOT_FOUND, "no such key"),
                            null,
                            1,
                            null);
            metrics.recordResult(png);
            metrics.recordResult(failed);
            // Neither a PNG result nor a failure makes the counter appear.
            assertThat(lines(metrics.scrape(), "lama_jpeg_jobs")).isEmpty();

            metrics.recordResult(jpeg("a", "patched"));
            metrics.recordResult(jpeg("b", "fallback"));
            metrics.recordResult(jpeg("c", "patched"));
            metrics.recordResult(jpeg("d", "reencoded"));
            metrics.recordResult(jpeg("e", "patched"));
            metrics.recordResult(jpeg("f", "fallback"));
            metrics.recordResult(png);
            metrics.recordResult(failed);

            String scrape = metrics.scrape();
            assertThat(lines(scrape, "lama_jpeg_jobs_total"))
                    .containsExactlyInAnyOrder(
                            "lama_jpeg_jobs_total{path=\"patched\"} 3.0",
                            "lama_jpeg_jobs_total{path=\"reencoded\"} 1.0",
                            "lama_jpeg_jobs_total{path=\"fallback\"} 2.0");
            // Every result still counts once in the jobs counter.
            assertThat(scrape)
                    .contains("lama_jobs_total{code=\"none\",status=\"SUCCEEDED\"} 8.0")
                    .contains("lama_jobs_total{code=\"IMAGE_NOT_FOUND\",status=\"FAILED\"} 2.0");
        }
    }

    @Test
    void startsAfterAWorkerDiedAreCounted() {
        try (WorkerMetrics metrics = new WorkerMetrics()) {
            assertThat(lines(metrics.scrape(), "lama_jobs_crashed_starts_total")).isEmpty();
            metrics.recordCrashedStart();
            metrics.recordCrashedStart();
            assertThat(lines(metrics.scrape(), "lama_jobs_crashed_starts_total"))
                    .containsExactly("lama_jobs_crashed_starts_total 2.0");
        }
    }
}
