package org.lamaworker.worker.tools.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench}: in one process and one run, measures (a) raw {@code session.run} throughput on
 * ready tensors, the limit, and (b) end-to-end throughput of the real worker through an in-process
 * Kafka broker and S3 server, on the same pictures, model and tiles; then compares this worker's
 * crop policy with IOPaint's (one box per contour, no merging, no batching).
 *
 * <p>This class holds the command line and the order of the phases, and prints the summary tables;
 * the phases are {@link RawBench}, {@link EndToEndBench} (inside a {@link WorkerHarness}), {@link
 * InterleavedRounds}, {@link Soak} and {@link CropPolicyComparison}. The subcommand {@code bench
 * codecs} ({@link CodecBench}) times the picture codecs alone, and {@code bench lanes} ({@link
 * LaneBench}) interactive queue times under a batch flood with and without priority lanes.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Measure raw model throughput against end-to-end worker throughput.",
        subcommands = {CodecBench.class, LaneBench.class})
public final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--model",
            paramLabel = "FILE",
            description = "ONNX model (default: the reference fill).")
    Path model;

    @Option(
            names = "--jobs",
            defaultValue = "20",
            description = "Jobs per phase. Default: ${DEFAULT-VALUE}.")
    int jobs;

    @Option(
            names = "--workers",
            defaultValue = "1",
            description =
                    "Workers in one consumer group for the end-to-end phase, each with its own"
                            + " sessions. Default: ${DEFAULT-VALUE}.")
    int workerCount;

    @Option(names = "--skip-raw", description = "Skip the raw session.run phases.")
    boolean skipRaw;

    @Option(
            names = "--soak-every",
            paramLabel = "N",
            description =
                    "Soak instead: only the end-to-end phase, --jobs jobs in rounds of N, resident"
                            + " memory after each round.")
    int soakEvery;

    @Option(
            names = "--rounds",
            defaultValue = "1",
            paramLabel = "K",
            description =
                    "1: raw phase, end-to-end phase, raw phase again (the faster raw counts)."
                            + " K > 1: K rounds of --jobs/K raw jobs then --jobs/K end-to-end jobs,"
                            + " alternating with the worker and the raw sessions both loaded, so a"
                            + " machine whose speed drifts by the minute slows both sides alike."
                            + " Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Option(
            names = "--warmup-jobs",
            defaultValue = "4",
            description =
                    "Untimed jobs through the worker before its timed phase. Default: ${DEFAULT-VALUE}.")
    int warmupJobs;

    @Option(
            names = "--dir",
            defaultValue = "worker/src/test/resources/corpus",
            paramLabel = "DIR",
            description = "Pictures with NAME.mask.png beside them. Default: ${DEFAULT-VALUE}.")
    Path dir;

    @Option(
            names = "--pictures",
            split = ",",
            paramLabel = "NAME",
            description = "Only these pictures of --dir (file names).")
    List<String> only;

    @Option(
            names = "--strategy",
            defaultValue = "crop",
            description = "Strategy of every job. Default: ${DEFAULT-VALUE}.")
    String strategy;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "Worker configuration, e.g. worker.maxInFlight=3; repeatable.")
    Map<String, String> settings = new HashMap<>();

    @Option(names = "--json", paramLabel = "FILE", description = "Write the figures as JSON here.")
    Path json;

    @Option(names = "--skip-iopaint", description = "Skip the crop-policy comparison.")
    boolean skipIopaint;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<Sample> samples = samples();
        Map<String, String> overrides = new HashMap<>(settings);
        if (model != null) {
            overrides.put("model.path", model.toString());
        }
        WorkerConfig base = ConfigLoader.loadDefaults(overrides);
        JobOptions options = new JobOptions(strategy, null, null, null, null, null, null);
        out.printf(
                Locale.ROOT,
                "lama-worker bench: %d jobs per phase over %d pictures, strategy %s, %d cores%n",
                jobs,
                samples.size(),
                strategy,
                Runtime.getRuntime().availableProcessors());

        if (rounds < 1 || rounds > 1 && (soakEvery > 0 || skipRaw || rounds > jobs)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--rounds must be between 1 and --jobs, and above 1 only with both phases"
                            + " (not with --skip-raw or --soak-every)");
        }
        Workload workload = new Workload(base, samples, options);
        WorkerHarness harness =
                new WorkerHarness(workload, workerCount, spec.commandLine().getErr());
        if (soakEvery > 0) {
            Map<String, Object> figures = Soak.run(harness, jobs, soakEvery, out);
            if (json != null) {
                Figures.write(json, figures);
            }
        } else if (skipRaw) {
            endToEndOnly(harness, out);
        } else {
            rawAgainstEndToEnd(harness, out);
        }
        out.flush();
        return 0;
    }

    /**
     * Both phases, one after the other or in interleaved rounds, then the crop-policy comparison:
     * the tables and, with {@code --json}, the figures.
     */
    private void rawAgainstEndToEnd(WorkerHarness harness, PrintWriter out) throws Exception {
        Workload workload = harness.workload();
        Map<String, Object> figures = new LinkedHashMap<>();
        RawBench.Result raw;
        EndToEndBench.Result e2e;
        if (rounds > 1) {
            InterleavedRounds.Result both =
                    InterleavedRounds.run(harness, warmupJobs, jobs, rounds, out);
            figures.put("rounds_figures", both.rounds());
            raw = both.raw();
            e2e = both.e2e();
        } else {
            raw = RawBench.measure(workload, jobs);
            out.printf(
                    Locale.ROOT,
                    "raw: %d jobs (%d tiles, %d runs) in %.1f s = %.3f jobs/s%n",
                    jobs,
                    raw.tiles(),
                    raw.runs(),
                    raw.seconds(),
                    jobs / raw.seconds());
            e2e = EndToEndBench.measure(harness, warmupJobs, jobs);
            // The limit is measured again after the end-to-end phase, and the faster of the two
            // counts: on a shared machine a single raw phase can land in a slow minute and
            // flatter the ratio.
            RawBench.Result rawAfter = RawBench.measure(workload, jobs);
            out.printf(
                    Locale.ROOT,
                    "raw again: %d jobs in %.1f s = %.3f jobs/s%n",
                    jobs,
                    rawAfter.seconds(),
                    jobs / rawAfter.seconds());
            figures.put(
                    "raw_phases_jobs_per_s",
                    List.of(
                            Figures.round(jobs / raw.seconds()),
                            Figures.round(jobs / rawAfter.seconds())));
            if (rawAfter.seconds() < raw.seconds()) {
                raw = rawAfter;
            }
        }
        int rawJobs = raw.jobs();
        double rawRate = rawJobs / raw.seconds();
        double e2eRate = e2e.completed() / e2e.seconds();
        figures.put("model", raw.modelId());
        figures.put("strategy", strategy);
        figures.put("jobs", rawJobs);
        figures.put("rounds", rounds);
        figures.put("pictures", workload.pictureNames());
        figures.put("raw_jobs_per_s", Figures.round(rawRate));
        figures.put("e2e_jobs_per_s", Figures.round(e2eRate));
        figures.put("ratio", Figures.round(e2eRate / rawRate));
        figures.put("e2e_failed", e2e.failed());
        figures.put("runners", e2e.runners());
        figures.put("warmup_jobs", warmupJobs);
        figures.put("device_busy_fraction", Figures.round(e2e.busyFraction()));
        figures.put("peak_rss_bytes", ProcessMemory.peakBytes());
        figures.put("stages_ms", e2e.stages());

        out.println();
        out.println("| phase | jobs/s | jobs | seconds |");
        out.println("|---|---|---|---|");
        out.printf(
                Locale.ROOT,
                "| raw session.run on ready tensors | %.3f | %d | %.1f |%n",
                rawRate,
                rawJobs,
                raw.seconds());
        out.printf(
                Locale.ROOT,
                "| end to end (Kafka, S3, worker) | %.3f | %d | %.1f |%n",
                e2eRate,
                e2e.completed(),
                e2e.seconds());
        out.printf(
                Locale.ROOT,
                "%nratio e2e/raw %.3f, device busy %.1f%% of the e2e run, peak RSS %d MiB (whole process)%n",
                e2eRate / rawRate,
                100 * e2e.busyFraction(),
                ProcessMemory.peakBytes() >> 20);
        out.println();
        StagePercentiles.print(out, e2e.stages());

        if (!skipIopaint) {
            Map<String, Map<String, Object>> comparison =
                    CropPolicyComparison.run(workload.config(), workload.samples());
            figures.put("crop_policy_seconds_per_image", comparison);
            out.println();
            CropPolicyComparison.print(out, comparison);
        }
        if (json != null) {
            Figures.write(json, figures);
            out.println();
            out.println("JSON: " + json);
        }
    }

    /** Only the end-to-end phase: for comparing fleets of 1, 2, 3 workers. */
    private void endToEndOnly(WorkerHarness harness, PrintWriter out) throws Exception {
        EndToEndBench.Result e2e = EndToEndBench.measure(harness, warmupJobs, jobs);
        double rate = e2e.completed() / e2e.seconds();
        out.println("| workers | runners | e2e jobs/s | jobs | failed | seconds | device busy |");
        out.println("|---|---|---|---|---|---|---|");
        out.printf(
                Locale.ROOT,
                "| %d | %d | %.3f | %d | %d | %.1f | %.1f%% |%n",
                workerCount,
                e2e.runners(),
                rate,
                e2e.completed(),
                e2e.failed(),
                e2e.seconds(),
                100 * e2e.busyFraction());
        if (json != null) {
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("workers", workerCount);
            figures.put("runners", e2e.runners());
            figures.put("jobs", jobs);
            figures.put("pictures", harness.workload().pictureNames());
            figures.put("e2e_jobs_per_s", Figures.round(rate));
            figures.put("e2e_failed", e2e.failed());
            figures.put("device_busy_fraction", Figures.round(e2e.busyFraction()));
            figures.put("peak_rss_bytes", ProcessMemory.peakBytes());
            figures.put("stages_ms", e2e.stages());
            Figures.write(json, figures);
        }
    }

    /** The pictures of {@code --dir}; a usage error where there is no directory or no picture. */
    private List<Sample> samples() throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--dir "
                            + dir
                            + " is not a directory (the default is relative to the repository"
                            + " root: run bench from there, or pass --dir)");
        }
        List<Sample> samples = Sample.readAll(dir, only);
        if (samples.isEmpty()) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "no picture with a mask in " + dir);
        }
        return samples;
    }
}
