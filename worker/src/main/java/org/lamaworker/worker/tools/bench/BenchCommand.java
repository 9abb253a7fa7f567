package org.lamaworker.worker.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.io.IOException;
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
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.protocol.Timings;
import org.lamaworker.worker.admission.MemoryProbe;
import org.lamaworker.worker.app.WorkerVerticle;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.Secret;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.BatchingRunner;
import org.lamaworker.worker.inference.InferenceInput;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.pipeline.Inpainting;
import org.lamaworker.worker.pipeline.Tile;
import org.lamaworker.worker.pipeline.TilePlanner;
import org.lamaworker.worker.tools.embedded.EmbeddedKafka;
import org.lamaworker.worker.tools.embedded.EmbeddedS3;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench}: in one process and one run, measures (a) raw {@code session.run} throughput on
 * ready tensors, the limit, and (b) end-to-end throughput of the real worker through an in-process
 * Kafka broker and S3 server, on the same pictures, model and tiles; then compares this worker's
 * crop policy with IOPaint's (one box per contour, no merging, no batching).
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Measure raw model throughput against end-to-end worker throughput.")
public final class BenchCommand implements Callable<Integer> {
    private static final String ACCESS_KEY = "bench";
    private static final String BUCKET = "bench";

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

    /** A picture of the workload. */
    private record Sample(String name, byte[] image, byte[] mask) {}

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
        if (soakEvery > 0) {
            return soak(base, samples, options, out);
        }
        if (skipRaw) {
            return endToEndOnly(base, samples, options, out);
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        RawResult raw;
        E2eResult e2e;
        if (rounds > 1) {
            Interleaved both = interleaved(base, samples, options, out, figures);
            raw = both.raw();
            e2e = both.e2e();
        } else {
            raw = raw(base, samples, options);
            out.printf(
                    Locale.ROOT,
                    "raw: %d jobs (%d tiles, %d runs) in %.1f s = %.3f jobs/s%n",
                    jobs,
                    raw.tiles,
                    raw.runs,
                    raw.seconds,
                    jobs / raw.seconds);
            e2e = endToEnd(base, samples, options);
            // The limit is measured again after the end-to-end phase, and the faster of the two
            // counts: on a shared machine a single raw phase can land in a slow minute and
            // flatter the ratio.
            RawResult rawAfter = raw(base, samples, options);
            out.printf(
                    Locale.ROOT,
                    "raw again: %d jobs in %.1f s = %.3f jobs/s%n",
                    jobs,
                    rawAfter.seconds,
                    jobs / rawAfter.seconds);
            figures.put(
                    "raw_phases_jobs_per_s",
                    List.of(round(jobs / raw.seconds), round(jobs / rawAfter.seconds)));
            if (rawAfter.seconds < raw.seconds) {
                raw = rawAfter;
            }
        }
        int rawJobs = raw.jobs;
        double rawRate = rawJobs / raw.seconds;
        double e2eRate = e2e.completed / e2e.seconds;
        figures.put("model", raw.modelId);
        figures.put("strategy", strategy);
        figures.put("jobs", rawJobs);
        figures.put("rounds", rounds);
        figures.put("pictures", samples.stream().map(Sample::name).toList());
        figures.put("raw_jobs_per_s", round(rawRate));
        figures.put("e2e_jobs_per_s", round(e2eRate));
        figures.put("ratio", round(e2eRate / rawRate));
        figures.put("e2e_failed", e2e.failed);
        figures.put("runners", e2e.runners);
        figures.put("warmup_jobs", warmupJobs);
        figures.put("device_busy_fraction", round(e2e.busyFraction()));
        figures.put("peak_rss_bytes", peakRssBytes());
        figures.put("stages_ms", e2e.stages);

        out.println();
        out.println("| phase | jobs/s | jobs | seconds |");
        out.println("|---|---|---|---|");
        out.printf(
                Locale.ROOT,
                "| raw session.run on ready tensors | %.3f | %d | %.1f |%n",
                rawRate,
                rawJobs,
                raw.seconds);
        out.printf(
                Locale.ROOT,
                "| end to end (Kafka, S3, worker) | %.3f | %d | %.1f |%n",
                e2eRate,
                e2e.completed,
                e2e.seconds);
        out.printf(
                Locale.ROOT,
                "%nratio e2e/raw %.3f, device busy %.1f%% of the e2e run, peak RSS %d MiB (whole process)%n",
                e2eRate / rawRate,
                100 * e2e.busyFraction(),
                peakRssBytes() >> 20);
        out.println();
        out.println("| stage | p50 ms | p95 ms |");
        out.println("|---|---|---|");
        e2e.stages.forEach(
                (stage, p) ->
                        out.printf(
                                Locale.ROOT,
                                "| %s | %d | %d |%n",
                                stage,
                                p.get("p50"),
                                p.get("p95")));

        if (!skipIopaint) {
            Map<String, Object> comparison = compareCropPolicies(base, samples);
            figures.put("crop_policy_seconds_per_image", comparison);
            out.println();
            out.println(
                    "| picture | this worker: s/image (tiles, runs) | IOPaint policy: s/image (tiles, runs) |");
            out.println("|---|---|---|");
            comparison.forEach(
                    (name, v) -> {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> row = (Map<String, Object>) v;
                        out.printf(
                                Locale.ROOT,
                                "| %s | %s (%s, %s) | %s (%s, %s) |%n",
                                name,
                                row.get("worker_s"),
                                row.get("worker_tiles"),
                                row.get("worker_runs"),
                                row.get("iopaint_s"),
                                row.get("iopaint_tiles"),
                                row.get("iopaint_runs"));
                    });
        }
        if (json != null) {
            writeJson(figures);
            out.println();
            out.println("JSON: " + json);
        }
        out.flush();
        return 0;
    }

