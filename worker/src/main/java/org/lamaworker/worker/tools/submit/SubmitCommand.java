package org.lamaworker.worker.tools.submit;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.protocol.ProtocolException;
import org.lamaworker.protocol.Topics;
import org.lamaworker.worker.app.OptionArguments;
import org.lamaworker.worker.image.OutputSettings;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code submit}: uploads pictures, produces jobs, waits for their results and saves the outputs.
 * Prints each result as one JSON line; exits 0 when all succeeded, 1 when any failed or timed out,
 * 2 on usage or connection errors.
 */
@Command(
        name = "submit",
        mixinStandardHelpOptions = true,
        description = "Submit inpaint jobs and wait for their results.")
public final class SubmitCommand implements Callable<Integer> {
    private static final Pattern PICTURE = Pattern.compile("(?i)(.+)\\.(png|jpg|jpeg|webp|tif)");
    private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9._-]");

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--kafka",
            required = true,
            paramLabel = "HOST:PORT",
            defaultValue = "${env:LAMA_KAFKA_BOOTSTRAP_SERVERS}",
            description = "Kafka bootstrap servers.")
    String kafka;

    @Option(
            names = "--s3",
            required = true,
            paramLabel = "URL",
            defaultValue = "${env:LAMA_S3_ENDPOINT}",
            description = "S3 endpoint, e.g. http://127.0.0.1:9000.")
    String s3;

    @Option(
            names = "--access-key",
            required = true,
            defaultValue = "${env:LAMA_S3_ACCESS_KEY}",
            description = "S3 access key.")
    String accessKey;

    @Option(
            names = "--secret-key",
            required = true,
            defaultValue = "${env:LAMA_S3_SECRET_KEY}",
            description = "S3 secret key (or LAMA_S3_SECRET_KEY).")
    String secretKey;

    @Option(
            names = "--bucket",
            required = true,
            defaultValue = "${env:LAMA_S3_BUCKET}",
            description = "Bucket to upload to; results go to results/ in it.")
    String bucket;

    @Option(
            names = "--jobs-topic",
            defaultValue = Topics.JOBS,
            description = "Default: ${DEFAULT-VALUE}.")
    String jobsTopic;

    @Option(
            names = "--results-topic",
            defaultValue = Topics.RESULTS,
            description = "Default: ${DEFAULT-VALUE}.")
    String resultsTopic;

    @Option(
            names = "--option",
            paramLabel = "NAME=VALUE",
            description = "Job option, e.g. format=jpeg; repeatable.")
    List<String> optionArguments = new ArrayList<>();

    @Option(
            names = "--timeout",
            defaultValue = "300s",
            description =
                    "How long to wait for all results (e.g. 300s, 5m). Default: ${DEFAULT-VALUE}.")
    String timeout;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @ArgGroup(exclusive = false)
        Single single;

        @ArgGroup(exclusive = false)
        Directory directory;
    }

    static final class Single {
        @Option(names = "--image", required = true, paramLabel = "FILE")
        Path image;

        @Option(names = "--mask", required = true, paramLabel = "FILE")
        Path mask;

        @Option(names = "--out", required = true, paramLabel = "FILE")
        Path out;

        @Option(names = "--job-id", paramLabel = "ID", description = "Default: a random id.")
        String jobId;
    }

    static final class Directory {
        @Option(
                names = "--dir",
                required = true,
                paramLabel = "DIR",
                description = "Every NAME.png|jpg|jpeg|webp|tif with a NAME.mask.png beside it.")
        Path dir;

        @Option(names = "--out-dir", required = true, paramLabel = "DIR")
        Path outDir;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> options;
        try {
            options = OptionArguments.parse(optionArguments);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        Duration wait = parseDuration(timeout);
        List<Submitter.Request> requests = requests(options);
        if (requests.isEmpty()) {
            throw usage("no picture with a NAME.mask.png beside it in " + input.directory.dir);
        }
        for (Submitter.Request r : requests) {
            try {
                OptionArguments.job(
                        r.jobId(),
                        new ObjectRef(bucket, "uploads/x"),
                        new ObjectRef(bucket, "uploads/y"),
                        options);
            } catch (ProtocolException e) {
                throw usage("invalid job: " + e.getMessage());
            }
        }
        Submitter.Target target =
                new Submitter.Target(
                        kafka, s3, accessKey, secretKey, bucket, jobsTopic, resultsTopic);
        List<Submitter.Outcome> outcomes;
        try (Submitter submitter = new Submitter(target)) {
            outcomes =
                    submitter.submit(
                            requests,
                            options,
                            wait,
                            outcome -> {
                                if (outcome.result() == null) {
                                    spec.commandLine()
                                            .getErr()
                                            .println(
                                                    "job "
                                                            + outcome.request().jobId()
                                                            + ": no result within "
                                                            + timeout);
                                } else {
                                    out.println(
                                            new String(
                                                    JsonCodec.encode(outcome.result()),
                                                    StandardCharsets.UTF_8));
                                    out.flush();
                                }
                            });
        } catch (Submitter.ConnectionException e) {
            spec.commandLine().getErr().println("Connection error: " + e.getMessage());
            return 2;
        }
        out.flush();
        return outcomes.stream().allMatch(Submitter.Outcome::succeeded) ? 0 : 1;
    }

    private List<Submitter.Request> requests(Map<String, Object> options) throws IOException {
        Object format = options.get("format");
        List<Submitter.Request> requests = new ArrayList<>();
        if (input.single != null) {
            Single s = input.single;
            requireFile(s.image);
            requireFile(s.mask);
            String jobId =
                    s.jobId != null
                            ? s.jobId
                            : "job-" + UUID.randomUUID().toString().substring(0, 8);
            requests.add(new Submitter.Request(jobId, s.image, s.mask, s.out));
            return requests;
        }
        Path dir = input.directory.dir;
        if (!Files.isDirectory(dir)) {
            throw usage(dir + " is not a directory");
        }
        String run = UUID.randomUUID().toString().substring(0, 6);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                var matcher = PICTURE.matcher(name);
                if (!Files.isRegularFile(file)
                        || !matcher.matches()
                        || name.toLowerCase(Locale.ROOT).endsWith(".mask.png")) {
                    continue;
                }
                String stem = matcher.group(1);
                Path mask = dir.resolve(stem + ".mask.png");
                if (!Files.isRegularFile(mask)) {
                    continue;
                }
                String safe = UNSAFE.matcher(stem).replaceAll("_");
                String jobId = (safe.length() > 100 ? safe.substring(0, 100) : safe) + "-" + run;
                requests.add(
                        new Submitter.Request(
                                jobId,
                                file,
                                mask,
                                input.directory.outDir.resolve(stem + extension(format, name))));
            }
        }
        return requests;
    }

    private void requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw usage(file + " is not a file");
        }
    }

    private Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            if (t.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            if (t.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            return Duration.parse(text);
        } catch (NumberFormatException | DateTimeParseException e) {
            throw usage("--timeout takes e.g. 300s or 5m, got '" + text + "'");
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /**
     * The output file's extension: the job's format's, or with none (or {@code auto}) the one the
     * worker picks for the picture: JPEG and WebP stay, other formats become PNG.
     */
    static String extension(Object format, String pictureName) {
        String f = format == null ? "auto" : format.toString().toLowerCase(Locale.ROOT);
        if (f.equals("auto")) {
            String named = OutputSettings.formatOfFileName(pictureName);
            f = OutputSettings.autoFormat(named != null ? named : "png");
        }
        return "." + InpaintJob.extension(f.equals("jpg") ? "jpeg" : f);
    }
}
