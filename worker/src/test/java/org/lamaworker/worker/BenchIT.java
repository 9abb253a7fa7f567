package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.worker.app.Main;
import org.lamaworker.worker.testing.WorkerProcess;
import picocli.CommandLine;

/**
 * {@code bench} as BENCHMARKS.md runs it, in its own process from the packaged jar, on the
 * reference model and one small picture: both phases run, in interleaved rounds, and the JSON
 * carries the figures the issue asks for. It checks that the harness works, not how fast anything
 * is.
 */
class BenchIT {
    private static final Path CORPUS = Path.of("src", "test", "resources", "corpus");

    @Test
    void interleavedRoundsWriteTheTableAndTheJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        ProcessBuilder bench =
                WorkerProcess.packagedJar(
                        dir,
                        List.of("-Xmx2g"),
                        "bench",
                        "--jobs",
                        "4",
                        "--rounds",
                        "2",
                        "--warmup-jobs",
                        "1",
                        "--dir",
                        CORPUS.toAbsolutePath().toString(),
                        "--pictures",
                        "coffee.png",
                        "--skip-iopaint",
                        "--json",
                        json.toString());
        String output = runToTheEnd(bench, dir.resolve("bench.out"), "bench");
        assertThat(output)
                .contains("| round | raw jobs/s | e2e jobs/s | ratio | device busy |")
                .contains("| raw session.run on ready tensors |")
                .contains("| end to end (Kafka, S3, worker) |")
                .contains("ratio e2e/raw");

        JsonNode figures = new ObjectMapper().readTree(json.toFile());
        assertThat(figures.path("jobs").asInt()).isEqualTo(4);
        assertThat(figures.path("e2e_failed").asInt()).isZero();
        assertThat(figures.path("raw_jobs_per_s").asDouble()).isPositive();
        assertThat(figures.path("e2e_jobs_per_s").asDouble()).isPositive();
        assertThat(figures.path("ratio").asDouble())
                .isCloseTo(
                        figures.path("e2e_jobs_per_s").asDouble()
                                / figures.path("raw_jobs_per_s").asDouble(),
                        org.assertj.core.data.Offset.offset(0.01));
        assertThat(figures.path("peak_rss_bytes").asLong()).isGreaterThan(64L << 20);
        assertThat(figures.path("runners").asInt())
                .isEqualTo(Math.min(2, Runtime.getRuntime().availableProcessors()));
        assertThat(figures.path("rounds_figures")).hasSize(2);
        assertThat(figures.path("device_busy_fraction").asDouble()).isBetween(0.0, 1.0);
        assertThat(figures.path("stages_ms").has("inference")).isTrue();
    }

    @Test
    void lanesRunsBothConfigurationsAndWritesTheirFigures(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("lanes.json");
        ProcessBuilder bench =
                WorkerProcess.packagedJar(
                        dir,
                        List.of("-Xmx2g"),
                        "bench",
                        "lanes",
                        "--batch-jobs",
                        "12",
                        "--interactive-jobs",
                        "3",
                        "--interactive-every",
                        "200",
                        "--warmup-jobs",
                        "1",
                        "--dir",
                        CORPUS.toAbsolutePath().toString(),
                        "--pictures",
                        "coffee.png",
                        "--json",
                        json.toString());
        String output = runToTheEnd(bench, dir.resolve("lanes.out"), "bench lanes");
        assertThat(output)
                .contains("reproduce: java -jar worker/target/lama-worker.jar bench lanes")
                .contains("| one topic (no lanes) | `inpaint.jobs` |")
                .contains("| lanes | `inpaint.jobs.interactive:8,inpaint.jobs.batch:1` |")
                .contains("interactive p95 queue time:");

        JsonNode figures = new ObjectMapper().readTree(json.toFile());
        for (String configuration : List.of("single", "lanes")) {
            JsonNode run = figures.path(configuration);
            assertThat(run.path("interactive_jobs").asInt()).as(configuration).isEqualTo(3);
            assertThat(run.path("batch_jobs").asInt()).as(configuration).isEqualTo(12);
            assertThat(run.path("failed").asInt()).as(configuration).isZero();
            assertThat(run.path("interactive_queued_ms").path("p95").asLong())
                    .as(configuration)
                    .isNotNegative()
                    .isLessThanOrEqualTo(run.path("interactive_queued_ms").path("max").asLong());
        }
        assertThat(figures.path("lanes").path("topics_jobs").asText())
                .isEqualTo("inpaint.jobs.interactive:8,inpaint.jobs.batch:1");
    }

    @Test
    void aMissingPictureDirectoryIsAUsageError(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute("bench", "--dir", dir.resolve("nowhere").toString());
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("is not a directory").contains("pass --dir");
    }

    /** Runs a bench to its end (at most 5 minutes) and checks it succeeded; its output. */
    private static String runToTheEnd(ProcessBuilder builder, Path out, String what)
            throws Exception {
        Process bench = builder.redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean exited = bench.waitFor(5, TimeUnit.MINUTES);
        if (!exited) {
            bench.destroyForcibly();
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(exited).as(what + " finished within 5 minutes:\n" + output).isTrue();
        assertThat(bench.exitValue()).as(output).isZero();
        return output;
    }
}
