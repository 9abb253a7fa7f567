package org.lamaworker.worker.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.worker.inference.generate.ReferenceFillModel;

class CalibrationTest {
    @TempDir Path dir;

    @Test
    void measuresTwoRunSizesAndIsReadBackForThatModelOnly() throws Exception {
        Path file = dir.resolve("ref256.onnx");
        Files.write(file, ReferenceFillModel.build(256));
        try (InpaintModel model = InpaintModel.load(file, 1)) {
            Calibration calibration = Calibration.measure(model);
            assertThat(calibration.modelId()).isEqualTo(model.id());
            assertThat(calibration.device()).isEqualTo("cpu");
            assertThat(calibration.runs()).hasSize(2);
            assertThat(calibration.runs().get(1).batch()).isEqualTo(2);
            // The peaks themselves depend on what the allocator had free already, so for a
            // model this small only their consistency is checked; BENCHMARKS.md has real ones.
            assertThat(calibration.runs())
                    .allSatisfy(run -> assertThat(run.peakBytes()).isNotNegative());
            assertThat(calibration.modelBytesPerTensorPixel()).isNotNegative();
            assertThat(calibration.modelFixedBytes()).isNotNegative();
            calibration.write(Calibration.fileFor(file));
            assertThat(Calibration.costModelFor(file, model.id(), "cpu"))
                    .isEqualTo(calibration.costModel());
            assertThat(Calibration.costModelFor(file, "another@000000000000", "cpu"))
                    .isEqualTo(CostModel.uncalibrated());
            // Measured on the CPU, not used for a GPU's memory.
            assertThat(Calibration.costModelFor(file, model.id(), "cuda:0"))
                    .isEqualTo(CostModel.uncalibrated());
        }
        assertThat(Calibration.costModelFor(null, "reference@x", "cpu"))
                .isEqualTo(CostModel.referenceFill());
    }

    @Test
    void runsThatGrewNoMemoryWriteNoCalibration() throws Exception {
        Path file = dir.resolve("ref256.onnx");
        Files.write(file, ReferenceFillModel.build(256));
        // An arena that already held everything: the runs cost "nothing", which would
        // under-reserve every job, so calibration refuses.
        MemoryProbe flat =
                new MemoryProbe() {
                    @Override
                    public long start() {
                        return 5000L << 20;
                    }

                    @Override
                    public long peak() {
                        return 5000L << 20;
                    }
                };
        try (InpaintModel model = InpaintModel.load(file, 1)) {
            assertThatThrownBy(() -> Calibration.measure(model, flat))
                    .isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("less than 1 MiB");
        }
        assertThat(Calibration.fileFor(file)).doesNotExist();
    }

    @Test
    void aGpuCalibrationReadsTheProbeAndIsUsedOnGpusOnly() throws Exception {
        Path file = dir.resolve("ref256.onnx");
        Files.write(file, ReferenceFillModel.build(256));
        // A probe whose memory grows by 100 MiB per run, as a device arena would.
        MemoryProbe growing =
                new MemoryProbe() {
                    private long used = 1000L << 20;

                    @Override
                    public long start() {
                        return used;
                    }

                    @Override
                    public long peak() {
                        used += 100L << 20;
                        return used;
                    }
                };
        try (InpaintModel model = InpaintModel.load(file, 1)) {
            Calibration measured = Calibration.measure(model, growing);
            assertThat(measured.runs())
                    .extracting(Calibration.Run::peakBytes)
                    .containsExactly(100L << 20, 100L << 20);
            Calibration onGpu =
                    new Calibration(
                            model.id(),
                            "cuda:0",
                            measured.modelFixedBytes(),
                            measured.modelBytesPerTensorPixel(),
                            measured.runs());
            onGpu.write(Calibration.fileFor(file));
            assertThat(Calibration.costModelFor(file, model.id(), "cuda:1"))
                    .isEqualTo(onGpu.costModel());
            assertThat(Calibration.costModelFor(file, model.id(), "cpu"))
                    .isEqualTo(CostModel.uncalibrated());
        }
    }
}
