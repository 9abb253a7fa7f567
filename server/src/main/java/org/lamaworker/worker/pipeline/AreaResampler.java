package org.lamaworker.worker.pipeline;

import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.Picture;

/**
 * Area-weighted resampling between a picture and a model's input grid: each target pixel averages
 * the source pixels its footprint covers, weighted by overlap. Works for shrinking and enlarging,
 * and pads the target to the tensor size by repeating the last row and column.
 */
final class AreaResampler {
    private AreaResampler() {}

    /** For each target index: the first source index and the weights of consecutive sources. */
    record Taps(int[] first, float[][] weights) {
        static Taps of(int source, int target) {
            double scale = (double) source / target;
            int[] first = new int[target];
            float[][] weights = new float[target][];
            for (int o = 0; o < target; o++) {
                double a = o * scale;
                double b = Math.min(source, (o + 1) * scale);
                int i0 = Math.min(source - 1, (int) Math.floor(a));
                int i1 = Math.max(i0 + 1, Math.min(source, (int) Math.ceil(b)));
                float[] w = new float[i1 - i0];
                double sum = 0;
                for (int i = i0; i < i1; i++) {
                    double overlap = Math.min(b, i + 1) - Math.max(a, i);
                    w[i - i0] = (float) Math.max(0, overlap);
                    sum += w[i - i0];
                }
                for (int k = 0; k < w.length; k++) {
                    w[k] = sum > 0 ? (float) (w[k] / sum) : 1f / w.length;
                }
                first[o] = i0;
                weights[o] = w;
            }
            return new Taps(first, weights);
        }
    }

    /**
     * Resamples a region's RGB into a planar {@code [3][tensorHeight][tensorWidth]} array in 0..1;
     * the region covers the top-left {@code width x height}, the rest repeats its edge.
     */
    static float[] rgb(
            Picture picture,
            Rect region,
            int width,
            int height,
            int tensorWidth,
            int tensorHeight) {
        Taps tx = Taps.of(region.width(), width);
        Taps ty = Taps.of(region.height(), height);
        int plane = tensorWidth * tensorHeight;
        float[] out = new float[3 * plane];
        float[] row = new float[3 * width];
        float[] acc = new float[3 * width];
        int[] argb = picture.argb();
        for (int oy = 0; oy < height; oy++) {
            java.util.Arrays.fill(acc, 0f);
            float[] wy = ty.weights()[oy];
            for (int k = 0; k < wy.length; k++) {
                int sy = region.y() + ty.first()[oy] + k;
                int base = sy * picture.width();
                for (int ox = 0; ox < width; ox++) {
                    float[] wx = tx.weights()[ox];
                    int sx0 = region.x() + tx.first()[ox];
                    float r = 0;
                    float g = 0;
                    float b = 0;
                    for (int j = 0; j < wx.length; j++) {
                        int p = argb[base + sx0 + j];
                        r += wx[j] * ((p >>> 16) & 0xff);
                        g += wx[j] * ((p >>> 8) & 0xff);
                        b += wx[j] * (p & 0xff);
                    }
                    row[ox] = r;
                    row[width + ox] = g;
                    row[2 * width + ox] = b;
                }
                for (int i = 0; i < acc.length; i++) {
                    acc[i] += wy[k] * row[i];
                }
            }
            for (int c = 0; c < 3; c++) {
                int rowStart = c * plane + oy * tensorWidth;
                for (int ox = 0; ox < width; ox++) {
                    out[rowStart + ox] = acc[c * width + ox] / 255f;
                }
                java.util.Arrays.fill(
                        out,
                        rowStart + width,
                        rowStart + tensorWidth,
                        acc[c * width + width - 1] / 255f);
            }
        }
        padRows(out, 3, height, tensorWidth, tensorHeight);
        return out;
    }

    /**
     * Resamples a region of a mask into {@code [tensorHeight][tensorWidth]} of 0 and 1: a target
     * pixel is a hole when any source pixel under it is, so the model never treats part of the
     * object as known. Padding is known (0).
     */
    static float[] mask(
            Mask mask, Rect region, int width, int height, int tensorWidth, int tensorHeight) {
        Taps tx = Taps.of(region.width(), width);
        Taps ty = Taps.of(region.height(), height);
        float[] out = new float[tensorWidth * tensorHeight];
        boolean[] hole = mask.hole();
        for (int oy = 0; oy < height; oy++) {
            float[] wy = ty.weights()[oy];
            for (int ox = 0; ox < width; ox++) {
                float[] wx = tx.weights()[ox];
                boolean any = false;
                for (int k = 0; k < wy.length && !any; k++) {
                    if (wy[k] <= 0) {
                        continue;
                    }
                    int base =
                            (region.y() + ty.first()[oy] + k) * mask.width()
                                    + region.x()
                                    + tx.first()[ox];
                    for (int j = 0; j < wx.length; j++) {
                        if (wx[j] > 0 && hole[base + j]) {
                            any = true;
                            break;
                        }
                    }
                }
                out[oy * tensorWidth + ox] = any ? 1f : 0f;
            }
        }
        return out;
    }

    private static void padRows(
            float[] planes, int channels, int height, int width, int tensorHeight) {
        int plane = width * tensorHeight;
        for (int c = 0; c < channels; c++) {
            int last = c * plane + (height - 1) * width;
            for (int y = height; y < tensorHeight; y++) {
                System.arraycopy(planes, last, planes, c * plane + y * width, width);
            }
        }
    }
}
