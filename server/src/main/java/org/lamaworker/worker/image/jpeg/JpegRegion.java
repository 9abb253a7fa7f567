package org.lamaworker.worker.image.jpeg;

/**
 * Pixels of part of a {@link JpegImage}, and back: {@link #decode} turns the MCUs of a window into
 * RGB (the rest of the picture stays coefficients), {@link #encode} replaces the coefficients of
 * chosen MCUs with those of edited pixels, quantised with the picture's own tables and sampled as
 * the picture is. Windows are whole MCUs, clipped to the picture: see {@link #align}.
 *
 * <p>Chroma is upsampled by repeating samples and downsampled by averaging, so the pixels of a
 * re-encoded MCU that the edit left alone come back to the chroma they had.
 */
public final class JpegRegion {
    private JpegRegion() {}

    /**
     * The smallest window of whole MCUs (clipped to the picture) holding the rectangle.
     *
     * @return {x, y, width, height}
     */
    public static int[] align(JpegImage image, int x, int y, int width, int height) {
        int mw = image.mcuWidth();
        int mh = image.mcuHeight();
        int x0 = x / mw * mw;
        int y0 = y / mh * mh;
        int x1 = Math.min(image.width(), JpegImage.ceilDiv(x + width, mw) * mw);
        int y1 = Math.min(image.height(), JpegImage.ceilDiv(y + height, mh) * mh);
        return new int[] {x0, y0, x1 - x0, y1 - y0};
    }

    private static void checkWindow(JpegImage image, int x0, int y0, int w, int h) {
        if (x0 % image.mcuWidth() != 0
                || y0 % image.mcuHeight() != 0
                || w < 1
                || h < 1
                || x0 + w > image.width()
                || y0 + h > image.height()) {
            throw new IllegalArgumentException(
                    "window "
                            + x0
                            + ","
                            + y0
                            + " "
                            + w
                            + "x"
                            + h
                            + " is not MCU-aligned in the picture");
        }
    }

    /**
     * Decodes a window to opaque RGB pixels (grey as equal channels), row by row.
     *
     * @param x0 left column, a multiple of the MCU width
     * @param y0 top row, a multiple of the MCU height
     */
    public static int[] decode(JpegImage image, int x0, int y0, int w, int h) {
        checkWindow(image, x0, y0, w, h);
        int n = image.componentCount();
        byte[][] planes = new byte[n][];
        int[] strides = new int[n];
        int[] stepX = new int[n];
        int[] stepY = new int[n];
        float[] scratch = new float[64];
        for (int c = 0; c < n; c++) {
            JpegImage.Component comp = image.component(c);
            int sx = image.maxH() / comp.h;
            int sy = image.maxV() / comp.v;
            stepX[c] = sx;
            stepY[c] = sy;
            int bx0 = x0 / sx / 8;
            int by0 = y0 / sy / 8;
            int bx1 = JpegImage.ceilDiv(JpegImage.ceilDiv(x0 + w, sx), 8);
            int by1 = JpegImage.ceilDiv(JpegImage.ceilDiv(y0 + h, sy), 8);
            int stride = (bx1 - bx0) * 8;
            strides[c] = stride;
            planes[c] = new byte[stride * (by1 - by0) * 8];
            int[] quant = image.quantTable(comp);
            for (int by = by0; by < by1; by++) {
                for (int bx = bx0; bx < bx1; bx++) {
                    BlockDct.inverse(
                            comp.coefficients,
                            comp.offset(bx, by),
                            quant,
                            planes[c],
                            stride,
                            (bx - bx0) * 8,
                            (by - by0) * 8,
                            scratch);
                }
            }
        }
        int[][] columns = new int[n][w];
        for (int c = 0; c < n; c++) {
            for (int x = 0; x < w; x++) {
                columns[c][x] = x / stepX[c];
            }
        }
        int[] argb = new int[w * h];
        byte[] luma = planes[0];
        int[] lumaColumns = columns[0];
        for (int y = 0; y < h; y++) {
            int lumaRow = (y / stepY[0]) * strides[0];
            int out = y * w;
            if (n == 1) {
                for (int x = 0; x < w; x++) {
                    argb[out + x] = 0xff000000 | (luma[lumaRow + lumaColumns[x]] & 0xff) * 0x010101;
                }
                continue;
            }
            int cbRow = (y / stepY[1]) * strides[1];
            int crRow = (y / stepY[2]) * strides[2];
            byte[] cbPlane = planes[1];
            byte[] crPlane = planes[2];
            int[] cbColumns = columns[1];
            int[] crColumns = columns[2];
            for (int x = 0; x < w; x++) {
                int l = luma[lumaRow + lumaColumns[x]] & 0xff;
                int cb = cbPlane[cbRow + cbColumns[x]] & 0xff;
                int cr = crPlane[crRow + crColumns[x]] & 0xff;
                int r = clamp(l + RED_CR[cr]);
                int g = clamp(l + ((GREEN_CB[cb] + GREEN_CR[cr] + HALF) >> SHIFT));
                int b = clamp(l + BLUE_CB[cb]);
                argb[out + x] = 0xff000000 | (r << 16) | (g << 8) | b;
            }
        }
        return argb;
    }

