package org.lamaworker.worker.image;

import java.util.ArrayList;
import java.util.List;

/** TEMPORARY: replaced by the image-formats branch. */
public final class MaskOps {
    private MaskOps() {}

    /** A box. */
    public record Region(int x, int y, int width, int height, int pixels) {}

    /** Temp. */
    public static List<Region> components(Mask mask) {
        int w = mask.width();
        int h = mask.height();
        int[] label = new int[w * h];
        int next = 0;
        List<Region> out = new ArrayList<>();
        int[] stack = new int[w * h];
        for (int i = 0; i < w * h; i++) {
            if (!mask.hole()[i] || label[i] != 0) {
                continue;
            }
            next++;
            int sp = 0;
            stack[sp++] = i;
            label[i] = next;
            int x0 = w, y0 = h, x1 = -1, y1 = -1, n = 0;
            while (sp > 0) {
                int p = stack[--sp];
                int px = p % w;
                int py = p / w;
                n++;
                x0 = Math.min(x0, px);
                y0 = Math.min(y0, py);
                x1 = Math.max(x1, px);
                y1 = Math.max(y1, py);
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int qx = px + dx, qy = py + dy;
                        if (qx < 0 || qy < 0 || qx >= w || qy >= h) continue;
                        int q = qy * w + qx;
                        if (mask.hole()[q] && label[q] == 0) {
                            label[q] = next;
                            stack[sp++] = q;
                        }
                    }
                }
            }
            out.add(new Region(x0, y0, x1 - x0 + 1, y1 - y0 + 1, n));
        }
        return out;
    }

    /** Temp. */
    public static Mask dilate(Mask mask, int radius) {
        return mask;
    }

    /** Temp. */
    public static Mask fillHoles(Mask mask) {
        return mask;
    }

    /** Temp: distance to the nearest hole, capped. */
    public static int[] distanceToHole(Mask mask, int cap) {
        int w = mask.width(), h = mask.height();
        int[] d = new int[w * h];
        for (int i = 0; i < d.length; i++) d[i] = mask.hole()[i] ? 0 : cap;
        for (int iter = 0; iter < cap; iter++) {
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int i = y * w + x;
                    int best = d[i];
                    if (x > 0) best = Math.min(best, d[i - 1] + 1);
                    if (x < w - 1) best = Math.min(best, d[i + 1] + 1);
                    if (y > 0) best = Math.min(best, d[i - w] + 1);
                    if (y < h - 1) best = Math.min(best, d[i + w] + 1);
                    d[i] = Math.min(best, cap);
                }
        }
        return d;
    }
}
