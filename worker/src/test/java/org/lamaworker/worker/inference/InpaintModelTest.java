package org.lamaworker.worker.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.worker.config.ConfigException;
import org.lamaworker.worker.config.Device;
import org.lamaworker.worker.config.ModelContract;
import org.lamaworker.worker.config.Strategy;
import org.lamaworker.worker.failure.JobFailure;
import org.lamaworker.worker.image.ImageCodec;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.Picture;
import org.lamaworker.worker.inference.reference.OnnxGraphBuilder;
import org.lamaworker.worker.inference.reference.ReferenceFillModel;
import org.lamaworker.worker.pipeline.Inpainter;
import org.lamaworker.worker.pipeline.Tile;
import org.lamaworker.worker.pipeline.TilePlanner;
import org.lamaworker.worker.testing.Corpus;

/** Models given as files: the two LaMa layouts are accepted, anything else is refused. */
class InpaintModelTest {
    @TempDir Path dir;

    private Picture inpaint(InpaintModel model, Picture picture, Mask mask) {
        List<Tile> tiles =
                TilePlanner.plan(
                        mask,
                        Strategy.CROP,
                        model.info(),
                        new TilePlanner.Settings(1 << 22, 64, 16));
        List<float[]> outputs =
                model.run(tiles.stream().map(t -> Inpainter.prepare(picture, mask, t)).toList());
        return Inpainter.composite(picture, Inpainter.blendWeights(mask, 0), tiles, outputs, null);
    }

    @Test
    void fixedSizeModelFileRunsAnyPictureThroughItsSize() throws IOException {
        Path file = dir.resolve("fixed512.onnx");
        Files.write(file, ReferenceFillModel.build(512));
        try (InpaintModel model = InpaintModel.load(file, 1)) {
            assertThat(model.shape()).isEqualTo(new ModelShape(512, 512, 1));
            assertThat(model.id()).startsWith("fixed512.onnx@");
            Picture picture =
                    ImageCodec.decode(Corpus.bytes("coffee.png"), "image", Long.MAX_VALUE);
            Mask mask =
                    ImageCodec.binarize(
                            ImageCodec.decode(
                                    Corpus.bytes("coffee.mask.png"), "mask", Long.MAX_VALUE),
                            128);
            Picture result = inpaint(model, picture, mask);
            assertThat(result.width()).isEqualTo(600);
            assertThat(result.height()).isEqualTo(400);
            int changed = 0;
            for (int i = 0; i < picture.pixels(); i++) {
                if (!mask.hole()[i]) {
                    assertThat(result.argb()[i]).isEqualTo(picture.argb()[i]);
                } else if (result.argb()[i] != picture.argb()[i]) {
                    changed++;
                }
            }
            assertThat(changed).isGreaterThan(mask.holeCount() / 2);
        }
    }

    @Test
    void closingStopsRunsInProgressBeforeItFreesTheSession() throws Exception {
        InpaintModel model =
                InpaintModel.fromBytes(
                        org.lamaworker.worker.tools.generate.BigLamaModel.build(
                                ModelContract.A,
                                new org.lamaworker.worker.tools.generate.BigLamaModel.Size(
                                        512, 32, 6)),
                        "slow",
                        InpaintModel.Options.detect(null, 1));
        float[] image = new float[3 * 512 * 512];
        float[] mask = new float[512 * 512];
        mask[256 * 512 + 256] = 1f;
        InferenceInput input = new InferenceInput(image, mask, 512, 512, 512, 512);
        long started = System.nanoTime();
        model.run(input);
        long oneRunMillis = (System.nanoTime() - started) / 1_000_000;

        java.util.concurrent.atomic.AtomicReference<Throwable> runOutcome =
                new java.util.concurrent.atomic.AtomicReference<>();
        Thread runner =
                new Thread(
                        () -> {
                            try {
                                model.run(input);
                            } catch (RuntimeException e) {
                                runOutcome.set(e);
                            }
                        });
        runner.start();
        while (model.runsInProgress() == 0) {
            Thread.sleep(1);
        }
        long closeStarted = System.nanoTime();
        model.close();
        long closeMillis = (System.nanoTime() - closeStarted) / 1_000_000;
        // The run had left the session before close() freed it (freeing it under the run would
        // crash this JVM), and no run starts on a closed model.
        assertThat(model.runsInProgress()).isZero();
        runner.join(TimeUnit.SECONDS.toMillis(60));
        assertThat(runner.isAlive()).isFalse();
        System.out.printf(
                "one run %d ms; close took %d ms; the run ended with %s%n",
                oneRunMillis, closeMillis, runOutcome.get());
        assertThatThrownBy(() -> model.run(input))
                .isInstanceOf(JobFailure.class)
                .hasMessageContaining("closing");
    }