    /** Both phases' totals over the rounds. */
    private record Interleaved(RawResult raw, E2eResult e2e) {}

    /**
     * {@code --rounds K}: the worker and a second set of sessions for the raw phase are both
     * loaded; each round runs {@code jobs / K} jobs' tensors on the raw sessions, then as many jobs
     * through Kafka, S3 and the worker (idle during the raw part). Totals are summed over the
     * rounds. Each round's figures go to {@code out} and to {@code figures}.
     */
    private Interleaved interleaved(
            WorkerConfig base,
            List<Sample> samples,
            JobOptions options,
            PrintWriter out,
            Map<String, Object> figures)
            throws Exception {
        int perRound = Math.max(1, jobs / rounds);
        return withWorker(
                base,
                samples,
                (bootstrap, workers) -> {
                    try (RawBench rawBench = RawBench.open(base, samples, options);
                            Clients clients = Clients.open(bootstrap)) {
                        warmUp(clients, samples, options);
                        out.println("| round | raw jobs/s | e2e jobs/s | ratio | device busy |");
                        out.println("|---|---|---|---|---|");
                        List<Map<String, Object>> rows = new ArrayList<>();
                        List<Timings> timings = new ArrayList<>();
                        double rawSeconds = 0;
                        double e2eSeconds = 0;
                        long busyNanos = 0;
                        int failed = 0;
                        int tiles = 0;
                        long runs = 0;
                        String modelId = null;
                        for (int r = 1; r <= rounds; r++) {
                            RawResult raw = rawBench.run(perRound);
                            Segment seg =
                                    segment(
                                            clients,
                                            workers,
                                            "bench-" + r + "-",
                                            perRound,
                                            samples,
                                            options);
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
                            row.put("raw_jobs_per_s", round(rawRate));
                            row.put("e2e_jobs_per_s", round(e2eRate));
                            row.put("ratio", round(e2eRate / rawRate));
                            rows.add(row);
                            timings.addAll(seg.collected().timings());
                            rawSeconds += raw.seconds();
                            e2eSeconds += seg.seconds();
                            busyNanos += seg.busyNanos();
                            failed += seg.collected().failed();
                            tiles += raw.tiles();
                            runs += raw.runs();
                            modelId = raw.modelId();
                        }
                        figures.put("rounds_figures", rows);
                        return new Interleaved(
                                new RawResult(modelId, perRound * rounds, tiles, runs, rawSeconds),
                                new E2eResult(
                                        timings.size(),
                                        failed,
                                        e2eSeconds,
                                        busyNanos,
                                        workers.runners(),
                                        percentiles(timings)));
                    }
                });
    }

