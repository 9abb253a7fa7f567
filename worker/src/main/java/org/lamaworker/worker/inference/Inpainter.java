package org.lamaworker.worker.inference;

import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.Picture;

/**
 * Prepares a picture for a model and puts the model's fill back. Only pixels inside the mask
 * change: every other pixel of the result is the decoded input's, bit for bit.
 */
public final class Inpainter {
    private Inpainter() {}

    /**
     * Scales the picture and mask to the model's grid: a fixed-size model gets its size; a dynamic
     * one gets the picture's size, scaled down to at most {@code maxPixels} and padded to the
     * model's multiple.
     */
    public static InferenceInput prepare(
            Picture picture, Mask mask, ModelShape shape, long maxPixels) {
        int width;
        int height;
        int tensorWidth;
        int tensorHeight;
        if (shape.dynamic()) {
            double scale = Math.min(1.0, Math.sqrt((double) maxPixels / picture.pixels()));
            width = Math.max(1, (int) Math.floor(picture.width() * scale));
            height = Math.max(1, (int) Math.floor(picture.height() * scale));
            tensorWidth = roundUp(width, shape.multiple());
            tensorHeight = roundUp(height, shape.multiple());
        } else {
            width = shape.fixedWidth();
            height = shape.fixedHeight();
            tensorWidth = width;
            tensorHeight = height;
        }
        float[] image = AreaResampler.rgb(picture, width, height, tensorWidth, tensorHeight);
        float[] holes = AreaResampler.mask(mask, width, height, tensorWidth, tensorHeight);
        return new InferenceInput(image, holes, width, height, tensorWidth, tensorHeight);
    }

    /**
     * Writes the model's output (planar RGB in 0..255 on the tensor grid) into a copy of the
     * picture, at hole pixels only, sampling it bilinearly at each pixel's centre. Alpha is kept.
     */
    public static Picture composite(
            Picture picture, Mask mask, InferenceInput input, float[] output) {
        int w = picture.width();
        int h = picture.height();
        int[] result = picture.argb().clone();
        boolean[] hole = mask.hole();
        int plane = input.tensorWidth() * input.tensorHeight();
        double sx = (double) input.width() / w;
        double sy = (double) input.height() / h;
        for (int y = 0; y < h; y++) {
            double fy = clamp((y + 0.5) * sy - 0.5, input.height() - 1);
            int y0 = (int) fy;
            int y1 = Math.min(y0 + 1, input.height() - 1);
            float ty = (float) (fy - y0);
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                if (!hole[i]) {
                    continue;
                }
                double fx = clamp((x + 0.5) * sx - 0.5, input.width() - 1);
                int x0 = (int) fx;
                int x1 = Math.min(x0 + 1, input.width() - 1);
                float tx = (float) (fx - x0);
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    int base = c * plane;
                    float top =
                            lerp(
                                    output[base + y0 * input.tensorWidth() + x0],
                                    output[base + y0 * input.tensorWidth() + x1],
                                    tx);
                    float bottom =
                            lerp(
                                    output[base + y1 * input.tensorWidth() + x0],
                                    output[base + y1 * input.tensorWidth() + x1],
                                    tx);
                    int v = Math.round(lerp(top, bottom, ty));
                    rgb = (rgb << 8) | Math.max(0, Math.min(255, v));
                }
                result[i] = (result[i] & 0xff000000) | rgb;
            }
        }
        return new Picture(w, h, result, picture.hasAlpha());
    }

    private static double clamp(double v, int max) {
        return Math.max(0, Math.min(max, v));
    }

    private static float lerp(float a, float b, float t) {
        return a + (b - a) * t;
    }

    private static int roundUp(int value, int multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }
}
