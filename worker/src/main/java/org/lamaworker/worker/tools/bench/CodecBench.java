package org.lamaworker.worker.tools.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.worker.image.ColourProfile;
import org.lamaworker.worker.image.DecodedImage;
import org.lamaworker.worker.image.ImageCodec;
import org.lamaworker.worker.image.ImageEncoder;
import org.lamaworker.worker.image.OutputSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench codecs}: times decoding and encoding alone, per picture, in milliseconds per
 * megapixel. The end-to-end bench folds the codecs into its decode and encode stages, with Kafka,
 * S3 and the model around them; changes to the codecs themselves (colour management, 16-bit, WebP
 * output) need their own before-and-after figures, on the same files, without the rest.
 *
 * <p>Only {@link #decode} and {@link #encode} call the codec, so a change of its API is an edit of
 * those two methods; the timing, the medians and the table do not depend on it.
 */
@Command(
        name = "codecs",
        mixinStandardHelpOptions = true,
        description =
                "Time the picture codecs alone: decode each picture (with the sRGB view the model"
                        + " reads of a picture with a colour profile), then encode it as PNG, JPEG"
                        + " (quality "
                        + CodecBench.JPEG_QUALITY
                        + ", the input's subsampling) and WebP (lossless for a lossless input),"
                        + " with its profile and metadata; medians in ms per megapixel.")
public final class CodecBench implements Callable<Integer> {
    /** JPEG quality of the timed JPEG encoding. */
    static final int JPEG_QUALITY = 92;

    /** The output formats timed, in the order of the table's columns. */
    private static final List<String> OUTPUTS = List.of("png", "jpeg", "webp");

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--pictures",
            required = true,
            paramLabel = "DIR",
            description = "Every file in DIR whose name does not end in .mask.png.")
    Path dir;

    @Option(
            names = "--repeat",
            defaultValue = "7",
            paramLabel = "N",
            description =
                    "Timed runs of each operation; the median counts. Default: ${DEFAULT-VALUE}.")
    int repeat;

    @Option(
            names = "--warmup",
            defaultValue = "2",
            paramLabel = "N",
            description =
                    "Untimed runs of each operation before its timed ones. Default: ${DEFAULT-VALUE}.")
    int warmup;

    /** Keeps the results alive, so that the JIT cannot drop a call whose result goes unused. */
    private long sink;

    @Override
    public Integer call() throws Exception {
        if (repeat < 1 || warmup < 0) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--repeat must be at least 1 and --warmup at least 0");
        }
        List<Path> files = pictures();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(
                Locale.ROOT,
                "lama-worker bench codecs: Java %s (%s), %d processors, %d pictures, warmup %d,"
                        + " repeat %d, medians%n",
                Runtime.version(),
                System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors(),
                files.size(),
                warmup,
                repeat);
        out.println();
        List<List<String>> rows = new ArrayList<>();
        rows.add(
                List.of(
                        "picture",
                        "format",
                        "size",
                        "megapixels",
                        "decode ms/MP",
                        "png encode ms/MP",
                        "jpeg encode ms/MP",
                        "webp encode ms/MP"));
        Set<String> notes = new LinkedHashSet<>();
        for (Path file : files) {
            rows.add(measure(file, notes));
        }
        printTable(out, rows);
        if (!notes.isEmpty()) {
            out.println();
            notes.forEach(note -> out.println("- " + note));
        }
        out.flush();
        return 0;
    }

    /** One row of the table: the picture's name, format, size, and the medians. */
    private List<String> measure(Path file, Set<String> notes) throws IOException {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String format = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        byte[] bytes = Files.readAllBytes(file);
        List<String> row = new ArrayList<>(List.of(name, format));
        DecodedImage[] decoded = new DecodedImage[1];
        double decodeMs =
                medianMs(
                        () -> {
                            decoded[0] = decode(bytes);
                            sink += decoded[0].picture().pixels();
                        },
                        name + ": decode",
                        notes);
        DecodedImage picture = decoded[0];
        if (picture == null) {
            row.addAll(List.of("-", "-", "-"));
            OUTPUTS.forEach(output -> row.add("-"));
            return row;
        }
        double megapixels = picture.picture().pixels() / 1e6;
        row.add(picture.picture().width() + "x" + picture.picture().height());
        row.add(String.format(Locale.ROOT, "%.1f", megapixels));
        row.add(perMegapixel(decodeMs, megapixels));
        for (String output : OUTPUTS) {
            double encodeMs =
                    medianMs(
                            () -> sink += encode(picture, output).length,
                            output + " encode",
                            notes);
            row.add(perMegapixel(encodeMs, megapixels));
        }
        return row;
    }

    /**
     * The codec's decoding, as the worker calls it for an uploaded picture, with no pixel limit,
     * and the sRGB view the model reads when the picture has a colour profile.
     */
    private DecodedImage decode(byte[] bytes) {
        DecodedImage decoded = ImageCodec.decodeImage(bytes, "image", Long.MAX_VALUE);
        ColourProfile profile = decoded.info().profile();
        if (profile != null && profile.converts()) {
            sink += profile.toSrgb(decoded.picture()).pixels();
        }
        return decoded;
    }

    /**
     * The codec's encoding in {@code format} as a job asking for it gets it: JPEG at {@link
     * #JPEG_QUALITY} with the input's subsampling, WebP lossless for a lossless input and at the
     * input's quality otherwise, the profile and metadata written back.
     */
    private static byte[] encode(DecodedImage decoded, String format) {
        Integer quality = format.equals("jpeg") ? JPEG_QUALITY : null;
        JobOptions options = new JobOptions(null, null, null, null, null, format, quality, false);
        OutputSettings settings =
                OutputSettings.choose(decoded.info(), options, "auto", JPEG_QUALITY, false);
        return ImageEncoder.encode(decoded.picture(), settings);
    }

    /**
     * Runs {@code operation} {@code warmup} times, then {@code repeat} times timed, and returns the
     * median in milliseconds; {@code NaN} when it throws, after adding why to {@code notes}.
     */
    private double medianMs(Runnable operation, String what, Set<String> notes) {
        double[] ms = new double[repeat];
        try {
            for (int i = 0; i < warmup; i++) {
                operation.run();
            }
            for (int i = 0; i < repeat; i++) {
                long start = System.nanoTime();
                operation.run();
                ms[i] = (System.nanoTime() - start) / 1e6;
            }
        } catch (RuntimeException e) {
            notes.add(what + " failed: " + e.getMessage());
            return Double.NaN;
        }
        Arrays.sort(ms);
        return repeat % 2 == 1 ? ms[repeat / 2] : (ms[repeat / 2 - 1] + ms[repeat / 2]) / 2;
    }

    /** {@code ms / megapixels} with one decimal, or {@code -} when the operation failed. */
    private static String perMegapixel(double ms, double megapixels) {
        return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.1f", ms / megapixels);
    }

    /**
     * Prints {@code rows} (the first is the header) as a Markdown table whose columns line up in
     * plain text too: the first two columns left-aligned, the figures right-aligned.
     */
    private static void printTable(PrintWriter out, List<List<String>> rows) {
        int columns = rows.get(0).size();
        int[] widths = new int[columns];
        for (List<String> row : rows) {
            for (int c = 0; c < columns; c++) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        List<String> rule = new ArrayList<>();
        for (int c = 0; c < columns; c++) {
            // Markdown needs three dashes at least; the colon right-aligns a figure column.
            int width = Math.max(widths[c], 3);
            widths[c] = width;
            rule.add(c < 2 ? "-".repeat(width) : "-".repeat(width - 1) + ":");
        }
        for (int r = 0; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            StringBuilder line = new StringBuilder("|");
            for (int c = 0; c < columns; c++) {
                String cell = row.get(c);
                String pad = " ".repeat(widths[c] - cell.length());
                line.append(' ').append(c < 2 ? cell + pad : pad + cell).append(" |");
            }
            out.println(line);
            if (r == 0) {
                out.println("| " + String.join(" | ", rule) + " |");
            }
        }
    }

    /**
     * The files of {@code --pictures} but masks, by name; a usage error where there is no directory
     * or no picture.
     */
    private List<Path> pictures() throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--pictures " + dir + " is not a directory");
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files =
                    list.filter(Files::isRegularFile)
                            .filter(f -> !f.getFileName().toString().endsWith(".mask.png"))
                            .sorted()
                            .toList();
        }
        if (files.isEmpty()) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "no picture in " + dir + " (masks, *.mask.png, are skipped)");
        }
        return files;
    }
}
