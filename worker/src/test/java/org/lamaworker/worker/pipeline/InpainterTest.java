package org.lamaworker.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.image.ColourProfile;
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
        Picture result =
                Inpainter.composite(picture, weights, List.of(tile), List.of(output), null);
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

    @Test
    void a16BitPictureKeepsItsSamplesOutsideTheFillAndTakesTheFillAt16Bits() {
        Picture eight = noise(120, 90, false);
        short[] deep = new short[4 * eight.pixels()];
        java.util.Random random = new java.util.Random(5);
        for (int i = 0; i < deep.length; i++) {
            deep[i] = (short) (i % 4 == 3 ? 0xffff : random.nextInt(65536));
        }
        int[] argb = new int[eight.pixels()];
        for (int i = 0; i < argb.length; i++) {
            argb[i] =
                    0xff000000
                            | Picture.to8(deep[4 * i] & 0xffff) << 16
                            | Picture.to8(deep[4 * i + 1] & 0xffff) << 8
                            | Picture.to8(deep[4 * i + 2] & 0xffff);
        }
        Picture picture = new Picture(120, 90, argb, false, deep);
        Mask mask = box(120, 90, 40, 30, 70, 60);
        Tile tile = new Tile(new Rect(0, 0, 120, 90), new Rect(0, 0, 120, 90), 120, 90, 120, 90);
        float[] output = new float[3 * 120 * 90];
        Arrays.fill(output, 0, 120 * 90, 100.5f); // red plane
        float[] weights = Inpainter.blendWeights(mask, 2);
        Picture result =
                Inpainter.composite(picture, weights, List.of(tile), List.of(output), null);
        assertThat(result.deep()).isNotNull();
        for (int i = 0; i < picture.pixels(); i++) {
            if (weights[i] == 0f) {
                for (int c = 0; c < 4; c++) {
                    assertThat(result.deep()[4 * i + c]).isEqualTo(deep[4 * i + c]);
                }
                assertThat(result.argb()[i]).isEqualTo(argb[i]);
            } else if (mask.hole()[i]) {
                // 100.5 of 255 at 16 bits, which 8 bits could not hold.
                assertThat(result.deep()[4 * i] & 0xffff).isEqualTo(Math.round(100.5f * 257));
                assertThat(result.deep()[4 * i + 1]).isZero();
                assertThat(result.argb()[i] >>> 16 & 0xff).isEqualTo(101);
            }
        }
    }

    @Test
    void aFillIsConvertedIntoThePicturesProfileAndNothingElseIs() throws Exception {
        byte[] icc;
        try (var in = getClass().getResourceAsStream("/corpus/formats/DisplayP3.icc")) {
            icc = in.readAllBytes();
        }
        ColourProfile p3 = ColourProfile.of(icc);
        Picture picture = noise(64, 48, false);
        Mask mask = box(64, 48, 20, 10, 40, 30);
        Tile tile = new Tile(new Rect(0, 0, 64, 48), new Rect(0, 0, 64, 48), 64, 48, 64, 48);
        float[] output = new float[3 * 64 * 48];
        Arrays.fill(output, 0, 64 * 48, 255f); // pure sRGB red
        float[] weights = Inpainter.blendWeights(mask, 0);
        Picture result = Inpainter.composite(picture, weights, List.of(tile), List.of(output), p3);
        for (int i = 0; i < picture.pixels(); i++) {
            if (mask.hole()[i]) {
                int p = result.argb()[i];
                // sRGB red lies inside P3: less than full red there, with some green.
                assertThat(p >>> 16 & 0xff).isBetween(225, 240);
                assertThat(p >>> 8 & 0xff).isBetween(40, 70);
            } else {
                assertThat(result.argb()[i]).isEqualTo(picture.argb()[i]);
            }
        }
    }
}
