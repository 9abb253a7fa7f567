package org.lamaworker.worker.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.Picture;

class InpainterTest {
    private static Picture noise(int w, int h, boolean alpha) {
        int[] argb = new int[w * h];
        long seed = 42;
        for (int i = 0; i < argb.length; i++) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            int rgb = (int) (seed >>> 40) & 0xffffff;
            argb[i] = (alpha ? (i % 256) << 24 : 0xff000000) | rgb;
        }
        return new Picture(w, h, argb, alpha);
    }

    private static Mask box(int w, int h, int x0, int y0, int x1, int y1) {
        boolean[] hole = new boolean[w * h];
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                hole[y * w + x] = true;
            }
        }
        return new Mask(w, h, hole);
    }

    @Test
    void dynamicModelGetsThePictureSizePaddedToItsMultiple() {
        Picture picture = noise(451, 300, false);
        InferenceInput input =
                Inpainter.prepare(
                        picture, box(451, 300, 10, 10, 20, 20), new ModelShape(0, 0, 8), 1 << 22);
        assertThat(input.width()).isEqualTo(451);
        assertThat(input.height()).isEqualTo(300);
        assertThat(input.tensorWidth()).isEqualTo(456);
        assertThat(input.tensorHeight()).isEqualTo(304);
        // At full size the tensor holds the pixels themselves.
        int p = picture.argb()[5 * 451 + 7];
        assertThat(input.image()[5 * 456 + 7] * 255f)
                .isCloseTo((p >>> 16) & 0xff, org.assertj.core.data.Offset.offset(1e-3f));
        // The mask is exact at full size, and padding is known.
        assertThat(input.mask()[15 * 456 + 15]).isEqualTo(1f);
        assertThat(input.mask()[9 * 456 + 15]).isEqualTo(0f);
        assertThat(input.mask()[303 * 456 + 455]).isEqualTo(0f);
    }

    @Test
    void largePicturesAreScaledDownToTheLimitAndMaskIsConservative() {
        Picture picture = noise(2000, 1000, false);
        Mask mask = box(2000, 1000, 1001, 501, 1002, 502); // a single pixel
        InferenceInput input = Inpainter.prepare(picture, mask, new ModelShape(0, 0, 8), 500_000);
        assertThat((long) input.width() * input.height()).isLessThanOrEqualTo(500_000);
        assertThat(input.width()).isEqualTo(1000);
        // One hole pixel still marks the coarse pixel that covers it.
        float holes = 0;
        for (float v : input.mask()) {
            holes += v;
        }
        assertThat(holes).isGreaterThanOrEqualTo(1f);
    }

    @Test
    void fixedModelGetsItsSize() {
        InferenceInput input =
                Inpainter.prepare(
                        noise(600, 400, false),
                        box(600, 400, 0, 0, 5, 5),
                        new ModelShape(512, 512, 1),
                        1 << 22);
        assertThat(input.tensorWidth()).isEqualTo(512);
        assertThat(input.tensorHeight()).isEqualTo(512);
        assertThat(input.image()).hasSize(3 * 512 * 512);
    }

    @Test
    void compositeChangesHolePixelsOnlyAndKeepsAlpha() {
        Picture picture = noise(301, 207, true);
        Mask mask = box(301, 207, 50, 60, 120, 130);
        for (ModelShape shape :
                new ModelShape[] {new ModelShape(0, 0, 8), new ModelShape(512, 512, 1)}) {
            InferenceInput input = Inpainter.prepare(picture, mask, shape, 20_000);
            float[] output = new float[input.image().length];
            Arrays.fill(output, 0, output.length / 3, 200f); // red plane
            Picture result = Inpainter.composite(picture, mask, input, output);
            for (int i = 0; i < picture.pixels(); i++) {
                if (mask.hole()[i]) {
                    assertThat(result.argb()[i] & 0xffffff).isEqualTo(200 << 16);
                    assertThat(result.argb()[i] >>> 24).isEqualTo(picture.argb()[i] >>> 24);
                } else {
                    assertThat(result.argb()[i]).isEqualTo(picture.argb()[i]);
                }
            }
        }
    }
}
