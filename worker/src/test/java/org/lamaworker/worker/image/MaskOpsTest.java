package org.lamaworker.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
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

    // Brute-force references for the operations that now work within the hole's bounding box.

    /** The sizes the random masks come in: small, large, square, transposed and one pixel thin. */
    private static final int[][] SIZES = {
        {37, 23}, {23, 37}, {48, 48}, {64, 31}, {90, 70}, {1, 29}, {29, 1}, {2, 2}
    };

    /**
     * Masks of a few random discs, rectangles and rings (of several thicknesses) centred anywhere,
     * up to a few pixels beyond the picture, so shapes touch and are cut by its edges; plus, per
     * size, a mask with no hole and one that is all hole.
     */
    private static List<Mask> randomMasks() {
        List<Mask> masks = new ArrayList<>();
        for (int[] size : SIZES) {
            int w = size[0];
            int h = size[1];
            masks.add(new Mask(w, h, new boolean[w * h]));
            boolean[] full = new boolean[w * h];
            java.util.Arrays.fill(full, true);
            masks.add(new Mask(w, h, full));
            for (long seed = 1; seed <= 6; seed++) {
                Random random = new Random(seed * 1000 + w * 100 + h);
                masks.add(shapes(random, w, h, 1 + random.nextInt(4)));
            }
        }
        return masks;
    }

    private static Mask shapes(Random random, int w, int h, int count) {
        boolean[] hole = new boolean[w * h];
        int span = Math.max(2, Math.min(w, h) / 3);
        for (int s = 0; s < count; s++) {
            int kind = random.nextInt(3);
            int cx = random.nextInt(w + 8) - 4;
            int cy = random.nextInt(h + 8) - 4;
            int r = 1 + random.nextInt(span);
            int rx = random.nextInt(span);
            int ry = random.nextInt(span);
            int thickness = 1 + random.nextInt(3);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int dx = x - cx;
                    int dy = y - cy;
                    int d2 = dx * dx + dy * dy;
                    boolean in =
                            switch (kind) {
                                case 0 -> d2 <= r * r;
                                case 1 -> Math.abs(dx) <= rx && Math.abs(dy) <= ry;
                                default -> d2 <= (r + thickness) * (r + thickness) && d2 > r * r;
                            };
                    hole[y * w + x] |= in;
                }
            }
        }
        return new Mask(w, h, hole);
    }

    /** Exact squared distance to the nearest hole pixel, over every hole pixel; -1 for none. */
    private static long[] bruteSquaredDistance(Mask mask) {
        int w = mask.width();
        int n = mask.hole().length;
        int[] holes = new int[n];
        int count = 0;
        for (int q = 0; q < n; q++) {
            if (mask.hole()[q]) {
                holes[count++] = q;
            }
        }
        long[] d2 = new long[n];
        for (int p = 0; p < n; p++) {
            long best = -1;
            for (int i = 0; i < count; i++) {
                long dx = p % w - holes[i] % w;
                long dy = p / w - holes[i] / w;
                long d = dx * dx + dy * dy;
                best = best < 0 ? d : Math.min(best, d);
            }
            d2[p] = best;
        }
        return d2;
    }

    /** The smallest k with k*k at least {@code d2}: the distance rounded up, in integers. */
    private static long ceilSqrt(long d2) {
        long k = (long) Math.sqrt((double) d2);
        while (k * k < d2) {
            k++;
        }
        while (k > 0 && (k - 1) * (k - 1) >= d2) {
            k--;
        }
        return k;
    }

    /** Keep-pixels not 4-connected to the border through keep-pixels become hole: a BFS. */
    private static boolean[] bruteFill(Mask mask) {
        int w = mask.width();
        int h = mask.height();
        boolean[] hole = mask.hole();
        boolean[] reached = new boolean[hole.length];
        ArrayDeque<int[]> queue = new ArrayDeque<>();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean border = x == 0 || y == 0 || x == w - 1 || y == h - 1;
                if (border && !hole[y * w + x]) {
                    reached[y * w + x] = true;
                    queue.add(new int[] {x, y});
                }
            }
        }
        int[][] steps = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        while (!queue.isEmpty()) {
            int[] p = queue.poll();
            for (int[] step : steps) {
                int x = p[0] + step[0];
                int y = p[1] + step[1];
                if (x >= 0 && y >= 0 && x < w && y < h) {
                    int q = y * w + x;
                    if (!hole[q] && !reached[q]) {
                        reached[q] = true;
                        queue.add(new int[] {x, y});
                    }
                }
            }
        }
        boolean[] filled = new boolean[hole.length];
        for (int i = 0; i < filled.length; i++) {
            filled[i] = !reached[i];
        }
        return filled;
    }

    private static String describe(Mask mask) {
        StringBuilder text = new StringBuilder();
        text.append(mask.width()).append('x').append(mask.height()).append('\n');
        for (int y = 0; y < mask.height(); y++) {
            for (int x = 0; x < mask.width(); x++) {
                text.append(mask.hole()[y * mask.width() + x] ? '#' : '.');
            }
            text.append('\n');
        }
        return text.toString();
    }

    @Test
    void dilationMatchesBruteForceOnRandomMasks() {
        for (Mask mask : randomMasks()) {
            boolean[] before = mask.hole().clone();
            long[] d2 = bruteSquaredDistance(mask);
            for (int radius : new int[] {1, 2, 3, 5, 8, 13, 40, 200}) {
                Mask grown = MaskOps.dilate(mask, radius);
                assertThat(grown.width()).isEqualTo(mask.width());
                assertThat(grown.height()).isEqualTo(mask.height());
                boolean[] expected = new boolean[d2.length];
                for (int p = 0; p < d2.length; p++) {
                    expected[p] = d2[p] >= 0 && d2[p] <= (long) radius * radius;
                }
                assertThat(grown.hole())
                        .as("radius %d on\n%s", radius, describe(mask))
                        .isEqualTo(expected);
            }
            assertThat(mask.hole()).as("the input is left as it was").isEqualTo(before);
        }
    }

    @Test
    void distanceToHoleMatchesBruteForceOnRandomMasks() {
        for (Mask mask : randomMasks()) {
            boolean[] before = mask.hole().clone();
            long[] d2 = bruteSquaredDistance(mask);
            for (int cap : new int[] {0, 1, 2, 4, 9, 17, 30, 500}) {
                int[] distance = MaskOps.distanceToHole(mask, cap);
                int[] expected = new int[d2.length];
                for (int p = 0; p < d2.length; p++) {
                    expected[p] = d2[p] < 0 ? cap : (int) Math.min(cap, ceilSqrt(d2[p]));
                }
                assertThat(distance).as("cap %d on\n%s", cap, describe(mask)).isEqualTo(expected);
            }
            assertThat(mask.hole()).as("the input is left as it was").isEqualTo(before);
        }
    }

    @Test
    void fillingMatchesBruteForceOnRandomMasks() {
        int filledSomewhere = 0;
        for (Mask mask : randomMasks()) {
            boolean[] before = mask.hole().clone();
            boolean[] expected = bruteFill(mask);
            Mask filled = MaskOps.fillHoles(mask);
            assertThat(filled.width()).isEqualTo(mask.width());
            assertThat(filled.height()).isEqualTo(mask.height());
            assertThat(filled.hole()).as(describe(mask)).isEqualTo(expected);
            assertThat(mask.hole()).as("the input is left as it was").isEqualTo(before);
            if (!java.util.Arrays.equals(expected, before)) {
                filledSomewhere++;
            }
        }
        // The random rings must enclose something now and then, or the comparison proves little.
        assertThat(filledSomewhere).isGreaterThanOrEqualTo(3);
    }

    /**
     * A ring from radius {@code inner} (exclusive) to {@code outer} around (cx, cy); with a
     * negative {@code inner}, the disc.
     */
    private static Mask ring(int w, int h, int cx, int cy, int inner, int outer) {
        boolean[] hole = new boolean[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                hole[y * w + x] = (inner < 0 || d2 > inner * inner) && d2 <= outer * outer;
            }
        }
        return new Mask(w, h, hole);
    }

    @Test
    void aHollowRingBecomesItsDiscWhereverItSits() {
        int w = 60;
        int h = 45;
        // In the middle; against the left edge (its outline on column 0); in the bottom right
        // corner, touching two edges; all closed, so all become the full disc of radius 10.
        for (int[] centre : new int[][] {{30, 22}, {10, 22}, {49, 34}}) {
            Mask ring = ring(w, h, centre[0], centre[1], 7, 10);
            Mask disc = ring(w, h, centre[0], centre[1], -1, 10);
            int inside = centre[1] * w + centre[0];
            assertThat(ring.hole()[inside]).isFalse();
            Mask filled = MaskOps.fillHoles(ring);
            assertThat(filled.hole())
                    .as("ring at %d,%d", centre[0], centre[1])
                    .isEqualTo(disc.hole());
            assertThat(filled.hole()).isEqualTo(bruteFill(ring));
        }
    }

    @Test
    void aRingCutOpenByTheBorderIsNotFilled() {
        int w = 60;
        int h = 45;
        // Centred 3 pixels from the left edge: its inside reaches column 0, so it is a pocket
        // open to the border, not an enclosed hole. The same in the top left corner.
        for (int[] centre : new int[][] {{3, 22}, {30, 2}, {2, 3}, {57, 42}}) {
            Mask ring = ring(w, h, centre[0], centre[1], 7, 10);
            Mask filled = MaskOps.fillHoles(ring);
            assertThat(filled.hole()[centre[1] * w + centre[0]]).isFalse();
            assertThat(filled.hole())
                    .as("ring at %d,%d", centre[0], centre[1])
                    .isEqualTo(ring.hole());
        }
        // Beside a closed ring, the open one stays open and the closed one is filled.
        boolean[] hole = ring(w, h, 3, 22, 7, 10).hole().clone();
        boolean[] closed = ring(w, h, 40, 22, 4, 7).hole();
        for (int i = 0; i < hole.length; i++) {
            hole[i] |= closed[i];
        }
        Mask both = new Mask(w, h, hole);
        Mask filled = MaskOps.fillHoles(both);
        assertThat(filled.hole()[22 * w + 3]).isFalse();
        assertThat(filled.hole()[22 * w + 40]).isTrue();
        assertThat(filled.hole()).isEqualTo(bruteFill(both));
    }
}
