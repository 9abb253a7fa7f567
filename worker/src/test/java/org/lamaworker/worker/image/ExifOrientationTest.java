package org.lamaworker.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ExifOrientationTest {
    private static Mask randomMask(Random random, int w, int h) {
        boolean[] hole = new boolean[w * h];
        for (int i = 0; i < hole.length; i++) {
            hole[i] = random.nextBoolean();
        }
        return new Mask(w, h, hole);
    }

    /** The mask as a picture: hole white, the rest black. */
    private static Picture picture(Mask mask) {
        int[] argb = new int[mask.hole().length];
        for (int i = 0; i < argb.length; i++) {
            argb[i] = mask.hole()[i] ? 0xffffffff : 0xff000000;
        }
        return new Picture(mask.width(), mask.height(), argb, false);
    }

    private static Mask mask(Picture picture) {
        boolean[] hole = new boolean[picture.pixels()];
        for (int i = 0; i < hole.length; i++) {
            int p = picture.argb()[i];
            assertThat(p).isIn(0xffffffff, 0xff000000);
            hole[i] = p == 0xffffffff;
        }
        return new Mask(picture.width(), picture.height(), hole);
    }

    @Test
    void toStoredIsTheInverseOfApplyForEveryOrientation() {
        Random random = new Random(17);
        for (int[] size : new int[][] {{13, 8}, {8, 13}, {1, 6}, {6, 1}, {1, 1}}) {
            Mask displayed = randomMask(random, size[0], size[1]);
            for (int orientation = 1; orientation <= 8; orientation++) {
                Mask stored = ExifOrientation.toStored(displayed, orientation);
                boolean swap = orientation >= 5;
                assertThat(stored.width())
                        .as("orientation %d", orientation)
                        .isEqualTo(swap ? displayed.height() : displayed.width());
                assertThat(stored.height())
                        .as("orientation %d", orientation)
                        .isEqualTo(swap ? displayed.width() : displayed.height());
                assertThat(stored.holeCount()).isEqualTo(displayed.holeCount());
                Picture shown = ExifOrientation.apply(picture(stored), orientation);
                assertThat(shown.width()).isEqualTo(displayed.width());
                assertThat(shown.height()).isEqualTo(displayed.height());
                assertThat(mask(shown).hole())
                        .as("%dx%d, orientation %d", size[0], size[1], orientation)
                        .isEqualTo(displayed.hole());
            }
        }
    }

    @Test
    void applyThenToStoredGivesTheStoredGridBack() {
        Random random = new Random(23);
        Mask stored = randomMask(random, 11, 7);
        for (int orientation = 1; orientation <= 8; orientation++) {
            Mask displayed = mask(ExifOrientation.apply(picture(stored), orientation));
            assertThat(ExifOrientation.toStored(displayed, orientation).hole())
                    .as("orientation %d", orientation)
                    .isEqualTo(stored.hole());
        }
    }

    @Test
    void eachOrientationMovesACornerWhereAViewerShowsIt() {
        // A single hole in the displayed top left corner of a 5x3 mask: where it sits on the
        // stored grid under each orientation (the stored grid is 3x5 for 5-8).
        int[][] storedCorner = {
            null, {0, 0}, {4, 0}, {4, 2}, {0, 2}, {0, 0}, {0, 4}, {2, 4}, {2, 0}
        };
        for (int orientation = 1; orientation <= 8; orientation++) {
            boolean[] hole = new boolean[15];
            hole[0] = true;
            Mask stored = ExifOrientation.toStored(new Mask(5, 3, hole), orientation);
            int x = storedCorner[orientation][0];
            int y = storedCorner[orientation][1];
            assertThat(stored.hole()[y * stored.width() + x])
                    .as("orientation %d at %d,%d", orientation, x, y)
                    .isTrue();
            assertThat(stored.holeCount()).isEqualTo(1);
        }
    }

    @Test
    void orientationsOutsideOneToEightLeaveTheMaskAlone() {
        Mask displayed = randomMask(new Random(29), 9, 4);
        for (int orientation : new int[] {-1, 0, 1, 9, 42}) {
            assertThat(ExifOrientation.toStored(displayed, orientation)).isSameAs(displayed);
        }
    }
}
