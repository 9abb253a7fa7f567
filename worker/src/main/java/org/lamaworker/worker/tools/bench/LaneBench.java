package org.lamaworker.worker.tools.bench;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench lanes}: what priority lanes buy an interactive user while a bulk job floods the
 * worker. One real worker on an in-process Kafka broker and S3 server gets a flood of batch jobs at
 * once and, while the flood drains, a trickle of interactive jobs; the interactive jobs' queue time
 * (the result's {@code timings.queued}: record timestamp to start) and end-to-end time (produced to
 * result read) are measured twice on fresh servers: with one topic that both producers write to
 * (today's configuration), and with two lanes, {@code inpaint.jobs.interactive:W} and {@code
 * inpaint.jobs.batch:1}. The table it prints, with the command line that reproduces it, goes into
 * BENCHMARKS.md.
 */
@Command(
        name = "lanes",
        mixinStandardHelpOptions = true,
        description =
                "Interactive queue time under a batch flood, with one topic and with priority"
                        + " lanes: one real worker, in-process Kafka and S3.")
public final class LaneBench implements Callable<Integer> {
    static final String SINGLE_TOPIC = "inpaint.jobs";
    static final String INTERACTIVE = "inpaint.jobs.interactive";
    static final String BATCH = "inpaint.jobs.batch";

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--model",
            paramLabel = "FILE",
            description = "ONNX model (default: the reference fill).")
    Path model;

    @Option(
            names = "--batch-jobs",
            defaultValue = "400",
            paramLabel = "N",
            description = "Batch jobs produced at once. Default: ${DEFAULT-VALUE}.")
    int batchJobs;

    @Option(
            names = "--interactive-jobs",
            defaultValue = "40",
            paramLabel = "N",
            description = "Interactive jobs trickled in. Default: ${DEFAULT-VALUE}.")
    int interactiveJobs;

    @Option(
            names = "--interactive-every",
            defaultValue = "400",
            paramLabel = "MS",
            description =
                    "Milliseconds between interactive jobs, the first one this long after the"
                            + " flood. Default: ${DEFAULT-VALUE}.")
    long interactiveEvery;

    @Option(
            names = "--weight",
            defaultValue = "8",
            paramLabel = "W",
            description =
                    "Weight of the interactive lane (the batch lane's is 1). Default: ${DEFAULT-VALUE}.")
    int weight;

    @Option(
            names = "--configurations",
            split = ",",
            defaultValue = "single,lanes",
            paramLabel = "NAME",
            description =
                    "Which to run, in this order: single (one topic), lanes; repeat them to"
                            + " alternate (single,lanes,single,lanes), since in one process the"
                            + " later runs find the JIT warmer. Default: ${DEFAULT-VALUE}.")
    List<String> configurations;

    @Option(
            names = "--warmup-jobs",
            defaultValue = "40",
            description =
                    "Untimed jobs through each worker before its timed phase. Default: ${DEFAULT-VALUE}.")
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
            defaultValue = "astronaut.png,brick.png,chelsea.png,coffee.png",
            paramLabel = "NAME",
            description =
                    "Pictures of --dir the jobs cycle through (file names). Default: ${DEFAULT-VALUE}.")
    List<String> only;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "Worker configuration, e.g. worker.maxInFlight=3; repeatable.")
    Map<String, String> settings = new TreeMap<>();

    @Option(names = "--json", paramLabel = "FILE", description = "Write the figures as JSON here.")
    Path json;

    /** One configuration's figures, in milliseconds where not said otherwise. */
    record Outcome(
            String name,
            String topicsJobs,
            long[] interactiveQueued,
            long[] interactiveEndToEnd,
            long[] batchQueued,
            int batchDone,
            int failed,
            int lateInteractive,
            double seconds) {
        double jobsPerSecond() {
            return (interactiveQueued.length + batchDone) / seconds;
        }

        long interactiveP95() {
            return StagePercentiles.at(interactiveQueued, 0.95);
        }

        Map<String, Object> figures() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("topics_jobs", topicsJobs);
            f.put("interactive_jobs", interactiveQueued.length);
            f.put("interactive_queued_ms", percentiles(interactiveQueued));
            f.put("interactive_end_to_end_ms", percentiles(interactiveEndToEnd));
            f.put("batch_jobs", batchDone);
            f.put("batch_queued_ms", percentiles(batchQueued));
            f.put("failed", failed);
            f.put("interactive_after_flood", lateInteractive);
            f.put("seconds", Figures.round(seconds));
            f.put("jobs_per_s", Figures.round(jobsPerSecond()));
            return f;
        }

        private static Map<String, Long> percentiles(long[] sorted) {
            Map<String, Long> p = new LinkedHashMap<>();
            p.put("p50", StagePercentiles.at(sorted, 0.50));
            p.put("p95", StagePercentiles.at(sorted, 0.95));
            p.put("max", sorted.length == 0 ? 0 : sorted[sorted.length - 1]);
            return p;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (batchJobs < 1 || interactiveJobs < 1 || interactiveEvery < 1 || weight < 1) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--batch-jobs, --interactive-jobs, --interactive-every and --weight must be"
                            + " positive");
        }
        for (String name : configurations) {
            if (!name.equals("single") && !name.equals("lanes")) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "--configurations takes single and lanes, not " + name);
            }
        }
        if (!Files.isDirectory(dir)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--dir " + dir + " is not a directory (run from the repository root)");
        }
        List<Sample> samples = Sample.readAll(dir, only);
        if (samples.isEmpty()) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "no picture of " + only + " with a mask in " + dir);
        }
        out.printf(
                Locale.ROOT,
                "lama-worker bench lanes: %d batch jobs at once, %d interactive jobs one every %d"
                        + " ms, over %d pictures, %d cores%n",
                batchJobs,
                interactiveJobs,
                interactiveEvery,
                samples.size(),
                Runtime.getRuntime().availableProcessors());
        out.println("reproduce: " + commandLine());
        out.flush();

        List<Outcome> outcomes = new ArrayList<>();
        for (String name : configurations) {
            String topicsJobs =
                    name.equals("single")
                            ? SINGLE_TOPIC
                            : INTERACTIVE + ":" + weight + "," + BATCH + ":1";
            Outcome outcome = measure(name, topicsJobs, samples, out);
            outcomes.add(outcome);
            out.printf(
                    Locale.ROOT,
                    "%s done: %d jobs in %.1f s%n",
                    name,
                    outcome.batchDone() + outcome.interactiveQueued().length,
                    outcome.seconds());
            out.flush();
        }
        print(out, outcomes);
        if (json != null) {
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("command", commandLine());
            figures.put("pictures", samples.stream().map(Sample::name).toList());
            // "single" and "lanes", then "single-2", "lanes-2" for repeats.
            Map<String, Integer> seen = new HashMap<>();
            for (Outcome outcome : outcomes) {
                int n = seen.merge(outcome.name(), 1, Integer::sum);
                figures.put(outcome.name() + (n == 1 ? "" : "-" + n), outcome.figures());
            }
            Figures.write(json, figures);
            out.println("JSON: " + json);
        }
        out.flush();
        return outcomes.stream().anyMatch(o -> o.failed() > 0) ? 1 : 0;
    }

    /** One configuration on fresh servers: warm-up, then the flood and the trickle, timed. */
    private Outcome measure(String name, String topicsJobs, List<Sample> samples, PrintWriter out)
            throws Exception {
        Map<String, String> overrides = new HashMap<>(settings);
        if (model != null) {
            overrides.put("model.path", model.toString());
        }
        overrides.put("topics.jobs", topicsJobs);
        WorkerConfig config = ConfigLoader.loadDefaults(overrides);
        JobOptions options = new JobOptions("crop", null, null, null, null, null, null);
        WorkerHarness harness =
                new WorkerHarness(
                        new Workload(config, samples, options), 1, spec.commandLine().getErr());
        String interactiveTopic = name.equals("single") ? SINGLE_TOPIC : INTERACTIVE;
        String batchTopic = name.equals("single") ? SINGLE_TOPIC : BATCH;
        return harness.run(
                (bootstrap, workers) -> {
                    try (JobClients clients = harness.openClients(bootstrap)) {
                        if (warmupJobs > 0) {
                            clients.warmUp(warmupJobs);
                        }
                        return floodAndTrickle(
                                name, topicsJobs, clients, interactiveTopic, batchTopic);
                    }
                });
    }

    private Outcome floodAndTrickle(
            String name,
            String topicsJobs,
            JobClients clients,
            String interactiveTopic,
            String batchTopic)
            throws Exception {
        Map<String, Long> producedAt = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < batchJobs; i++) {
            String id = "batch-" + i;
            producedAt.put(id, System.currentTimeMillis());
            clients.send(batchTopic, id, i);
        }
        clients.flush();
        // The trickle, on its own thread, by the clock: one job every interactiveEvery ms
        // whatever the broker's or the worker's pace, as users would send them.
        Thread trickle =
                new Thread(
                        () -> {
                            for (int k = 0; k < interactiveJobs; k++) {
                                long due =
                                        start
                                                + TimeUnit.MILLISECONDS.toNanos(
                                                        (k + 1) * interactiveEvery);
                                long wait = due - System.nanoTime();
                                if (wait > 0) {
                                    try {
                                        TimeUnit.NANOSECONDS.sleep(wait);
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                                String id = "interactive-" + k;
                                producedAt.put(id, System.currentTimeMillis());
                                clients.send(interactiveTopic, id, k);
                                clients.flush();
                            }
                        },
                        "lanes-bench-trickle");
        trickle.setDaemon(true);
        trickle.start();

        List<Long> interactiveQueued = new ArrayList<>();
        List<Long> interactiveEndToEnd = new ArrayList<>();
        List<Long> batchQueued = new ArrayList<>();
        int failed = 0;
        long lastBatchDone = 0;
        int expected = batchJobs + interactiveJobs;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(60);
        while (interactiveQueued.size() + batchQueued.size() + failed < expected
                && System.nanoTime() < deadline) {
            for (InpaintResult result : clients.poll(Duration.ofMillis(100))) {
                Long produced = producedAt.get(result.jobId());
                if (produced == null) {
                    continue; // the warm-up's
                }
                long now = System.currentTimeMillis();
                if (result.status() != JobStatus.SUCCEEDED) {
                    failed++;
                    spec.commandLine()
                            .getErr()
                            .println(result.jobId() + " failed: " + result.error());
                } else if (result.jobId().startsWith("interactive-")) {
                    interactiveQueued.add(result.timings().queued());
                    interactiveEndToEnd.add(now - produced);
                } else {
                    batchQueued.add(result.timings().queued());
                    lastBatchDone = now;
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        trickle.interrupt();
        trickle.join();
        // Interactive jobs sent after the last batch job finished met no flood: they flatter
        // either configuration, so the table says how many there were.
        long floodOver = lastBatchDone;
        int late =
                (int)
                        producedAt.entrySet().stream()
                                .filter(e -> e.getKey().startsWith("interactive-"))
                                .filter(e -> e.getValue() > floodOver)
                                .count();
        return new Outcome(
                name,
                topicsJobs,
                sorted(interactiveQueued),
                sorted(interactiveEndToEnd),
                sorted(batchQueued),
                batchQueued.size(),
                failed,
                late,
                seconds);
    }

    private static long[] sorted(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    private void print(PrintWriter out, List<Outcome> outcomes) {
        out.println();
        out.println(
                "| configuration | topics.jobs | interactive queued p50 / p95 / max ms |"
                        + " interactive end to end p50 / p95 ms | batch jobs done | batch queued"
                        + " p50 ms | seconds | jobs/s |");
        out.println("|---|---|---|---|---|---|---|---|");
        for (Outcome o : outcomes) {
            out.printf(
                    Locale.ROOT,
                    "| %s | `%s` | %d / %d / %d | %d / %d | %d | %d | %.1f | %.2f |%n",
                    o.name().equals("single") ? "one topic (no lanes)" : "lanes",
                    o.topicsJobs(),
                    StagePercentiles.at(o.interactiveQueued(), 0.50),
                    o.interactiveP95(),
                    o.interactiveQueued().length == 0
                            ? 0
                            : o.interactiveQueued()[o.interactiveQueued().length - 1],
                    StagePercentiles.at(o.interactiveEndToEnd(), 0.50),
                    StagePercentiles.at(o.interactiveEndToEnd(), 0.95),
                    o.batchDone(),
                    StagePercentiles.at(o.batchQueued(), 0.50),
                    o.seconds(),
                    o.jobsPerSecond());
        }
        for (Outcome o : outcomes) {
            if (o.lateInteractive() > 0) {
                out.printf(
                        Locale.ROOT,
                        "note: %s: %d of %d interactive jobs were sent after the flood had drained"
                                + " (raise --batch-jobs or lower --interactive-every)%n",
                        o.name(),
                        o.lateInteractive(),
                        o.interactiveQueued().length);
            }
            if (o.failed() > 0) {
                out.printf(Locale.ROOT, "note: %s: %d jobs failed%n", o.name(), o.failed());
            }
        }
        // The k-th run of one configuration against the k-th of the other.
        List<Outcome> singles = named(outcomes, "single");
        List<Outcome> laned = named(outcomes, "lanes");
        for (int k = 0; k < Math.min(singles.size(), laned.size()); k++) {
            Outcome single = singles.get(k);
            Outcome lanes = laned.get(k);
            out.printf(
                    Locale.ROOT,
                    "%sinteractive p95 queue time%s: %d ms with one topic, %d ms with lanes: %.1fx"
                            + " lower%n",
                    k == 0 ? "\n" : "",
                    singles.size() > 1 ? " (runs " + (k + 1) + ")" : "",
                    single.interactiveP95(),
                    lanes.interactiveP95(),
                    single.interactiveP95() / (double) Math.max(1, lanes.interactiveP95()));
        }
    }

    private static List<Outcome> named(List<Outcome> outcomes, String name) {
        return outcomes.stream().filter(o -> o.name().equals(name)).toList();
    }

    /** The command that runs this bench again with the same options. */
    private String commandLine() {
        List<String> args = new ArrayList<>();
        args.add("java -jar worker/target/lama-worker.jar bench lanes");
        if (model != null) {
            args.add("--model " + model);
        }
        args.add("--batch-jobs " + batchJobs);
        args.add("--interactive-jobs " + interactiveJobs);
        args.add("--interactive-every " + interactiveEvery);
        args.add("--weight " + weight);
        args.add("--configurations " + String.join(",", configurations));
        args.add("--warmup-jobs " + warmupJobs);
        if (!dir.equals(Path.of("worker/src/test/resources/corpus"))) {
            args.add("--dir " + dir);
        }
        args.add("--pictures " + String.join(",", only));
        settings.forEach((k, v) -> args.add("--set " + k + "=" + v));
        if (json != null) {
            args.add("--json " + json);
        }
        return String.join(" ", args);
    }
}
