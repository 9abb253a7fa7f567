package org.lamaworker.worker.image;

/** Scales a mask to another size, for jobs that ask for {@code options.resizeMask}. */
public final class MaskScaler {
    private MaskScaler() {}

    /** Nearest-neighbour scaling: each target pixel takes the source pixel under its centre. */
    public static Mask nearest(Mask mask, int width, int height) {
        boolean[] out = new boolean[width * height];
        for (int y = 0; y < height; y++) {
            int sy =
                    (int)
                            Math.min(
                                    mask.height() - 1,
                                    ((long) y * 2 + 1) * mask.height() / (2L * height));
            for (int x = 0; x < width; x++) {
                int sx =
                        (int)
                                Math.min(
                                        mask.width() - 1,
                                        ((long) x * 2 + 1) * mask.width() / (2L * width));
                out[y * width + x] = mask.hole()[sy * mask.width() + sx];
            }
        }
        return new Mask(width, height, out);
    }
}
