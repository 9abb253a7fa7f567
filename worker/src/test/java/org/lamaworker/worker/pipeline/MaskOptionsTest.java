package org.lamaworker.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.failure.JobFailure;
import org.lamaworker.worker.image.ImageCodec;
import org.lamaworker.worker.image.ImageEncoder;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.Picture;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.inference.reference.ReferenceFillModel;
import org.lamaworker.worker.testing.Corpus;

/** The mask options of a job: threshold, growth, hole filling, size mismatch, empty masks. */
class MaskOptionsTest {
    private static final WorkerConfig CONFIG = ConfigLoader.load(null, Map.of(), Map.of());
    private static InpaintModel model;
    private static Inpainting work;

    @BeforeAll
    static void load() {
        model =
                InpaintModel.fromBytes(
                        ReferenceFillModel.build(),
                        "reference",
                        InpaintModel.Options.detect(null, 1));
        work = new Inpainting(model, CONFIG);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static JobOptions options(Integer dilate, Boolean fillHoles, Boolean resizeMask) {
        return new JobOptions(null, null, dilate, fillHoles, resizeMask, null, null);
    }

    private static Picture decode(byte[] png) {
        return ImageCodec.decode(png, "output", Long.MAX_VALUE);
    }

    @Test
    void emptyMaskReturnsThePictureUnchangedWithoutTiles() {
        byte[] empty = ImageEncoder.encodePng(new Picture(600, 400, new int[600 * 400], false));
        Inpainting.Decoded decoded =
                work.decode(Corpus.bytes("coffee.png"), empty, JobOptions.DEFAULTS);
        assertThat(decoded.tiles()).isEmpty();
        Picture out =
                decode(
                        work.inpaint(Corpus.bytes("coffee.png"), empty, JobOptions.DEFAULTS)
                                .bytes());
        assertThat(out.argb())
                .isEqualTo(
                        ImageCodec.decode(Corpus.bytes("coffee.png"), "image", Long.MAX_VALUE)
                                .argb());
    }

    @Test
    void maskOfAnotherSizeFailsUnlessResizeIsAsked() {
        assertThatThrownBy(
                        () ->
                                work.decode(
                                        Corpus.bytes("coffee.png"),
                                        Corpus.bytes("chelsea.mask.png"),
                                        JobOptions.DEFAULTS))
                .isInstanceOf(JobFailure.class)
                .satisfies(
                        e ->
                                assertThat(((JobFailure) e).code())
                                        .isEqualTo(ErrorCode.MASK_SIZE_MISMATCH));
        Inpainting.Decoded resized =
                work.decode(
                        Corpus.bytes("coffee.png"),
                        Corpus.bytes("chelsea.mask.png"),
                        options(null, null, true));
        assertThat(resized.mask().width()).isEqualTo(600);
        assertThat(resized.mask().height()).isEqualTo(400);
        assertThat(resized.tiles()).isNotEmpty();
    }

    @Test
    void dilationGrowsTheMaskByTheAskedPixels() {
        Mask plain =
                work.decode(
                                Corpus.bytes("coffee.png"),
                                Corpus.bytes("coffee.mask.png"),
                                options(0, false, null))
                        .mask();
        Mask grown =
                work.decode(
                                Corpus.bytes("coffee.png"),
                                Corpus.bytes("coffee.mask.png"),
                                options(6, false, null))
                        .mask();
        Mask byDefault =
                work.decode(
                                Corpus.bytes("coffee.png"),
                                Corpus.bytes("coffee.mask.png"),
                                JobOptions.DEFAULTS)
                        .mask();
        assertThat(grown.holeCount()).isGreaterThan(byDefault.holeCount());
        assertThat(byDefault.holeCount()).isGreaterThan(plain.holeCount());
        for (int i = 0; i < plain.hole().length; i++) {
            if (plain.hole()[i]) {
                assertThat(grown.hole()[i]).isTrue();
            }
        }
    }

    /**
     * brick.mask.png is a hollow ring: filled, its inside is inpainted too; unfilled, it is kept.
     */
    @Test
    void hollowMasksAreFilledByDefaultAndKeptWhenAsked() {
        byte[] brick = Corpus.bytes("brick.png");
        byte[] ring = Corpus.bytes("brick.mask.png");
        Mask original = ImageCodec.binarize(ImageCodec.decode(ring, "mask", Long.MAX_VALUE), 128);
        Mask filled = work.decode(brick, ring, JobOptions.DEFAULTS).mask();
        Mask kept = work.decode(brick, ring, options(0, false, null)).mask();
        int centre = 256 * 512 + 256;
        assertThat(original.hole()[centre])
                .as("the ring's centre is not part of the drawn mask")
                .isFalse();
        assertThat(filled.hole()[centre]).isTrue();
        assertThat(kept.hole()[centre]).isFalse();
        assertThat(kept.holeCount()).isEqualTo(original.holeCount());
        Picture input = ImageCodec.decode(brick, "image", Long.MAX_VALUE);
        Picture keptOut = decode(work.inpaint(brick, ring, options(0, false, null)).bytes());
        assertThat(keptOut.argb()[centre]).isEqualTo(input.argb()[centre]);
    }
}
