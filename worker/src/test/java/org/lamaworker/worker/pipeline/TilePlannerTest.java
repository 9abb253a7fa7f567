package org.lamaworker.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.worker.config.ModelContract;
import org.lamaworker.worker.config.Strategy;
import org.lamaworker.worker.failure.JobFailure;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.inference.ModelInfo;
import org.lamaworker.worker.inference.ModelShape;

class TilePlannerTest {
    private static final ModelInfo FIXED_512 =
            new ModelInfo(ModelContract.A, new ModelShape(512, 512, 1), true, 255f);
    private static final ModelInfo DYNAMIC =
            new ModelInfo(ModelContract.B, new ModelShape(0, 0, 8), false, 255f);
    private static final TilePlanner.Settings SETTINGS = new TilePlanner.Settings(1_000_000, 16, 8);

    private static Mask boxes(int w, int h, int[]... rects) {
        boolean[] hole = new boolean[w * h];
        for (int[] r : rects) {
            for (int y = r[1]; y < r[3]; y++) {
                for (int x = r[0]; x < r[2]; x++) {
                    hole[y * w + x] = true;
                }
            }
        }
        return new Mask(w, h, hole);
    }

    @Test
    void cropMergesPartsWhoseRegionsOverlapOrNearlyTouch() {
        // Two parts 30 px apart: with 16 px margins their regions come within the 8 px gap.
        Mask near =
                boxes(2000, 1000, new int[] {100, 100, 120, 120}, new int[] {150, 100, 170, 120});
        assertThat(TilePlanner.plan(near, Strategy.CROP, DYNAMIC, SETTINGS)).hasSize(1);
        // Far apart: two tiles with disjoint cores, each covering its part plus the margin.
        Mask far =
                boxes(2000, 1000, new int[] {100, 100, 120, 120}, new int[] {1500, 700, 1600, 760});
        List<Tile> tiles = TilePlanner.plan(far, Strategy.CROP, DYNAMIC, SETTINGS);
        assertThat(tiles).hasSize(2);
        assertThat(tiles.get(0).core()).isEqualTo(new Rect(84, 84, 52, 52));
        assertThat(tiles.get(1).core()).isEqualTo(new Rect(1484, 684, 132, 92));
        assertThat(tiles.get(0).tensorWidth() % 8).isZero();
        assertThat(tiles.get(0).scaled()).isFalse();
    }

    @Test
    void fixedModelGetsSmallRegionsGrownToItsSizeUnscaledAndLargeOnesScaledDown() {
        Mask small = boxes(2000, 1000, new int[] {1000, 500, 1040, 530});
        Tile tile = TilePlanner.plan(small, Strategy.CROP, FIXED_512, SETTINGS).get(0);
        assertThat(tile.region().width()).isEqualTo(512);
        assertThat(tile.region().height()).isEqualTo(512);
        assertThat(tile.scaled()).isFalse();
        assertThat(tile.region().contains(1000, 500)).isTrue();
        assertThat(tile.region().contains(1039, 529)).isTrue();
        assertThat(tile.core()).isEqualTo(new Rect(984, 484, 72, 62));

        Mask large = boxes(2000, 1000, new int[] {200, 100, 1700, 900});
        Tile big = TilePlanner.plan(large, Strategy.CROP, FIXED_512, SETTINGS).get(0);
        assertThat(big.scaled()).isTrue();
        assertThat(big.width()).isEqualTo(512);
        assertThat(big.height()).isEqualTo(Math.round(832 * 512f / 1532));
        assertThat(big.tensorWidth()).isEqualTo(512);
    }

    @Test
    void resizeKeepsAspectAndNeverEnlarges() {
        Mask mask = boxes(600, 400, new int[] {10, 10, 20, 20});
        Tile fixed = TilePlanner.plan(mask, Strategy.RESIZE, FIXED_512, SETTINGS).get(0);
        assertThat(fixed.region()).isEqualTo(new Rect(0, 0, 600, 400));
        assertThat(fixed.width()).isEqualTo(512);
        assertThat(fixed.height()).isEqualTo(341);
        Mask tiny = boxes(100, 80, new int[] {10, 10, 20, 20});
        Tile unscaled = TilePlanner.plan(tiny, Strategy.RESIZE, FIXED_512, SETTINGS).get(0);
        assertThat(unscaled.scaled()).isFalse();

        Mask big = boxes(4000, 2000, new int[] {10, 10, 20, 20});
        Tile dynamic = TilePlanner.plan(big, Strategy.RESIZE, DYNAMIC, SETTINGS).get(0);
        assertThat((long) dynamic.width() * dynamic.height()).isLessThanOrEqualTo(1_000_000);
        assertThat(dynamic.tensorHeight() % 8).isZero();
    }

    @Test
    void originalAndAutoFollowTheModel() {
        Mask mask = boxes(600, 400, new int[] {10, 10, 20, 20});
        Tile original = TilePlanner.plan(mask, Strategy.ORIGINAL, DYNAMIC, SETTINGS).get(0);
        assertThat(original.scaled()).isFalse();
        assertThat(original.tensorWidth()).isEqualTo(600);
        assertThat(original.tensorHeight()).isEqualTo(400);
        assertThat(TilePlanner.plan(mask, Strategy.AUTO, DYNAMIC, SETTINGS).get(0).region())
                .isEqualTo(new Rect(0, 0, 600, 400));
        Mask big = boxes(4000, 2000, new int[] {10, 10, 20, 20});
        assertThat(TilePlanner.plan(big, Strategy.AUTO, DYNAMIC, SETTINGS).get(0).core())
                .isEqualTo(new Rect(0, 0, 36, 36));
        assertThatThrownBy(() -> TilePlanner.plan(mask, Strategy.ORIGINAL, FIXED_512, SETTINGS))
                .isInstanceOf(JobFailure.class)
                .satisfies(
                        e -> assertThat(((JobFailure) e).code()).isEqualTo(ErrorCode.INVALID_JOB))
                .hasMessageContaining("512x512");
    }

    @Test
    void manyPartsBecomeOneRegion() {
        int w = 2000;
        int h = 1000;
        boolean[] hole = new boolean[w * h];
        for (int i = 0; i < 300; i++) {
            hole[(i * 3 % h) * w + (i * 97 % w)] = true; // isolated dots
        }
        List<Tile> tiles =
                TilePlanner.plan(
                        new Mask(w, h, hole),
                        Strategy.CROP,
                        DYNAMIC,
                        new TilePlanner.Settings(1_000_000, 0, 0));
        assertThat(tiles).hasSize(1);
    }
}
