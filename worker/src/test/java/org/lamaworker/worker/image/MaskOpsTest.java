package org.lamaworker.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MaskOpsTest {
    private static Mask mask(int w, int h, int... holes) {
        boolean[] hole = new boolean[w * h];
        for (int i = 0; i < holes.length; i += 2) {
            hole[holes[i + 1] * w + holes[i]] = true;
        }
        return new Mask(w, h, hole);
    }

    @Test
    void dilatingOnePixelByTwoGivesTheThirteenPixelDisc() {
        Mask grown = MaskOps.dilate(mask(9, 9, 4, 4), 2);
        assertThat(grown.holeCount()).isEqualTo(13);
        assertThat(grown.hole()[4 * 9 + 6]).isTrue(); // (6,4): distance 2
        assertThat(grown.hole()[5 * 9 + 5]).isTrue(); // (5,5): distance 1.41
        assertThat(grown.hole()[6 * 9 + 6]).isFalse(); // (6,6): distance 2.83
        assertThat(MaskOps.dilate(mask(9, 9, 4, 4), 0).holeCount()).isEqualTo(1);
    }

    @Test
    void distanceTransformMatchesBruteForce() {
        Random random = new Random(7);
        int w = 37;
        int h = 23;
        boolean[] hole = new boolean[w * h];
        for (int i = 0; i < 6; i++) {
            hole[random.nextInt(w * h)] = true;
        }
        Mask mask = new Mask(w, h, hole);
        int[] distance = MaskOps.distanceToHole(mask, 9);
        for (int p = 0; p < w * h; p++) {
            double best = Double.MAX_VALUE;
            for (int q = 0; q < w * h; q++) {
                if (hole[q]) {
                    best = Math.min(best, Math.hypot(p % w - q % w, p / w - q / w));
                }
            }
            assertThat(distance[p])
                    .as("pixel %d", p)
                    .isEqualTo((int) Math.min(9, Math.ceil(best - 1e-6)));
        }
    }

    @Test
    void emptyMaskStaysEmptyAndIsFarFromEverything() {
        Mask empty = mask(5, 4);
        assertThat(MaskOps.dilate(empty, 3).holeCount()).isZero();
        assertThat(MaskOps.distanceToHole(empty, 4)).containsOnly(4);
        assertThat(MaskOps.components(empty)).isEmpty();
        assertThat(MaskOps.fillHoles(empty).holeCount()).isZero();
    }

    @Test
    void fillingARingFillsItsInsideOnly() {
        // A 5x5 square outline in a 9x9 picture.
        int w = 9;
        boolean[] hole = new boolean[81];
        for (int i = 2; i <= 6; i++) {
            hole[2 * w + i] = hole[6 * w + i] = hole[i * w + 2] = hole[i * w + 6] = true;
        }
        Mask filled = MaskOps.fillHoles(new Mask(9, 9, hole));
        assertThat(filled.holeCount()).isEqualTo(25);
        assertThat(filled.hole()[4 * w + 4]).isTrue();
        assertThat(filled.hole()[0]).isFalse();
        // A ring open to the border by a diagonal gap is still closed for 4-connected keep-pixels.
        boolean[] touching = new boolean[81];
        for (int i = 0; i < 9; i++) {
            touching[i * w + 4] = true; // a full vertical line: both sides reach the border
        }
        assertThat(MaskOps.fillHoles(new Mask(9, 9, touching)).holeCount()).isEqualTo(9);
    }

    @Test
    void componentsAreEightConnectedWithExactBoxes() {
        Mask two = mask(10, 8, 1, 1, 2, 2, 3, 3, 7, 5, 8, 5, 8, 6);
        List<MaskOps.Region> parts = MaskOps.components(two);
        assertThat(parts)
                .containsExactly(
                        new MaskOps.Region(1, 1, 3, 3, 3), new MaskOps.Region(7, 5, 2, 2, 3));
    }

    @Test
    void theCorpusRingIsFilled() throws java.io.IOException {
        Mask ring =
                ImageCodec.binarize(
                        ImageCodec.decode(
                                ImageCodecTest.resource("brick.mask.png"), "mask", 1 << 26),
                        128);
        Mask filled = MaskOps.fillHoles(ring);
        assertThat(ring.hole()[256 * 512 + 256]).isFalse();
        assertThat(filled.hole()[256 * 512 + 256]).isTrue();
        assertThat(MaskOps.components(filled)).hasSize(1);
    }
}
