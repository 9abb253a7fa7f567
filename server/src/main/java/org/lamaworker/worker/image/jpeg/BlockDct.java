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

    private BlockDct() {}

    /**
     * Dequantises and inverse-transforms one block into 8x8 samples (level shift and clamping to
     * 0..255 included), written to {@code plane} at {@code (px, py)} with row length {@code
     * stride}.
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
        // t[v][x] = sum over u of F[v][u] * basis[u][x], skipping rows without coefficients.
        for (int v = 0; v < 8; v++) {
            boolean empty = true;
            for (int u = 0; u < 8; u++) {
                if (coef[offset + v * 8 + u] != 0) {
                    empty = false;
                    break;
                }
            }
            if (empty) {
                for (int x = 0; x < 8; x++) {
                    t[v * 8 + x] = 0f;
                }
                continue;
            }
            for (int x = 0; x < 8; x++) {
                float sum = 0f;
                for (int u = 0; u < 8; u++) {
                    int i = v * 8 + u;
                    sum += coef[offset + i] * quant[i] * BASIS[u * 8 + x];
                }
                t[v * 8 + x] = sum;
            }
        }
        for (int y = 0; y < 8; y++) {
            int row = (py + y) * stride + px;
            for (int x = 0; x < 8; x++) {
                float sum = 0f;
                for (int v = 0; v < 8; v++) {
                    sum += BASIS[v * 8 + y] * t[v * 8 + x];
                }
                int sample = Math.round(sum + 128f);
                plane[row + x] = (byte) (sample < 0 ? 0 : Math.min(sample, 255));
            }
        }
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
