package org.lamaworker.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.Picture;
import org.lamaworker.worker.inference.InferenceInput;

class InpainterTest {
    static Picture noise(int w, int h, boolean alpha) {
        int[] argb = new int[w * h];
        long seed = 42;
        for (int i = 0; i < argb.length; i++) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            int rgb = (int) (seed >>> 40) & 0xffffff;
            argb[i] = (alpha ? (i % 256) << 24 : 0xff000000) | rgb;
        }
        return new Picture(w, h, argb, alpha);
    }

    static Mask box(int w, int h, int x0, int y0, int x1, int y1) {
        boolean[] hole = new boolean[w * h];
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                hole[y * w + x] = true;
            }
        }
        return new Mask(w, h, hole);
    }

    @Test
    void unscaledTileHoldsThePixelsThemselvesAndPaddingIsKnown() {
        Picture picture = noise(451, 300, false);
        Mask mask = box(451, 300, 10, 10, 20, 20);
        Rect region = new Rect(5, 3, 100, 50);
        Tile tile = new Tile(region, region, 100, 50, 104, 56);
        InferenceInput input = Inpainter.prepare(picture, mask, tile);
        int p = picture.argb()[(3 + 4) * 451 + 5 + 7];
        assertThat(input.image()[4 * 104 + 7] * 255f).isCloseTo((p >>> 16) & 0xff, within(1e-3f));
        assertThat(input.mask()[(15 - 3) * 104 + (15 - 5)]).isEqualTo(1f);
        assertThat(input.mask()[(9 - 3) * 104 + (15 - 5)]).isEqualTo(0f);
        assertThat(input.mask()[55 * 104 + 103]).isEqualTo(0f);
    }

    @Test
    void shrinkingKeepsEveryHoleVisible() {
        Picture picture = noise(2000, 1000, false);
        Mask mask = box(2000, 1000, 1001, 501, 1002, 502); // a single pixel
        Rect whole = new Rect(0, 0, 2000, 1000);
        InferenceInput input =
                Inpainter.prepare(picture, mask, new Tile(whole, whole, 500, 250, 504, 256));
        float holes = 0;
        for (float v : input.mask()) {
            holes += v;
        }
        assertThat(holes).isGreaterThanOrEqualTo(1f);
    }

    @Test
    void seamWeightsFadeOutsideTheHole() {
        Mask mask = box(20, 1, 5, 0, 8, 1);
        float[] weights = Inpainter.blendWeights(mask, 2);
        assertThat(weights[5]).isEqualTo(1f);
        assertThat(weights[4]).isCloseTo(2f / 3, within(1e-6f));
        assertThat(weights[3]).isCloseTo(1f / 3, within(1e-6f));
        assertThat(weights[2]).isZero();
        assertThat(weights[10]).isZero();
    }

    @Test
    void compositeChangesOnlyWeightedPixelsOfTheCoresAndKeepsAlpha() {
        Picture picture = noise(301, 207, true);
        Mask mask = box(301, 207, 50, 60, 120, 130);
        Rect region = new Rect(20, 30, 150, 140);
        Rect core = new Rect(40, 50, 90, 90);
        Tile tile = new Tile(region, core, 75, 70, 80, 72);
        float[] output = new float[3 * 80 * 72];
        Arrays.fill(output, 0, 80 * 72, 200f); // red plane; green and blue 0
        float[] weights = Inpainter.blendWeights(mask, 2);
        Picture result = Inpainter.composite(picture, weights, List.of(tile), List.of(output));
        for (int i = 0; i < picture.pixels(); i++) {
            int x = i % 301;
            int y = i / 301;
            if (mask.hole()[i]) {
                assertThat(result.argb()[i] & 0xffffff).isEqualTo(200 << 16);
                assertThat(result.argb()[i] >>> 24).isEqualTo(picture.argb()[i] >>> 24);
            } else if (weights[i] == 0f || !core.contains(x, y)) {
                assertThat(result.argb()[i]).isEqualTo(picture.argb()[i]);
            } else {
                assertThat(result.argb()[i]).isNotEqualTo(picture.argb()[i]);
            }
        }
    }
}
