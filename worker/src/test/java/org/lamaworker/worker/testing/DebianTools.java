package org.lamaworker.worker.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs the independent tools the fidelity tests check outputs with (libwebp's {@code dwebp},
 * libjpeg-turbo's {@code djpeg}, ExifTool, ImageMagick), installing the Debian package of a missing
 * one when the tests run as root, as CI does on a fresh machine. Elsewhere a missing tool fails the
 * test with the package to install: a check that cannot run is not a pass.
 */
public final class DebianTools {
    private static final Set<String> INSTALLED = new HashSet<>();

    private DebianTools() {}

    /** The output of a finished command. */
    public record Output(int exitCode, byte[] stdout, String stderr) {}

    /**
     * Runs a tool, after making sure it is there.
     *
     * @param debianPackage the package that provides {@code command[0]}
     */
    public static Output run(String debianPackage, String... command) {
        require(command[0], debianPackage);
        try {
            Path out = Files.createTempFile("tool", ".out");
            Path err = Files.createTempFile("tool", ".err");
            try {
                // To files, not pipes: a tool that hangs cannot hold the test past the timeout.
                Process process =
                        new ProcessBuilder(command)
                                .redirectOutput(out.toFile())
                                .redirectError(err.toFile())
                                .start();
                process.getOutputStream().close();
                if (!process.waitFor(2, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish");
                }
                return new Output(
                        process.exitValue(),
                        Files.readAllBytes(out),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command[0] + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Runs a tool and returns what it wrote, failing when it fails. */
    public static byte[] stdout(String debianPackage, String... command) {
        Output output = run(debianPackage, command);
        if (output.exitCode() != 0) {
            throw new AssertionError(
                    String.join(" ", command)
                            + " exited with "
                            + output.exitCode()
                            + ": "
                            + output.stderr());
        }
        return output.stdout();
    }

    /** Makes sure a command exists, installing its package when allowed. */
    public static void require(String command, String debianPackage) {
        require(command, debianPackage, "the fidelity tests check outputs with it");
    }

    /**
     * Makes sure a command exists, installing its package when allowed.
     *
     * @param usedFor what needs it, for the message when it cannot be had
     */
    public static synchronized void require(String command, String debianPackage, String usedFor) {
        if (INSTALLED.contains(command) || onPath(command)) {
            INSTALLED.add(command);
            return;
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root && onPath("apt-get")) {
            install(debianPackage);
        }
        if (!onPath(command)) {
            throw new AssertionError(
                    command
                            + " is missing: install the Debian package "
                            + debianPackage
                            + " (apt-get install "
                            + debianPackage
                            + "); "
                            + usedFor);
        }
        INSTALLED.add(command);
    }

    private static void install(String debianPackage) {
        List<List<String>> steps = new ArrayList<>();
        steps.add(List.of("apt-get", "install", "-y", "-q", debianPackage));
        steps.add(List.of("apt-get", "update", "-q"));
        steps.add(List.of("apt-get", "install", "-y", "-q", debianPackage));
        for (List<String> step : steps) {
            try {
                ProcessBuilder builder =
                        new ProcessBuilder(step)
                                .redirectErrorStream(true)
                                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
                builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
                Process process = builder.start();
                if (process.waitFor(10, TimeUnit.MINUTES)
                        && process.exitValue() == 0
                        && step.get(1).equals("install")) {
                    return;
                }
            } catch (IOException e) {
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
