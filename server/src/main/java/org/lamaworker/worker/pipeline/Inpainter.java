package org.lamaworker.worker.pipeline;

import java.util.List;
import org.lamaworker.worker.image.ColourProfile;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.MaskOps;
import org.lamaworker.worker.image.Picture;
import org.lamaworker.worker.inference.InferenceInput;

/**
 * Cuts tiles out of a picture for the model and puts the model's fill back. Hole pixels take the
 * model's output; pixels within {@code seamPx} of the hole blend it in, fading with distance, so
 * the fill has no hard edge; every other pixel of the result is the decoded input's, bit for bit
 * (at 16 bits for a 16-bit picture), in the picture's own colour space.
 */
public final class Inpainter {
    /** Fill pixels sampled and converted at a time: bounds the temporary arrays to 4 MB. */
    private static final int STRIP = 1 << 18;

    private Inpainter() {}

    /** The model input for one tile. */
    public static InferenceInput prepare(Picture picture, Mask mask, Tile tile) {
        float[] image =
                AreaResampler.rgb(
                        picture,
                        tile.region(),
                        tile.width(),
                        tile.height(),
                        tile.tensorWidth(),
                        tile.tensorHeight());
        float[] holes =
                AreaResampler.mask(
                        mask,
                        tile.region(),
                        tile.width(),
                        tile.height(),
                        tile.tensorWidth(),
                        tile.tensorHeight());
        return new InferenceInput(
                image, holes, tile.width(), tile.height(), tile.tensorWidth(), tile.tensorHeight());
    }

    /**
     * How much of the model's output each pixel takes: 1 in the hole, falling linearly to 0 over
     * {@code seamPx} pixels outside it, 0 beyond.
     */
    public static float[] blendWeights(Mask mask, int seamPx) {
        int[] distance = MaskOps.distanceToHole(mask, seamPx + 1);
        float[] weights = new float[distance.length];
        for (int i = 0; i < distance.length; i++) {
            int d = distance[i];
            weights[i] = d == 0 ? 1f : d <= seamPx ? (float) (seamPx + 1 - d) / (seamPx + 1) : 0f;
        }
        return weights;
    }

    /**
     * Writes each tile's output (planar sRGB in 0..255 on its tensor grid) into a copy of the
     * picture, over the tile's core only, weighted by {@code weights}. The fill is converted into
     * the picture's colour space first when it has a profile, and blended at 16 bits for a 16-bit
     * picture; alpha, and every pixel of weight 0, are kept as they were.
     *
     * @param profile the picture's colour profile, or {@code null} for sRGB
     */
    public static Picture composite(
            Picture picture,
            float[] weights,
            List<Tile> tiles,
            List<float[]> outputs,
            ColourProfile profile) {
        int w = picture.width();
        int[] result = picture.argb().clone();
        short[] deep = picture.deep() == null ? null : picture.deep().clone();
        int[] index = new int[0];
        int[] fill = new int[0];
        for (int t = 0; t < tiles.size(); t++) {
            Tile tile = tiles.get(t);
            Rect core = tile.core();
            // In strips of rows, so that the fill waiting for conversion stays a few megabytes
            // however large the hole.
            int rows = Math.max(1, STRIP / Math.max(1, core.width()));
            for (int y0 = core.y(); y0 < core.bottom(); y0 += rows) {
                int y1 = Math.min(core.bottom(), y0 + rows);
                int count = touched(core, y0, y1, weights, w);
                if (count == 0) {
                    continue;
                }
                if (index.length < count) {
                    index = new int[count];
                    fill = new int[3 * count];
                }
                sample(tile, outputs.get(t), y0, y1, weights, w, index, fill);
                if (profile != null) {
                    profile.fromSrgb(fill, count);
                }
                blend(result, deep, weights, index, fill, count);
            }
        }
        return new Picture(w, picture.height(), result, picture.hasAlpha(), deep);
    }

    /** Pixels of rows {@code [y0, y1)} of a core the fill reaches. */
    private static int touched(Rect core, int y0, int y1, float[] weights, int w) {
        int n = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = core.x(); x < core.right(); x++) {
                if (weights[y * w + x] != 0f) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * Samples a tile's output (bilinear, from the tensor grid back to the picture's) at each pixel
     * of rows {@code [y0, y1)} of its core the fill reaches, as 16-bit sRGB.
     */
    private static void sample(
            Tile tile,
            float[] output,
            int y0,
            int y1,
            float[] weights,
            int w,
            int[] index,
            int[] fill) {
        Rect region = tile.region();
        Rect core = tile.core();
        int plane = tile.tensorWidth() * tile.tensorHeight();
        double sx = (double) tile.width() / region.width();
        double sy = (double) tile.height() / region.height();
        int k = 0;
        for (int y = y0; y < y1; y++) {
            double fy = clamp((y - region.y() + 0.5) * sy - 0.5, tile.height() - 1);
            int ty0 = (int) fy;
            int ty1 = Math.min(ty0 + 1, tile.height() - 1);
            float ty = (float) (fy - ty0);
            for (int x = core.x(); x < core.right(); x++) {
                int i = y * w + x;
                if (weights[i] == 0f) {
                    continue;
                }
                double fx = clamp((x - region.x() + 0.5) * sx - 0.5, tile.width() - 1);
                int x0 = (int) fx;
                int x1 = Math.min(x0 + 1, tile.width() - 1);
                float tx = (float) (fx - x0);
                index[k] = i;
                for (int c = 0; c < 3; c++) {
                    int base = c * plane;
                    int r0 = base + ty0 * tile.tensorWidth();
                    int r1 = base + ty1 * tile.tensorWidth();
                    float top = lerp(output[r0 + x0], output[r0 + x1], tx);
                    float bottom = lerp(output[r1 + x0], output[r1 + x1], tx);
                    float model = Math.max(0f, Math.min(255f, lerp(top, bottom, ty)));
                    fill[3 * k + c] = Math.round(model * 257f);
                }
                k++;
            }
        }
    }

    /**
     * Blends {@code count} fill colours (16-bit, in the picture's space) into the result, at 16
     * bits where the picture has them.
     */
    private static void blend(
            int[] result, short[] deep, float[] weights, int[] index, int[] fill, int count) {
        for (int k = 0; k < count; k++) {
            int i = index[k];
            float weight = weights[i];
            int pixel = result[i];
            int rgb = 0;
            for (int c = 0; c < 3; c++) {
                int model = fill[3 * k + c];
                int v8;
                if (deep != null) {
                    int original = deep[4 * i + c] & 0xffff;
                    int v = Math.round(original + (model - original) * weight);
                    v = Math.max(0, Math.min(65535, v));
                    deep[4 * i + c] = (short) v;
                    v8 = Picture.to8(v);
                } else {
                    int original = (pixel >>> (16 - 8 * c)) & 0xff;
                    v8 = Math.round(original + (model / 257f - original) * weight);
                    v8 = Math.max(0, Math.min(255, v8));
                }
                rgb = (rgb << 8) | v8;
            }
            result[i] = (pixel & 0xff000000) | rgb;
        }
    }

    private static double clamp(double v, int max) {
        return Math.max(0, Math.min(max, v));
    }

    private static float lerp(float a, float b, float t) {
        return a + (b - a) * t;
    }
}
