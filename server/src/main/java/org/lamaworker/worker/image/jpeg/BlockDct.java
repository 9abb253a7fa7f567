package org.lamaworker.worker.image.jpeg;

/**
 * The 8x8 DCT of JPEG, forward and inverse, as two passes of the orthonormal 8-point DCT-II in
 * floating point. Only blocks the edit reaches go through it; the exactness libjpeg's integer
 * transforms trade for speed is not needed here, and the inverse never decides what an untouched
 * block shows (those keep their coefficients).
 */
final class BlockDct {
    /** BASIS[u * 8 + x]: the orthonormal DCT-II basis, alpha(u)/2 * cos((2x+1) u pi / 16). */
    private static final float[] BASIS = new float[64];

    static {
        for (int u = 0; u < 8; u++) {
            double alpha = u == 0 ? Math.sqrt(0.5) : 1.0;
            for (int x = 0; x < 8; x++) {
                BASIS[u * 8 + x] = (float) (alpha / 2 * Math.cos((2 * x + 1) * u * Math.PI / 16));
            }
        }
    }

    // BASIS[u * 8 + n] for the even/odd split of the inverse.
    private static final float B00 = BASIS[0];
    private static final float B01 = BASIS[1];
    private static final float B40 = BASIS[32];
    private static final float B41 = BASIS[33];
    private static final float B20 = BASIS[16];
    private static final float B21 = BASIS[17];
    private static final float B60 = BASIS[48];
    private static final float B61 = BASIS[49];
    private static final float B10 = BASIS[8];
    private static final float B11 = BASIS[9];
    private static final float B12 = BASIS[10];
    private static final float B13 = BASIS[11];
    private static final float B30 = BASIS[24];
    private static final float B31 = BASIS[25];
    private static final float B32 = BASIS[26];
    private static final float B33 = BASIS[27];
    private static final float B50 = BASIS[40];
    private static final float B51 = BASIS[41];
    private static final float B52 = BASIS[42];
    private static final float B53 = BASIS[43];
    private static final float B70 = BASIS[56];
    private static final float B71 = BASIS[57];
    private static final float B72 = BASIS[58];
    private static final float B73 = BASIS[59];

    private BlockDct() {}

    /**
     * Dequantises and inverse-transforms one block into 8x8 samples (level shift and clamping to
     * 0..255 included), written to {@code plane} at {@code (px, py)} with row length {@code
     * stride}. Each 8-point pass splits into even and odd halves ({@code BASIS[u][7-n] = (-1)^u
     * BASIS[u][n]}), 24 multiplications instead of 64.
     */
    static void inverse(
            short[] coef,
            int offset,
            int[] quant,
            byte[] plane,
            int stride,
            int px,
            int py,
            float[] scratch) {
        float[] t = scratch;
        float[] in = new float[8];
        for (int v = 0; v < 8; v++) {
            int row = offset + v * 8;
            boolean empty = true;
            for (int u = 0; u < 8; u++) {
                in[u] = coef[row + u] * quant[v * 8 + u];
                empty &= coef[row + u] == 0;
            }
            if (empty) {
                for (int x = 0; x < 8; x++) {
                    t[v * 8 + x] = 0f;
                }
            } else {
                inverse8(in, t, v * 8, 1);
            }
        }
        float[] out = new float[64];
        for (int x = 0; x < 8; x++) {
            for (int v = 0; v < 8; v++) {
                in[v] = t[v * 8 + x];
            }
            inverse8(in, out, x, 8);
        }
        for (int y = 0; y < 8; y++) {
            int row = (py + y) * stride + px;
            for (int x = 0; x < 8; x++) {
                int sample = Math.round(out[y * 8 + x] + 128f);
                plane[row + x] = (byte) (sample < 0 ? 0 : Math.min(sample, 255));
            }
        }
    }

    /** The 8-point inverse DCT of {@code f}, written to {@code out[at + n * step]}. */
    private static void inverse8(float[] f, float[] out, int at, int step) {
        float ee0 = B00 * f[0] + B40 * f[4];
        float ee1 = B01 * f[0] + B41 * f[4];
        float eo0 = B20 * f[2] + B60 * f[6];
        float eo1 = B21 * f[2] + B61 * f[6];
        float e0 = ee0 + eo0;
        float e3 = ee0 - eo0;
        float e1 = ee1 + eo1;
        float e2 = ee1 - eo1;
        float o0 = B10 * f[1] + B30 * f[3] + B50 * f[5] + B70 * f[7];
        float o1 = B11 * f[1] + B31 * f[3] + B51 * f[5] + B71 * f[7];
        float o2 = B12 * f[1] + B32 * f[3] + B52 * f[5] + B72 * f[7];
        float o3 = B13 * f[1] + B33 * f[3] + B53 * f[5] + B73 * f[7];
        out[at] = e0 + o0;
        out[at + 7 * step] = e0 - o0;
        out[at + step] = e1 + o1;
        out[at + 6 * step] = e1 - o1;
        out[at + 2 * step] = e2 + o2;
        out[at + 5 * step] = e2 - o2;
        out[at + 3 * step] = e3 + o3;
        out[at + 4 * step] = e3 - o3;
    }

    /**
     * Transforms 8x8 samples ({@code samples[y * 8 + x]}, already level-shifted) and quantises them
     * into a block, rounding to the nearest step and keeping values an 8-bit baseline file can
     * code.
     */
    static void forward(float[] samples, int[] quant, short[] coef, int offset, float[] scratch) {
        float[] t = scratch;
        for (int y = 0; y < 8; y++) {
            for (int u = 0; u < 8; u++) {
                float sum = 0f;
                for (int x = 0; x < 8; x++) {
                    sum += samples[y * 8 + x] * BASIS[u * 8 + x];
                }
                t[y * 8 + u] = sum;
            }
        }
        for (int v = 0; v < 8; v++) {
            for (int u = 0; u < 8; u++) {
                float sum = 0f;
                for (int y = 0; y < 8; y++) {
                    sum += BASIS[v * 8 + y] * t[y * 8 + u];
                }
                int i = v * 8 + u;
                int q = Math.round(sum / quant[i]);
                int min = i == 0 ? -1024 : -1023;
                q = q < min ? min : Math.min(q, 1023);
                coef[offset + i] = (short) q;
            }
        }
    }
}
