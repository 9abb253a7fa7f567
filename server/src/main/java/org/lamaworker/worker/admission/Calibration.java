package org.lamaworker.worker.admission;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.lamaworker.worker.inference.InferenceInput;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.inference.ModelShape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's measured memory cost, stored beside the model as {@code MODEL.calibration.json} by
 * {@code model calibrate} and read by the worker to size its admission. On the CPU the measure is
 * the process's peak resident memory during one run (Linux: the peak is reset through {@code
 * /proc/self/clear_refs} before each run); on a GPU, the device memory the process holds, read
 * through {@code nvidia-smi} (see {@link MemoryProbe}). A calibration is used only on the kind of
 * device it was measured on.
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

    /** Files written before the device was recorded were all measured on the CPU. */
    public Calibration {
        device = device == null ? "cpu" : device;
        runs = runs == null ? List.of() : List.copyOf(runs);
    }

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One measured run.
     *
     * @param batch inputs in the run
     * @param width tensor width
     * @param height tensor height
     * @param peakBytes peak memory during the run above the memory in use before it
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
        return measure(model, MemoryProbe.forModel(model));
    }

    /** Measures a model with the given probe (tests give one over a stand-in nvidia-smi). */
    static Calibration measure(InpaintModel model, MemoryProbe probe) throws IOException {
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
            long before = probe.start();
            try {
                model.run(inputs);
            } catch (RuntimeException e) {
                probe.peak(); // closes the window (and a GPU probe's sampler)
                throw e;
            }
            runs.add(new Run(s[0], s[1], s[2], Math.max(0, probe.peak() - before)));
        }
        Run small = runs.get(0);
        Run large = runs.get(1);
        if (large.peakBytes() < (1L << 20)) {
            // An allocator that keeps what it grew to (a CUDA arena, or the CPU arena) already
            // held enough from loading and warm-up: a calibration from these runs would say the
            // model costs nothing and under-reserve every job.
            throw new IOException(
                    "the measured runs grew memory by less than 1 MiB (the allocator kept what"
                            + " loading and warm-up took), so no calibration is written; the"
                            + " worker keeps its conservative default");
        }
        double slope =
                large.tensorPixels() == small.tensorPixels()
                        ? (double) large.peakBytes() / large.tensorPixels()
                        : Math.max(
                                0,
                                (double) (large.peakBytes() - small.peakBytes())
                                        / (large.tensorPixels() - small.tensorPixels()));
        long fixed = Math.max(0, (long) (small.peakBytes() - slope * small.tensorPixels()));
        return new Calibration(model.id(), model.device(), fixed, slope, runs);
    }

    /** Writes the calibration as JSON. */
    public void write(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    /**
     * The cost model for a model file: its calibration when one was measured on this model and on
     * the same kind of device (CPU or GPU), otherwise the conservative default; for the built-in
     * reference model ({@code null} file), its measured figure.
     *
     * @param device where the model runs: {@code cpu}, {@code cuda:N} or {@code tensorrt:N}
     */
    public static CostModel costModelFor(Path model, String modelId, String device) {
        if (model == null) {
            return CostModel.referenceFill(); // the built-in model, measured once
        }
        Path file = fileFor(model);
        if (Files.isRegularFile(file)) {
            try {
                Calibration calibration = JSON.readValue(file.toFile(), Calibration.class);
                boolean sameKind = calibration.device().equals("cpu") == device.equals("cpu");
                if (!calibration.modelId().equals(modelId)) {
                    LOG.warn(
                            "{} was measured on {}, not {}: using the default cost model",
                            file,
                            calibration.modelId(),
                            modelId);
                } else if (!sameKind) {
                    LOG.warn(
                            "{} was measured on {}, and the model runs on {}: using the default"
                                    + " cost model (run model calibrate with inference.device={})",
                            file,
                            calibration.device(),
                            device,
                            device);
                } else {
                    LOG.info("Model {}: memory cost from {}", modelId, file);
                    return calibration.costModel();
                }
            } catch (IOException e) {
                LOG.warn("Cannot read {}: {}; using the default cost model", file, e.getMessage());
            }
        }
        LOG.info(
                "Model {}: not calibrated (model calibrate), using the default cost model",
                modelId);
        return CostModel.uncalibrated();
    }
}
