package org.lamaworker.worker.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.inference.reference.ReferenceFillModel;

class CalibrationTest {
    @TempDir Path dir;

    /** A probe whose readings grow by the given MiB per measured run, in turn. */
    private static MemoryProbe growingBy(long... mibPerRun) {
        return new MemoryProbe() {
            private long used = 1000L << 20;
            private int run;

            @Override
            public long start() {
                return used;
            }

            @Override
            public long peak() {
                used += mibPerRun[run++] << 20;
                return used;
            }
        };
    }

    @Test
    void fitsALineThroughTwoRunSizesAndIsReadBackForThatModelOnly() throws Exception {
        Path file = dir.resolve("ref256.onnx");
        Files.write(file, ReferenceFillModel.build(256));
        try (InpaintModel model = InpaintModel.load(file, 1)) {
            // Batch 1 and batch 2 of 256x256: +40 MiB and +100 MiB.
            Calibration calibration = Calibration.measure(model, growingBy(40, 100));
            assertThat(calibration.modelId()).isEqualTo(model.id());
            assertThat(calibration.device()).isEqualTo("cpu");
            assertThat(calibration.runs())
                    .extracting(Calibration.Run::batch, Calibration.Run::peakBytes)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(1, 40L << 20),
                            org.assertj.core.groups.Tuple.tuple(2, 100L << 20));
            // 60 MiB more for 65,536 more input pixels: 960 bytes per pixel; 40 MiB at 65,536
            // pixels leaves nothing fixed.
            assertThat(calibration.modelBytesPerTensorPixel()).isEqualTo(960.0);
            assertThat(calibration.modelFixedBytes()).isZero();
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
    void theResidentMemoryProbeSeesAnAllocationWithinItsWindow() throws Exception {
        MemoryProbe probe = new MemoryProbe.ResidentMemory();
        long before = probe.start();
        // 64 MiB outside the Java heap, every page written: resident until freed.
        java.nio.ByteBuffer block = java.nio.ByteBuffer.allocateDirect(64 << 20);
        for (int i = 0; i < block.capacity(); i += 4096) {
            block.put(i, (byte) 1);
        }
        assertThat(probe.peak() - before).isGreaterThanOrEqualTo(60L << 20);
        assertThat(block.get(4096)).isEqualTo((byte) 1);
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
        MemoryProbe growing = growingBy(100, 100);
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