    @Test
    void warmUpRunsEveryBatchSizeOfAFixedModelOnce() {
        try (InpaintModel fixed =
                        InpaintModel.fromBytes(
                                ReferenceFillModel.build(64),
                                "fixed64",
                                InpaintModel.Options.detect(null, 1));
                InpaintModel dynamic =
                        InpaintModel.fromBytes(
                                ReferenceFillModel.build(),
                                "dynamic",
                                InpaintModel.Options.detect(null, 1))) {
            long before = fixed.sessionRuns();
            assertThat(fixed.warmUp(3)).isEqualTo(3);
            assertThat(fixed.sessionRuns() - before).isEqualTo(3);
            assertThat(dynamic.warmUp(3)).isEqualTo(1);
        }
    }

    @Test
    void dynamicModelFileIsPaddedToMultiplesOfEight() throws IOException {
        Path file = dir.resolve("dynamic.onnx");
        Files.write(file, ReferenceFillModel.build());
        try (InpaintModel model = InpaintModel.load(file, 1)) {
            assertThat(model.shape().dynamic()).isTrue();
            assertThat(model.shape().multiple()).isEqualTo(8);
        }
    }

    /** A one-input model that returns the masked picture: contract c, output 0..1. */
    private static byte[] singleInputCopy(Object size) {
        OnnxGraphBuilder g = new OnnxGraphBuilder("copy", 17);
        String input = g.input("input", 1, 4, size, size);
        String rgb =
                g.node(
                        "Slice",
                        List.of(
                                input,
                                g.longs(new long[] {0}, 1),
                                g.longs(new long[] {3}, 1),
                                g.longs(new long[] {1}, 1)));
        g.output(rgb, "output", 1, 3, size, size);
        return g.toBytes();
    }

    @Test
    void detectsTheSingleInputContractAndItsOutputRange() throws IOException {
        Path dynamic = dir.resolve("c-dynamic.onnx");
        Files.write(dynamic, singleInputCopy("side"));
        try (InpaintModel model = InpaintModel.load(dynamic, 1)) {
            assertThat(model.info())
                    .isEqualTo(new ModelInfo(ModelContract.C, new ModelShape(0, 0, 32), false, 1f));
            // The copy model returns the picture with the hole zeroed: scaled to 0..255 here.
            InferenceInput input =
                    new InferenceInput(
                            new float[] {0.5f, 0.5f, 0.5f, 0.5f, 1f, 1f, 1f, 1f, 0, 0, 0, 0},
                            new float[] {0, 1, 0, 0},
                            2,
                            2,
                            2,
                            2);
            float[] out = model.run(input);
            assertThat(out[0]).isEqualTo(127.5f);
            assertThat(out[1]).isZero();
            assertThat(out[4]).isEqualTo(255f);
        }
        Path fixed = dir.resolve("c-fixed.onnx");
        Files.write(fixed, singleInputCopy(512));
        try (InpaintModel model = InpaintModel.load(fixed, 1)) {
            assertThat(model.info().shape()).isEqualTo(new ModelShape(512, 512, 1));
        }
    }

    @Test
    void configurationOverridesDetection() throws IOException {
        Path file = dir.resolve("dynamic.onnx");
        Files.write(file, ReferenceFillModel.build());
        try (InpaintModel model =
                InpaintModel.load(
                        new InpaintModel.Options(file, 1, ModelContract.B, 1f, true, Device.CPU))) {
            assertThat(model.info().outputScale()).isEqualTo(1f);
        }
        assertThatThrownBy(
                        () ->
                                InpaintModel.load(
                                        new InpaintModel.Options(
                                                file, 1, ModelContract.C, null, true, Device.CPU)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cannot be contract c");
    }

    @Test
    void refusesModelsWithAnotherContractSayingWhatItFound() throws IOException {
        OnnxGraphBuilder g = new OnnxGraphBuilder("five-channels", 17);
        String input = g.input("pixels", 1, 5, "height", "width");
        g.output(g.node("Relu", List.of(input)), "output", 1, 5, "height", "width");
        Path file = dir.resolve("five-channels.onnx");
        Files.write(file, g.toBytes());
        assertThatThrownBy(() -> InpaintModel.load(file, 1))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("five-channels.onnx")
                .hasMessageContaining("pixels float[1, 5, -1, -1]")
                .hasMessageContaining("supported: (a)");
    }

    @Test
    void refusesMissingAndCorruptFiles() throws IOException {
        assertThatThrownBy(() -> InpaintModel.load(dir.resolve("nope.onnx"), 1))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cannot read model");
        Path junk = dir.resolve("junk.onnx");
        Files.writeString(junk, "not a model");
        assertThatThrownBy(() -> InpaintModel.load(junk, 1))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cannot load model junk.onnx");
    }
}