    /** Only the end-to-end phase: for comparing fleets of 1, 2, 3 workers. */
    private int endToEndOnly(
            WorkerConfig base, List<Sample> samples, JobOptions options, PrintWriter out)
            throws Exception {
        E2eResult e2e = endToEnd(base, samples, options);
        double rate = e2e.completed / e2e.seconds;
        out.println("| workers | runners | e2e jobs/s | jobs | failed | seconds | device busy |");
        out.println("|---|---|---|---|---|---|---|");
        out.printf(
                Locale.ROOT,
                "| %d | %d | %.3f | %d | %d | %.1f | %.1f%% |%n",
                workerCount,
                e2e.runners,
                rate,
                e2e.completed,
                e2e.failed,
                e2e.seconds,
                100 * e2e.busyFraction());
        if (json != null) {
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("workers", workerCount);
            figures.put("runners", e2e.runners);
            figures.put("jobs", jobs);
            figures.put("pictures", samples.stream().map(Sample::name).toList());
            figures.put("e2e_jobs_per_s", round(rate));
            figures.put("e2e_failed", e2e.failed);
            figures.put("device_busy_fraction", round(e2e.busyFraction()));
            figures.put("peak_rss_bytes", peakRssBytes());
            figures.put("stages_ms", e2e.stages);
            writeJson(figures);
        }
        out.flush();
        return 0;
    }

