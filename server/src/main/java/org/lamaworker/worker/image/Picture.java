package org.lamaworker.worker.image;

/**
 * A decoded picture as packed 8-bit ARGB pixels, row by row, in the picture's own colour space (see
 * {@link ColourProfile}), and for pictures stored with 16 bits per sample also those samples. Owned
 * by one job at a time; the arrays are not copied.
 *
 * <p>The 8-bit pixels are what the model sees (after conversion to sRGB) and what 8-bit formats
 * write. The 16-bit samples, when present, are what a 16-bit output writes: pixels the edit does
 * not touch keep them exactly, where the 8-bit pixels are their rounding.
 *
 * @param width width in pixels
 * @param height height in pixels
 * @param argb {@code width*height} pixels as {@code 0xAARRGGBB}
 * @param hasAlpha whether the source had an alpha channel worth keeping
 * @param deep {@code 4*width*height} samples R, G, B, A of 16 bits (as unsigned {@code short}s),
 *     alpha 65535 where the picture has none; {@code null} for 8-bit pictures
 */
public record Picture(int width, int height, int[] argb, boolean hasAlpha, short[] deep) {
    /** Validates the size. */
    public Picture {
        if (width < 1 || height < 1 || argb.length != width * height) {
            throw new IllegalArgumentException(
                    "picture " + width + "x" + height + " with " + argb.length + " pixels");
        }
        if (deep != null && deep.length != 4 * argb.length) {
            throw new IllegalArgumentException(
                    "picture " + width + "x" + height + " with " + deep.length + " 16-bit samples");
        }
    }

    /** An 8-bit picture. */
    public Picture(int width, int height, int[] argb, boolean hasAlpha) {
        this(width, height, argb, hasAlpha, null);
    }

    /** Number of pixels. */
    public int pixels() {
        return argb.length;
    }

    /** Bits per sample: 16 when the picture carries 16-bit samples, else 8. */
    public int bitDepth() {
        return deep != null ? 16 : 8;
    }

    /** The 8-bit value nearest a 16-bit one. */
    public static int to8(int sample16) {
        return (sample16 * 255 + 32767) / 65535;
    }
}
