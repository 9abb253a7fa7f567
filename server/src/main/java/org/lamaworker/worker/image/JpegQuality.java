package org.lamaworker.worker.image;

/**
 * Estimates the quality setting a JPEG was saved at from its luminance quantisation table. Nearly
 * every encoder (libjpeg and its descendants, the JDK, ImageMagick, most cameras and phones) scales
 * the example table of the JPEG standard (ITU-T T.81, Annex K, table K.1) by the IJG quality
 * formula; the estimate is the quality whose scaled table is nearest the file's. Saving an edit at
 * the quality the picture came with neither bloats a compact upload nor degrades a fine one.
 */
public final class JpegQuality {
    /** Position in the 8x8 block (row-major) of the k-th coefficient in zig-zag order. */
    static final int[] NATURAL_ORDER = {
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27,
        20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63
    };

    /** Table K.1 of T.81, row-major. */
    private static final int[] LUMINANCE = {
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69,
        56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81,
                104,
        113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99
    };

    private JpegQuality() {}

    /**
     * The IJG quality (1-100) whose luminance table is nearest the given one.
     *
     * @param table a luminance quantisation table in row-major order
     * @return the quality, or 0 when {@code table} is {@code null}
     */
    public static int estimate(int[] table) {
        if (table == null || table.length != 64) {
            return 0;
        }
        int best = 0;
        long bestError = Long.MAX_VALUE;
        for (int quality = 1; quality <= 100; quality++) {
            int[] scaled = scaled(quality);
            long error = 0;
            for (int i = 0; i < 64; i++) {
                error += Math.abs(scaled[i] - table[i]);
            }
            // Ties go to the higher quality: near 100 several qualities give all-ones tables.
            if (error <= bestError) {
                bestError = error;
                best = quality;
            }
        }
        return best;
    }

    /** Table K.1 scaled to a quality the way libjpeg's {@code jpeg_quality_scaling} does. */
    static int[] scaled(int quality) {
        int scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
        int[] table = new int[64];
        for (int i = 0; i < 64; i++) {
            table[i] = Math.max(1, Math.min(255, (LUMINANCE[i] * scale + 50) / 100));
        }
        return table;
    }
}