    private List<Sample> samples() throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--dir "
                            + dir
                            + " is not a directory (the default is relative to the repository"
                            + " root: run bench from there, or pass --dir)");
        }
        List<Sample> samples = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (!name.matches("(?i).+\\.(png|jpe?g|webp|tiff?)") || name.contains(".mask.")) {
                    continue;
                }
                Path mask = dir.resolve(name.substring(0, name.lastIndexOf('.')) + ".mask.png");
                if (Files.isRegularFile(mask) && (only == null || only.contains(name))) {
                    samples.add(
                            new Sample(name, Files.readAllBytes(file), Files.readAllBytes(mask)));
                }
            }
        }
        if (samples.isEmpty()) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "no picture with a mask in " + dir);
        }
        return samples;
    }

    private record RawResult(String modelId, int jobs, int tiles, long runs, double seconds) {}

    /**
     * Tensors prepared up front; only {@code session.run} is timed, grouped as the worker groups
     * them.
     */
    private RawResult raw(WorkerConfig config, List<Sample> samples, JobOptions options)
            throws InterruptedException {
        try (RawBench bench = RawBench.open(config, samples, options)) {
            return bench.run(jobs);
        }
    }

    /**
     * Model sessions and runner threads as the worker configures them, with every sample's tensors
     * prepared and one untimed job per runner run at once; {@link #run} times only {@code
     * session.run}.
     */
    private static final class RawBench implements AutoCloseable {
        private final List<InpaintModel> sessions;
        private final WorkerConfig config;
        private final List<List<InferenceInput>> perSample;

        private RawBench(
                List<InpaintModel> sessions,
                WorkerConfig config,
                List<List<InferenceInput>> perSample) {
            this.sessions = sessions;
            this.config = config;
            this.perSample = perSample;
        }

        static RawBench open(WorkerConfig config, List<Sample> samples, JobOptions options)
                throws InterruptedException {
            List<InpaintModel> sessions = new ArrayList<>();
            try {
                for (int i = 0; i < config.inference().sessions(); i++) {
                    sessions.add(load(config));
                }
                Inpainting first = new Inpainting(sessions.get(0), config);
                List<List<InferenceInput>> perSample = new ArrayList<>();
                for (Sample s : samples) {
                    perSample.add(first.tensors(first.decode(s.image(), s.mask(), options)));
                }
                RawBench bench = new RawBench(sessions, config, perSample);
                // Warm-up, not timed: one job per runner, all at once, as the timed runs go.
                bench.run(config.inference().runners());
                return bench;
            } catch (RuntimeException | InterruptedException e) {
                sessions.forEach(InpaintModel::close);
                throw e;
            }
        }

        /** Runs {@code count} jobs' tensors, one thread per runner each taking the next job. */
        RawResult run(int count) throws InterruptedException {
            long runsBefore = sessions.stream().mapToLong(InpaintModel::sessionRuns).sum();
            AtomicInteger next = new AtomicInteger();
            AtomicInteger tiles = new AtomicInteger();
            AtomicReference<RuntimeException> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (InpaintModel session :
                    BatchingRunner.spread(sessions, config.inference().runners())) {
                Inpainting work = new Inpainting(session, config);
                threads.add(
                        new Thread(
                                () -> {
                                    try {
                                        for (int i = next.getAndIncrement();
                                                i < count;
                                                i = next.getAndIncrement()) {
                                            List<InferenceInput> inputs =
                                                    perSample.get(i % perSample.size());
                                            tiles.addAndGet(inputs.size());
                                            work.run(inputs);
                                        }
                                    } catch (RuntimeException e) {
                                        failure.set(e);
                                    }
                                },
                                "bench-raw-" + threads.size()));
            }
            long start = System.nanoTime();
            threads.forEach(Thread::start);
            for (Thread thread : threads) {
                thread.join();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (failure.get() != null) {
                throw failure.get();
            }
            long runs = sessions.stream().mapToLong(InpaintModel::sessionRuns).sum() - runsBefore;
            return new RawResult(sessions.get(0).id(), count, tiles.get(), runs, seconds);
        }

        @Override
        public void close() {
            sessions.forEach(InpaintModel::close);
        }
    }

    private static InpaintModel load(WorkerConfig config) {
        return InpaintModel.load(InpaintModel.Options.of(config));
    }

    private record E2eResult(
            int completed,
            int failed,
            double seconds,
            long busyNanos,
            int runners,
            Map<String, Map<String, Long>> stages) {
        double busyFraction() {
            return BenchCommand.busyFraction(busyNanos, seconds, runners);
        }
    }

    /**
     * The real worker verticle against in-process Kafka and S3; timed from first job produced to
     * last result.
     */
    private E2eResult endToEnd(WorkerConfig base, List<Sample> samples, JobOptions options)
            throws Exception {
        return withWorker(
                base,
                samples,
                (bootstrap, workers) -> runJobs(bootstrap, workers, samples, options));
    }

    /** A body run against the started workers. */
    @FunctionalInterface
    private interface WorkerRun<T> {
        T run(String bootstrap, Workers workers) throws Exception;
    }

    /** The workers of one run, in one consumer group. */
    private record Workers(List<WorkerVerticle> all) {
        long busyNanos() {
            return all.stream().mapToLong(WorkerVerticle::inferenceBusyNanos).sum();
        }

        int runners() {
            return all.stream().mapToInt(WorkerVerticle::runnerCount).sum();
        }
    }

    /**
     * Starts in-process Kafka and S3 with the samples uploaded, deploys the real worker verticle
     * against them, runs {@code body}, and stops it all.
     */
    private <T> T withWorker(WorkerConfig base, List<Sample> samples, WorkerRun<T> body)
            throws Exception {
        Path data = Files.createTempDirectory("lama-bench");
        String secret = Long.toHexString(System.nanoTime());
        // Objects on disk, not in this process's memory: a soak's outputs must not count as the
        // worker's growth.
        try (EmbeddedKafka kafka = EmbeddedKafka.start(data.resolve("kafka"));
                EmbeddedS3 s3 =
                        EmbeddedS3.startFilesystem(data.resolve("s3"), ACCESS_KEY, secret)) {
            kafka.createTopics(
                    Map.of("inpaint.jobs", 6, "inpaint.results", 3, "inpaint.events", 1));
            s3.createBucket(BUCKET);
            MinioClient minio =
                    MinioClient.builder()
                            .endpoint(s3.endpoint().toString())
                            .credentials(ACCESS_KEY, secret)
                            .build();
            for (Sample s : samples) {
                put(minio, "in/" + s.name(), s.image());
                put(minio, "in/" + s.name() + ".mask.png", s.mask());
            }
            WorkerConfig config =
                    base.withServers(
                            kafka.bootstrapServers(), s3.endpoint(), ACCESS_KEY, Secret.of(secret));
            Vertx vertx = Vertx.vertx();
            List<WorkerVerticle> workers = new ArrayList<>();
            for (int i = 0; i < workerCount; i++) {
                workers.add(new WorkerVerticle(config.withWorkerId("bench-" + i)));
            }
            try {
                for (WorkerVerticle worker : workers) {
                    vertx.deployVerticle(worker)
                            .toCompletionStage()
                            .toCompletableFuture()
                            .get(5, TimeUnit.MINUTES);
                }
                return body.run(kafka.bootstrapServers(), new Workers(workers));
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(2, TimeUnit.MINUTES);
                minio.close();
            }
        } finally {
            deleteRecursively(data);
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The bench's producer of jobs and reader of results, from the results' end. */
    private record Clients(
            KafkaProducer<String, byte[]> producer, KafkaConsumer<String, byte[]> results)
            implements AutoCloseable {
        static Clients open(String bootstrap) {
            Properties common = new Properties();
            common.put("bootstrap.servers", bootstrap);
            KafkaProducer<String, byte[]> producer =
                    new KafkaProducer<>(common, new StringSerializer(), new ByteArraySerializer());
            KafkaConsumer<String, byte[]> results =
                    new KafkaConsumer<>(
                            common, new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions =
                    results.partitionsFor("inpaint.results").stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition()))
                            .toList();
            results.assign(partitions);
            results.seekToEnd(partitions);
            partitions.forEach(results::position);
            return new Clients(producer, results);
        }

        @Override
        public void close() {
            producer.close();
            results.close();
        }
    }

    /**
     * Soak: {@code --jobs} jobs through the worker in rounds of {@code --soak-every}, the process's
     * resident memory and heap after each round, and the trend of resident memory over the second
     * half of the run (after warm-up) in MiB per 1,000 jobs.
     */
    private int soak(WorkerConfig base, List<Sample> samples, JobOptions options, PrintWriter out)
            throws Exception {
        List<Map<String, Object>> rows =
                withWorker(
                        base,
                        samples,
                        (bootstrap, workers) -> {
                            List<Map<String, Object>> table = new ArrayList<>();
                            try (Clients clients = Clients.open(bootstrap)) {
                                out.println(
                                        "| jobs done | jobs/s | failed | RSS MiB | heap used MiB |");
                                out.println("|---|---|---|---|---|");
                                int done = 0;
                                for (int round = 0; done < jobs; round++) {
                                    int n = Math.min(soakEvery, jobs - done);
                                    long start = System.nanoTime();
                                    Collected c =
                                            submitAndCollect(
                                                    clients.producer(),
                                                    clients.results(),
                                                    "soak-" + round + "-",
                                                    n,
                                                    samples,
                                                    options);
                                    done += n;
                                    double seconds = (System.nanoTime() - start) / 1e9;
                                    Runtime rt = Runtime.getRuntime();
                                    long heap = rt.totalMemory() - rt.freeMemory();
                                    Map<String, Object> row = new LinkedHashMap<>();
                                    row.put("jobs_done", done);
                                    row.put("jobs_per_s", round(n / seconds));
                                    row.put("failed", c.failed());
                                    row.put("rss_bytes", currentRssBytes());
                                    row.put("heap_used_bytes", heap);
                                    table.add(row);
                                    out.printf(
                                            Locale.ROOT,
                                            "| %d | %.2f | %d | %d | %d |%n",
                                            done,
                                            n / seconds,
                                            c.failed(),
                                            currentRssBytes() >> 20,
                                            heap >> 20);
                                    out.flush();
                                }
                            }
                            return table;
                        });
        // Least-squares slope of RSS against jobs over the second half of the rounds.
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
        double slopePerThousand = denominator == 0 ? 0 : 1000 * (n * sxy - sx * sy) / denominator;
        out.printf(
                Locale.ROOT,
                "%nresident memory trend over the second half: %+.1f MiB per 1000 jobs; peak %d MiB%n",
                slopePerThousand,
                peakRssBytes() >> 20);
        if (json != null) {
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("jobs", jobs);
            figures.put("pictures", samples.stream().map(Sample::name).toList());
            figures.put("rounds", rows);
            figures.put("rss_trend_mib_per_1000_jobs", round(slopePerThousand));
            figures.put("peak_rss_bytes", peakRssBytes());
            writeJson(figures);
        }
        out.flush();
        return 0;
    }

    private E2eResult runJobs(
            String bootstrap, Workers workers, List<Sample> samples, JobOptions options) {
        try (Clients clients = Clients.open(bootstrap)) {
            warmUp(clients, samples, options);
            Segment timed = segment(clients, workers, "bench-", jobs, samples, options);
            return new E2eResult(
                    timed.collected().timings().size(),
                    timed.collected().failed(),
                    timed.seconds(),
                    timed.busyNanos(),
                    workers.runners(),
                    percentiles(timed.collected().timings()));
        }
    }

    /**
     * One untimed round, as the raw phase has its untimed run: the JIT compiles the worker's
     * decoding, encoding, Kafka and S3 paths before the clock starts.
     */
    private void warmUp(Clients clients, List<Sample> samples, JobOptions options) {
        Collected warm =
                submitAndCollect(
                        clients.producer(),
                        clients.results(),
                        "warm-",
                        warmupJobs,
                        samples,
                        options);
        if (warm.failed() > 0) {
            throw new IllegalStateException(warm.failed() + " warm-up jobs failed");
        }
    }

    /** Jobs through the worker, timed from the first produced to the last result read. */
    private record Segment(Collected collected, double seconds, long busyNanos) {
        double busyFraction(int runners) {
            return BenchCommand.busyFraction(busyNanos, seconds, runners);
        }
    }

    /** Share of {@code seconds} the runners spent in session.run, averaged over runners. */
    private static double busyFraction(long busyNanos, double seconds, int runners) {
        return busyNanos / (seconds * 1e9 * runners);
    }

    private Segment segment(
            Clients clients,
            Workers workers,
            String prefix,
            int count,
            List<Sample> samples,
            JobOptions options) {
        long busyBefore = workers.busyNanos();
        long start = System.nanoTime();
        Collected collected =
                submitAndCollect(
                        clients.producer(), clients.results(), prefix, count, samples, options);
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Segment(collected, seconds, workers.busyNanos() - busyBefore);
    }

    private record Collected(List<Timings> timings, int failed) {}

    /** Produces {@code count} jobs and reads results until each has one. */
    private Collected submitAndCollect(
            KafkaProducer<String, byte[]> producer,
            KafkaConsumer<String, byte[]> results,
            String prefix,
            int count,
            List<Sample> samples,
            JobOptions options) {
        for (int i = 0; i < count; i++) {
            Sample s = samples.get(i % samples.size());
            InpaintJob job =
                    new InpaintJob(
                            1,
                            prefix + i,
                            new ObjectRef(BUCKET, "in/" + s.name()),
                            new ObjectRef(BUCKET, "in/" + s.name() + ".mask.png"),
                            null,
                            options,
                            null,
                            null);
            producer.send(new ProducerRecord<>("inpaint.jobs", job.jobId(), JsonCodec.encode(job)));
        }
        producer.flush();
        List<Timings> timings = new ArrayList<>();
        int failed = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(60);
        while (timings.size() + failed < count && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> record : results.poll(Duration.ofMillis(200))) {
                InpaintResult result = JsonCodec.decodeResult(record.value());
                if (!result.jobId().startsWith(prefix)) {
                    continue;
                }
                if (result.status() == JobStatus.SUCCEEDED) {
                    timings.add(result.timings());
                } else {
                    failed++;
                    spec.commandLine()
                            .getErr()
                            .println(result.jobId() + " failed: " + result.error());
                }
            }
        }
        return new Collected(timings, failed);
    }

    private static void put(MinioClient minio, String key, byte[] bytes) throws Exception {
        minio.putObject(
                PutObjectArgs.builder().bucket(BUCKET).object(key).stream(
                                new ByteArrayInputStream(bytes), bytes.length, -1)
                        .build());
    }

    private static Map<String, Map<String, Long>> percentiles(List<Timings> timings) {
        Map<String, java.util.function.ToLongFunction<Timings>> stages = new LinkedHashMap<>();
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

    private static long at(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)];
    }

    /**
     * Seconds per picture, all stages on one thread, with this worker's crop tiles (merged,
     * batched) and with IOPaint's policy (one box per contour, no merging, one run per box).
     */
    private Map<String, Object> compareCropPolicies(WorkerConfig config, List<Sample> samples) {
        Map<String, Object> rows = new LinkedHashMap<>();
        JobOptions crop = new JobOptions("crop", null, null, null, null, null, null);
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
                work.encode(work.composite(ours, work.run(work.tensors(ours))), crop);
                double oursSeconds = (System.nanoTime() - t0) / 1e9;
                long oursRuns = loaded.sessionRuns() - runs0;

                long runs1 = loaded.sessionRuns();
                long t1 = System.nanoTime();
                Inpainting.Decoded decoded = work.decode(s.image(), s.mask(), crop);
                List<Tile> perContour =
                        TilePlanner.perContour(decoded.mask(), loaded.info(), planning);
                Inpainting.Decoded theirs =
                        new Inpainting.Decoded(decoded.picture(), decoded.mask(), perContour);
                List<float[]> outputs = new ArrayList<>();
                for (InferenceInput input : work.tensors(theirs)) {
                    outputs.add(loaded.run(input));
                }
                work.encode(work.composite(theirs, outputs), crop);
                double theirSeconds = (System.nanoTime() - t1) / 1e9;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("worker_s", round(oursSeconds));
                row.put("worker_tiles", ours.tiles().size());
                row.put("worker_runs", oursRuns);
                row.put("iopaint_s", round(theirSeconds));
                row.put("iopaint_tiles", perContour.size());
                row.put("iopaint_runs", loaded.sessionRuns() - runs1);
                rows.put(s.name(), row);
            }
        }
        return rows;
    }

    /** Writes the figures to {@code --json}, indented. */
    private void writeJson(Map<String, Object> figures) throws IOException {
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(json.toFile(), figures);
    }

    private static long currentRssBytes() {
        return statusBytes("VmRSS:");
    }

    private static long peakRssBytes() {
        return statusBytes("VmHWM:");
    }

    /** A memory figure of /proc/self/status, in bytes; -1 where there is none. */
    private static long statusBytes(String field) {
        try {
            return MemoryProbe.ResidentMemory.statusBytes(field);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
