package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.worker.app.Main;
import org.lamaworker.worker.testing.Corpus;
import org.lamaworker.worker.testing.WorkerProcess;
import picocli.CommandLine;

/**
 * The README's fresh-machine path: {@code java -jar lama-worker.jar run} with nothing configured
 * starts its embedded Kafka and S3, and {@code submit --dir} against it gets every corpus picture
 * back inpainted. Runs the packaged jar in its own process, as a user would.
 */
class CliIT {
    private static final Pattern ANOTHER_WORKER =
            Pattern.compile("another worker: ((?:LAMA_\\w+=\\S+ )+)java -jar (\\S+) run");

    private static final Pattern SERVERS =
            Pattern.compile(
                    "kafka=(\\S+) s3=(\\S+) bucket=(\\S+) access-key=(\\S+) secret-key=(\\S+)");

    /** {@code submit} with the connection settings {@code run} announced, then {@code more}. */
    private static String[] submit(Matcher servers, String... more) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "submit",
                                "--kafka",
                                servers.group(1),
                                "--s3",
                                servers.group(2),
                                "--bucket",
                                servers.group(3),
                                "--access-key",
                                servers.group(4),
                                "--secret-key",
                                servers.group(5)));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void submitDirAgainstTheEmbeddedDefault(@TempDir Path dir) throws Exception {
        Process worker =
                WorkerProcess.packagedJar(dir, List.of("-Xmx2g"), "run")
                        .redirectErrorStream(true)
                        .start();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Matcher> announced = new CompletableFuture<>();
        CompletableFuture<Matcher> second = new CompletableFuture<>();
        Thread reader =
                new Thread(
                        () -> {
                            try (BufferedReader lines =
                                    new BufferedReader(
                                            new InputStreamReader(
                                                    worker.getInputStream(),
                                                    StandardCharsets.UTF_8))) {
                                String line;
                                while ((line = lines.readLine()) != null) {
                                    log.add(line);
                                    Matcher m = SERVERS.matcher(line);
                                    if (m.matches()) {
                                        announced.complete(m);
                                    }
                                    Matcher another = ANOTHER_WORKER.matcher(line);
                                    if (another.matches()) {
                                        second.complete(another);
                                    }
                                }
                            } catch (Exception e) {
                                announced.completeExceptionally(e);
                            }
                            announced.completeExceptionally(
                                    new AssertionError(
                                            "worker exited:\n" + String.join("\n", log)));
                            second.completeExceptionally(
                                    new AssertionError("no 'another worker' line"));
                        },
                        "worker-output");
        reader.setDaemon(true);
        reader.start();
        Process secondWorker = null;
        try {
            Matcher servers = announced.get(3, TimeUnit.MINUTES);
            // The line run prints for one more worker on this host, pasted as it is: it joins the
            // same stack with a management port of its own and serves jobs beside the first.
            Map<String, String> environment = new LinkedHashMap<>();
            for (String setting : second.get(1, TimeUnit.MINUTES).group(1).trim().split(" ")) {
                int eq = setting.indexOf('=');
                environment.put(setting.substring(0, eq), setting.substring(eq + 1));
            }
            assertThat(environment).containsEntry("LAMA_MANAGEMENT_PORT", "0");
            ProcessBuilder another =
                    WorkerProcess.packagedJar(dir, List.of("-Xmx1g"), "run")
                            .redirectErrorStream(true);
            another.environment().putAll(environment);
            secondWorker = another.start();
            CompletableFuture<String> secondManagement = new CompletableFuture<>();
            WorkerProcess.drain(secondWorker, "Management on http://", secondManagement);
            assertThat(secondManagement.get(2, TimeUnit.MINUTES)).doesNotContain(":8081/");
            // Without its own port, a third fails and says which setting to change.
            ProcessBuilder clash =
                    WorkerProcess.packagedJar(dir, List.of("-Xmx512m"), "run")
                            .redirectErrorStream(true);
            clash.environment().putAll(environment);
            clash.environment().remove("LAMA_MANAGEMENT_PORT");
            Process third = clash.start();
            CompletableFuture<String> thirdLines =
                    WorkerProcess.drain(third, "management port", new CompletableFuture<>());
            boolean thirdExited = third.waitFor(2, TimeUnit.MINUTES);
            if (!thirdExited) {
                third.destroyForcibly();
            }
            String thirdOutput = thirdLines.get(1, TimeUnit.MINUTES);
            assertThat(thirdExited).as(thirdOutput).isTrue();
            assertThat(third.exitValue()).as(thirdOutput).isEqualTo(1);
            assertThat(thirdOutput)
                    .contains("management port 8081")
                    .contains("management.port (LAMA_MANAGEMENT_PORT)");

            Path in = Corpus.copyTo(dir.resolve("in"), Corpus.PICTURES);
            Path out = dir.resolve("out");
            StringWriter stdout = new StringWriter();
            StringWriter stderr = new StringWriter();
            CommandLine cli = Main.commandLine();
            cli.setOut(new PrintWriter(stdout, true));
            cli.setErr(new PrintWriter(stderr, true));
            int exit =
                    cli.execute(
                            submit(
                                    servers,
                                    "--dir",
                                    in.toString(),
                                    "--out-dir",
                                    out.toString(),
                                    "--timeout",
                                    "400s"));
            assertThat(exit)
                    .as(
                            "submit exit code; stderr: "
                                    + stderr
                                    + "\nworker log:\n"
                                    + String.join("\n", log))
                    .isZero();
            List<String> lines = stdout.toString().lines().filter(l -> !l.isBlank()).toList();
            assertThat(lines).hasSize(Corpus.PICTURES.size());
            for (String line : lines) {
                InpaintResult result =
                        JsonCodec.decodeResult(line.getBytes(StandardCharsets.UTF_8));
                assertThat(result.status()).isEqualTo(JobStatus.SUCCEEDED);
            }
            for (String picture : Corpus.PICTURES) {
                // Each output is named after the format it has: the input's (format=auto).
                String stem = picture.substring(0, picture.lastIndexOf('.'));
                if (picture.endsWith(".jpg")) {
                    byte[] jpeg = Files.readAllBytes(out.resolve(stem + ".jpg"));
                    assertThat(jpeg).startsWith((byte) 0xff, (byte) 0xd8);
                    Corpus.assertInpaintedLossy(picture, jpeg, 2.5);
                } else {
                    Corpus.assertInpainted(picture, Files.readAllBytes(out.resolve(stem + ".png")));
                }
            }
            // The embedded S3 keeps its objects on disk under ./.lama-local.
            assertThat(dir.resolve(".lama-local")).isDirectory();

            // A job that fails (a text file named .png) exits 1 and still prints its result.
            Path text = Files.writeString(dir.resolve("notes.png"), "not a picture");
            StringWriter failedOut = new StringWriter();
            CommandLine failing = Main.commandLine();
            failing.setOut(new PrintWriter(failedOut, true));
            failing.setErr(new PrintWriter(new StringWriter(), true));
            int failedExit =
                    failing.execute(
                            submit(
                                    servers,
                                    "--image",
                                    text.toString(),
                                    "--mask",
                                    in.resolve("coffee.mask.png").toString(),
                                    "--out",
                                    dir.resolve("notes.out.png").toString(),
                                    "--job-id",
                                    "cli-failing-job"));
            assertThat(failedExit).isEqualTo(1);
            InpaintResult failed =
                    JsonCodec.decodeResult(
                            failedOut.toString().trim().getBytes(StandardCharsets.UTF_8));
            assertThat(failed.jobId()).isEqualTo("cli-failing-job");
            assertThat(failed.error().code()).isEqualTo("UNSUPPORTED_IMAGE_FORMAT");

            // Usage errors exit 2; so does storage that cannot be reached.
            assertThat(Main.commandLine().execute("submit", "--dir", in.toString())).isEqualTo(2);
            CommandLine unreachable = Main.commandLine();
            StringWriter unreachableErr = new StringWriter();
            unreachable.setErr(new PrintWriter(unreachableErr, true));
            int unreachableExit =
                    unreachable.execute(
                            "submit",
                            "--kafka",
                            servers.group(1),
                            "--s3",
                            "http://127.0.0.1:1",
                            "--bucket",
                            servers.group(3),
                            "--access-key",
                            servers.group(4),
                            "--secret-key",
                            servers.group(5),
                            "--dir",
                            in.toString(),
                            "--out-dir",
                            out.toString());
            assertThat(unreachableExit).isEqualTo(2);
            assertThat(unreachableErr.toString())
                    .contains("Connection error")
                    .doesNotContain(servers.group(5));
        } finally {
            if (secondWorker != null) {
                secondWorker.toHandle().destroy();
                if (!secondWorker.waitFor(90, TimeUnit.SECONDS)) {
                    secondWorker.destroyForcibly();
                }
            }
            // SIGTERM. Process.destroy() would also close our end of the pipe and lose the last
            // lines.
            worker.toHandle().destroy();
            boolean exited = worker.waitFor(90, TimeUnit.SECONDS);
            if (!exited) {
                worker.destroyForcibly();
            }
            assertThat(exited).as("worker stops on SIGTERM").isTrue();
            reader.join(TimeUnit.SECONDS.toMillis(10)); // the last lines may still be in the pipe
            assertThat(log).anyMatch(l -> l.contains("Stopping"));
        }
    }
}
