package org.lamaworker.worker.image;

/**
 * A decoded picture as packed 8-bit ARGB pixels, row by row. Owned by one job at a time; the pixel
 * array is not copied.
 *
 * @param width width in pixels
 * @param height height in pixels
 * @param argb {@code width*height} pixels as {@code 0xAARRGGBB}
 * @param hasAlpha whether the source had an alpha channel worth keeping
 */
public record Picture(int width, int height, int[] argb, boolean hasAlpha) {
    /** Validates the size. */
    public Picture {
        if (width < 1 || height < 1 || argb.length != width * height) {
            throw new IllegalArgumentException(
                    "picture " + width + "x" + height + " with " + argb.length + " pixels");
        }
    }

    /** Number of pixels. */
    public int pixels() {
        return argb.length;
    }
}