    private static final int SHIFT = 16;
    private static final int HALF = 1 << (SHIFT - 1);

    /** YCbCr to RGB (JFIF) in fixed point, per chroma value: the red and blue offsets rounded. */
    private static final int[] RED_CR = new int[256];

    private static final int[] BLUE_CB = new int[256];

    /** The green terms, scaled by 2^16, summed before rounding. */
    private static final int[] GREEN_CB = new int[256];

    private static final int[] GREEN_CR = new int[256];

    static {
        for (int v = 0; v < 256; v++) {
            double d = v - 128;
            RED_CR[v] = (int) Math.round(1.402 * d);
            BLUE_CB[v] = (int) Math.round(1.772 * d);
            GREEN_CB[v] = (int) Math.round(-0.344136 * d * (1 << SHIFT));
            GREEN_CR[v] = (int) Math.round(-0.714136 * d * (1 << SHIFT));
        }
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /**
     * The MCUs (index {@code my * mcusWide + mx}) holding a pixel of the window whose weight is not
     * 0: the pixels an edit may change.
     *
     * @param weights one per window pixel, row by row
     */
    public static boolean[] touched(
            JpegImage image, int x0, int y0, int w, int h, float[] weights) {
        boolean[] touched = new boolean[image.mcusWide() * image.mcusHigh()];
        int mw = image.mcuWidth();
        int mh = image.mcuHeight();
        for (int y = 0; y < h; y++) {
            int row = (y0 + y) / mh * image.mcusWide();
            for (int x = 0; x < w; x++) {
                if (weights[y * w + x] != 0f) {
                    touched[row + (x0 + x) / mw] = true;
                }
            }
        }
        return touched;
    }

    /**
     * Replaces the coefficients of every touched MCU inside the window with those of the window's
     * pixels: converted to YCbCr (or luma for a grey picture), averaged down to each component's
     * sampling, transformed and quantised with the picture's tables. Pixels past the picture's edge
     * repeat its last row and column, as encoders pad.
     *
     * @param argb the window's pixels, row by row
     * @param touched per MCU of the picture, as {@link #touched} gives
     * @return the number of MCUs re-encoded
     */
    public static int encode(
            JpegImage image, int x0, int y0, int w, int h, int[] argb, boolean[] touched) {
        checkWindow(image, x0, y0, w, h);
        int n = image.componentCount();
        int mw = image.mcuWidth();
        int mh = image.mcuHeight();
        float[][] planes = new float[n][mw * mh];
        float[] samples = new float[64];
        float[] scratch = new float[64];
        int count = 0;
        int mx0 = x0 / mw;
        int my0 = y0 / mh;
        int mx1 = JpegImage.ceilDiv(x0 + w, mw);
        int my1 = JpegImage.ceilDiv(y0 + h, mh);
        for (int my = my0; my < my1; my++) {
            for (int mx = mx0; mx < mx1; mx++) {
                if (!touched[my * image.mcusWide() + mx]) {
                    continue;
                }
                count++;
                for (int py = 0; py < mh; py++) {
                    int wy = Math.min(my * mh + py, image.height() - 1) - y0;
                    for (int px = 0; px < mw; px++) {
                        int wx = Math.min(mx * mw + px, image.width() - 1) - x0;
                        int p = argb[wy * w + wx];
                        float r = (p >>> 16) & 0xff;
                        float g = (p >>> 8) & 0xff;
                        float b = p & 0xff;
                        int i = py * mw + px;
                        planes[0][i] = 0.299f * r + 0.587f * g + 0.114f * b;
                        if (n == 3) {
                            planes[1][i] = -0.168736f * r - 0.331264f * g + 0.5f * b + 128f;
                            planes[2][i] = 0.5f * r - 0.418688f * g - 0.081312f * b + 128f;
                        }
                    }
                }
                for (int c = 0; c < n; c++) {
                    JpegImage.Component comp = image.component(c);
                    int sx = image.maxH() / comp.h;
                    int sy = image.maxV() / comp.v;
                    float scale = 1f / (sx * sy);
                    int[] quant = image.quantTable(comp);
                    for (int by = 0; by < comp.v; by++) {
                        for (int bx = 0; bx < comp.h; bx++) {
                            for (int j = 0; j < 8; j++) {
                                for (int i = 0; i < 8; i++) {
                                    int px = (bx * 8 + i) * sx;
                                    int py = (by * 8 + j) * sy;
                                    float sum = 0f;
                                    for (int dy = 0; dy < sy; dy++) {
                                        for (int dx = 0; dx < sx; dx++) {
                                            sum += planes[c][(py + dy) * mw + px + dx];
                                        }
                                    }
                                    samples[j * 8 + i] = sum * scale - 128f;
                                }
                            }
                            int offset = comp.offset(mx * comp.h + bx, my * comp.v + by);
                            BlockDct.forward(samples, quant, comp.coefficients, offset, scratch);
                        }
                    }
                }
            }
        }
        return count;
    }
}
