package org.lamaworker.worker.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.worker.config.ConfigException;
import org.lamaworker.worker.image.ImageCodec;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.Picture;
import org.lamaworker.worker.inference.generate.OnnxGraphBuilder;
import org.lamaworker.worker.inference.generate.ReferenceFillModel;
import org.lamaworker.worker.testing.Corpus;

/** Models given as files: the two LaMa layouts are accepted, anything else is refused. */
class InpaintModelTest {
    @TempDir Path dir;

    private Picture inpaint(InpaintModel model, Picture picture, Mask mask) {
        InferenceInput input = Inpainter.prepare(picture, mask, model.shape(), 1 << 22);
        return Inpainter.composite(picture, mask, input, model.run(input));
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
    void dynamicModelFileIsPaddedToMultiplesOfEight() throws IOException {
        Path file = dir.resolve("dynamic.onnx");
        Files.write(file, ReferenceFillModel.build());
        try (InpaintModel model = InpaintModel.load(file, 1)) {
            assertThat(model.shape().dynamic()).isTrue();
            assertThat(model.shape().multiple()).isEqualTo(8);
        }
    }

    @Test
    void refusesModelsWithAnotherContractSayingWhatItFound() throws IOException {
        OnnxGraphBuilder g = new OnnxGraphBuilder("one-input", 17);
        String input = g.input("input", 1, 4, "height", "width");
        g.output(g.node("Relu", List.of(input)), "output", 1, 4, "height", "width");
        Path file = dir.resolve("single-input.onnx");
        Files.write(file, g.toBytes());
        assertThatThrownBy(() -> InpaintModel.load(file, 1))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("single-input.onnx")
                .hasMessageContaining("input")
                .hasMessageContaining("supported: inputs image");
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
