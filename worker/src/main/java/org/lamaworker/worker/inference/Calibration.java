package org.lamaworker.worker.inference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's measured memory cost, stored beside the model as {@code MODEL.calibration.json} by
 * {@code model calibrate} and read by the worker to size its admission. On CPU the measure is the
 * process's peak resident memory during one run (Linux: the peak is reset through {@code
 * /proc/self/clear_refs} before each run).
 *
 * @param modelId the model it was measured on (name and content hash)
 * @param device where it was measured
 * @param modelFixedBytes peak memory of a run, independent of the input size
 * @param modelBytesPerTensorPixel peak memory per input pixel of a run (batch x height x width)
 * @param runs the measurements the figures come from
 */
public record Calibration(
        String modelId,
        String device,
        long modelFixedBytes,
        double modelBytesPerTensorPixel,
        List<Run> runs) {
    private static final Logger LOG = LoggerFactory.getLogger(Calibration.class);
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One measured run.
     *
     * @param batch inputs in the run
     * @param width tensor width
     * @param height tensor height
     * @param peakBytes peak resident memory during the run above the resident memory before it
     */
    public record Run(int batch, int width, int height, long peakBytes) {
        long tensorPixels() {
            return (long) batch * width * height;
        }
    }

    /** Where the calibration of a model file lives. */
    public static Path fileFor(Path model) {
        return model.resolveSibling(model.getFileName() + ".calibration.json");
    }

    /** The cost model this calibration gives. */
    public CostModel costModel() {
        return new CostModel(
                modelFixedBytes, modelBytesPerTensorPixel, CostModel.HOST_BYTES_PER_PIXEL);
    }

    /**
     * Measures a model: two runs of different sizes (batch 1 and 2 at a fixed size, or 256x256 and
     * 512x512 for a dynamic one), and a straight line through their peaks.
     */
    public static Calibration measure(InpaintModel model) throws IOException {
        ModelShape shape = model.shape();
        List<int[]> shapes = new ArrayList<>();
        if (shape.dynamic()) {
            shapes.add(new int[] {1, 256, 256});
            shapes.add(new int[] {1, 512, 512});
        } else {
            shapes.add(new int[] {1, shape.fixedWidth(), shape.fixedHeight()});
            shapes.add(
                    new int[] {
                        model.info().batchAxis() ? 2 : 1, shape.fixedWidth(), shape.fixedHeight()
                    });
        }
        model.warmUp(1);
        List<Run> runs = new ArrayList<>();
        for (int[] s : shapes) {
            List<InferenceInput> inputs = new ArrayList<>();
            for (int b = 0; b < s[0]; b++) {
                float[] mask = new float[s[1] * s[2]];
                mask[mask.length / 2] = 1f;
                inputs.add(
                        new InferenceInput(
                                new float[3 * s[1] * s[2]], mask, s[1], s[2], s[1], s[2]));
            }
            System.gc();
            resetPeak();
            long before = statusBytes("VmRSS:");
            model.run(inputs);
            runs.add(new Run(s[0], s[1], s[2], Math.max(0, statusBytes("VmHWM:") - before)));
        }
        Run small = runs.get(0);
        Run large = runs.get(1);
        double slope =
                large.tensorPixels() == small.tensorPixels()
                        ? (double) large.peakBytes() / large.tensorPixels()
                        : Math.max(
                                0,
                                (double) (large.peakBytes() - small.peakBytes())
                                        / (large.tensorPixels() - small.tensorPixels()));
        long fixed = Math.max(0, (long) (small.peakBytes() - slope * small.tensorPixels()));
        return new Calibration(model.id(), "cpu", fixed, slope, runs);
    }

    /** Writes the calibration as JSON. */
    public void write(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    /**
     * The cost model for a model file: its calibration when one was measured on this model,
     * otherwise the conservative default; for the built-in reference model ({@code null} file), its
     * measured figure.
     */
    public static CostModel costModelFor(Path model, String modelId) {
        if (model == null) {
            return CostModel.referenceFill(); // the built-in model, measured once
        }
        Path file = fileFor(model);
        if (Files.isRegularFile(file)) {
            try {
                Calibration calibration = JSON.readValue(file.toFile(), Calibration.class);
                if (calibration.modelId().equals(modelId)) {
                    LOG.info("Model {}: memory cost from {}", modelId, file);
                    return calibration.costModel();
                }
                LOG.warn(
                        "{} was measured on {}, not {}: using the default cost model",
                        file,
                        calibration.modelId(),
                        modelId);
            } catch (IOException e) {
                LOG.warn("Cannot read {}: {}; using the default cost model", file, e.getMessage());
            }
        }
        LOG.info(
                "Model {}: not calibrated (model calibrate), using the default cost model",
                modelId);
        return CostModel.uncalibrated();
    }

    private static void resetPeak() throws IOException {
        // Writing 5 resets the process's peak resident set size (Linux 4.0 and later).
        Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    }

    private static long statusBytes(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
            }
        }
        throw new IOException(field + " not in /proc/self/status");
    }
}
