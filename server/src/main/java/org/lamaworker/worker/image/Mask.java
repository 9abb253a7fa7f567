package org.lamaworker.worker.image;

/**
 * A binary mask: {@code true} marks a pixel to fill.
 *
 * @param width width in pixels
 * @param height height in pixels
 * @param hole {@code width*height} flags, row by row
 */
public record Mask(int width, int height, boolean[] hole) {
    /** Validates the size. */
    public Mask {
        if (width < 1 || height < 1 || hole.length != width * height) {
            throw new IllegalArgumentException("mask " + width + "x" + height);
        }
    }

    /** Number of pixels to fill. */
    public int holeCount() {
        int count = 0;
        for (boolean h : hole) {
            if (h) {
                count++;
            }
        }
        return count;
    }
}
