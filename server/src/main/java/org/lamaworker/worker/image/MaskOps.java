package org.lamaworker.worker.image;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Operations on masks, linear in the number of pixels and allocation-light, so they stay cheap on a
 * 5K picture: growth by a Euclidean distance, filling enclosed holes, and connected parts.
 */
public final class MaskOps {
    private static final float FAR = 1e30f;

    private MaskOps() {}

    /**
     * The bounding box of one 8-connected part of a mask.
     *
     * @param x left column
     * @param y top row
     * @param width width
     * @param height height
     * @param pixels hole pixels in the part
     */
    public record Region(int x, int y, int width, int height, int pixels) {}

    /**
     * Squared Euclidean distance from every pixel to the nearest hole pixel (0 on the hole; {@link
     * #FAR} when the mask has no hole), by the separable transform of Felzenszwalb and
     * Huttenlocher.
     */
    static float[] squaredDistance(Mask mask) {
        int w = mask.width();
        int h = mask.height();
        float[] d = new float[w * h];
        boolean[] hole = mask.hole();
        for (int i = 0; i < d.length; i++) {
            d[i] = hole[i] ? 0f : FAR;
        }
        int longest = Math.max(w, h);
        float[] line = new float[longest];
        float[] out = new float[longest];
        int[] v = new int[longest];
        float[] z = new float[longest + 1];
        for (int x = 0; x < w; x++) {
            for (int y = 0; y < h; y++) {
                line[y] = d[y * w + x];
            }
            transform(line, h, out, v, z);
            for (int y = 0; y < h; y++) {
                d[y * w + x] = out[y];
            }
        }
        for (int y = 0; y < h; y++) {
            System.arraycopy(d, y * w, line, 0, w);
            transform(line, w, out, v, z);
            System.arraycopy(out, 0, d, y * w, w);
        }
        return d;
    }

    /** One-dimensional squared distance transform of {@code f[0..n)} into {@code d}. */
    private static void transform(float[] f, int n, float[] d, int[] v, float[] z) {
        int k = 0;
        v[0] = 0;
        z[0] = -FAR;
        z[1] = FAR;
        for (int q = 1; q < n; q++) {
            if (f[q] >= FAR) {
                continue; // a pixel with no hole in its column cannot be a nearest source
            }
            if (f[v[k]] >= FAR) {
                v[k] = q; // replace a far source
                z[k] = -FAR;
                z[k + 1] = FAR;
                continue;
            }
            float s = intersection(f, q, v[k]);
            while (s <= z[k]) {
                k--;
                s = intersection(f, q, v[k]);
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = FAR;
        }
        if (f[v[0]] >= FAR) {
            Arrays.fill(d, 0, n, FAR);
            return;
        }
        k = 0;
        for (int q = 0; q < n; q++) {
            while (z[k + 1] < q) {
                k++;
            }
            float dq = q - v[k];
            d[q] = dq * dq + f[v[k]];
        }
    }

    private static float intersection(float[] f, int q, int p) {
        return ((f[q] + (float) q * q) - (f[p] + (float) p * p)) / (2f * (q - p));
    }

    /**
     * The mask grown by {@code radius} pixels: every pixel within that Euclidean distance of the
     * hole.
     */
    public static Mask dilate(Mask mask, int radius) {
        if (radius <= 0) {
            return mask;
        }
        return withinBounds(mask, radius, part -> dilateWhole(part, radius));
    }

    private static Mask dilateWhole(Mask mask, int radius) {
        float[] d = squaredDistance(mask);
        float limit = (float) radius * radius;
        boolean[] grown = new boolean[d.length];
        for (int i = 0; i < d.length; i++) {
            grown[i] = d[i] <= limit;
        }
        return new Mask(mask.width(), mask.height(), grown);
    }

    /**
     * For every pixel, the Euclidean distance to the nearest hole pixel rounded up, at most {@code
     * cap}: 0 on the hole, 1 next to it.
     */
    public static int[] distanceToHole(Mask mask, int cap) {
        int[] bounds = holeBounds(mask, cap);
        if (bounds == null) {
            int[] far = new int[mask.hole().length];
            Arrays.fill(far, cap);
            return far;
        }
        if (covers(bounds, mask)) {
            return distanceWhole(mask, cap);
        }
        int[] part = distanceWhole(crop(mask, bounds), cap);
        int w = mask.width();
        int pw = bounds[2] - bounds[0];
        int[] distance = new int[mask.hole().length];
        Arrays.fill(distance, cap);
        for (int y = bounds[1]; y < bounds[3]; y++) {
            System.arraycopy(part, (y - bounds[1]) * pw, distance, y * w + bounds[0], pw);
        }
        return distance;
    }

    private static int[] distanceWhole(Mask mask, int cap) {
        float[] d = squaredDistance(mask);
        int[] distance = new int[d.length];
        float capSquared = (float) cap * cap;
        for (int i = 0; i < d.length; i++) {
            distance[i] = d[i] >= capSquared ? cap : (int) Math.ceil(Math.sqrt(d[i]) - 1e-6);
        }
        return distance;
    }

    /**
     * The mask with its enclosed holes filled: keep-pixels that cannot reach the picture's border
     * through keep-pixels (4-connected) become hole. A hollow ring becomes a disc.
     */
    public static Mask fillHoles(Mask mask) {
        // Pixels beyond the hole's bounding box all reach the border around it, so the box with
        // a one-pixel ring decides every enclosed pixel.
        return withinBounds(mask, 1, MaskOps::fillHolesWhole);
    }

    /**
     * The hole's bounding box grown by {@code margin} and clipped to the mask, as {x0, y0, x1, y1}
     * (ends exclusive); {@code null} when the mask has no hole.
     */
    static int[] holeBounds(Mask mask, int margin) {
        int w = mask.width();
        int h = mask.height();
        boolean[] hole = mask.hole();
        int x0 = w;
        int x1 = -1;
        int y0 = -1;
        int y1 = -1;
        for (int y = 0; y < h; y++) {
            int row = y * w;
            int first = -1;
            for (int x = 0; x < w; x++) {
                if (hole[row + x]) {
                    first = x;
                    break;
                }
            }
            if (first < 0) {
                continue;
            }
            int last = first;
            for (int x = w - 1; x > first; x--) {
                if (hole[row + x]) {
                    last = x;
                    break;
                }
            }
            x0 = Math.min(x0, first);
            x1 = Math.max(x1, last);
            y0 = y0 < 0 ? y : y0;
            y1 = y;
        }
        if (y0 < 0) {
            return null;
        }
        return new int[] {
            Math.max(0, x0 - margin),
            Math.max(0, y0 - margin),
            (int) Math.min(w, (long) x1 + 1 + margin),
            (int) Math.min(h, (long) y1 + 1 + margin)
        };
    }

    private static boolean covers(int[] bounds, Mask mask) {
        return bounds[0] == 0
                && bounds[1] == 0
                && bounds[2] == mask.width()
                && bounds[3] == mask.height();
    }

    private static Mask crop(Mask mask, int[] bounds) {
        int w = mask.width();
        int pw = bounds[2] - bounds[0];
        int ph = bounds[3] - bounds[1];
        boolean[] part = new boolean[pw * ph];
        for (int y = 0; y < ph; y++) {
            System.arraycopy(mask.hole(), (bounds[1] + y) * w + bounds[0], part, y * pw, pw);
        }
        return new Mask(pw, ph, part);
    }

    /**
     * Applies an operation that changes nothing farther than {@code margin} pixels from the hole to
     * the hole's bounding box grown by that margin only, so its cost follows the hole's size, not
     * the picture's.
     */
    private static Mask withinBounds(Mask mask, int margin, UnaryOperator<Mask> operation) {
        int[] bounds = holeBounds(mask, margin);
        if (bounds == null) {
            return mask;
        }
        if (covers(bounds, mask)) {
            return operation.apply(mask);
        }
        Mask part = operation.apply(crop(mask, bounds));
        boolean[] result = mask.hole().clone();
        int pw = part.width();
        for (int y = 0; y < part.height(); y++) {
            System.arraycopy(
                    part.hole(), y * pw, result, (bounds[1] + y) * mask.width() + bounds[0], pw);
        }
        return new Mask(mask.width(), mask.height(), result);
    }

    private static Mask fillHolesWhole(Mask mask) {
        int w = mask.width();
        int h = mask.height();
        boolean[] hole = mask.hole();
        boolean[] outside = new boolean[hole.length];
        IntStack stack = new IntStack();
        for (int x = 0; x < w; x++) {
            seed(x, hole, outside, stack);
            seed((h - 1) * w + x, hole, outside, stack);
        }
        for (int y = 0; y < h; y++) {
            seed(y * w, hole, outside, stack);
            seed(y * w + w - 1, hole, outside, stack);
        }
        while (!stack.isEmpty()) {
            int p = stack.pop();
            int x = p % w;
            if (x > 0) {
                seed(p - 1, hole, outside, stack);
            }
            if (x < w - 1) {
                seed(p + 1, hole, outside, stack);
            }
            if (p >= w) {
                seed(p - w, hole, outside, stack);
            }
            if (p + w < hole.length) {
                seed(p + w, hole, outside, stack);
            }
        }
        boolean[] filled = new boolean[hole.length];
        for (int i = 0; i < filled.length; i++) {
            filled[i] = !outside[i];
        }
        return new Mask(w, h, filled);
    }

    private static void seed(int p, boolean[] hole, boolean[] outside, IntStack stack) {
        if (!hole[p] && !outside[p]) {
            outside[p] = true;
            stack.push(p);
        }
    }

    /**
     * Bounding boxes of the 8-connected parts of the hole, in the order their first pixels appear.
     */
    public static List<Region> components(Mask mask) {
        return components(mask, Integer.MAX_VALUE);
    }

    /**
     * Like {@link #components(Mask)}, but stops once more than {@code limit} parts are found, so a
     * noise picture sent as a mask costs one partial scan, not a region per speck.
     *
     * @return at most {@code limit + 1} regions
     */
    public static List<Region> components(Mask mask, int limit) {
        int w = mask.width();
        int h = mask.height();
        boolean[] hole = mask.hole();
        boolean[] seen = new boolean[hole.length];
        IntStack stack = new IntStack();
        List<Region> regions = new ArrayList<>();
        for (int start = 0; start < hole.length && regions.size() <= limit; start++) {
            if (!hole[start] || seen[start]) {
                continue;
            }
            seen[start] = true;
            stack.push(start);
            int x0 = w;
            int y0 = h;
            int x1 = -1;
            int y1 = -1;
            int pixels = 0;
            while (!stack.isEmpty()) {
                int p = stack.pop();
                int px = p % w;
                int py = p / w;
                pixels++;
                x0 = Math.min(x0, px);
                y0 = Math.min(y0, py);
                x1 = Math.max(x1, px);
                y1 = Math.max(y1, py);
                for (int dy = -1; dy <= 1; dy++) {
                    int qy = py + dy;
                    if (qy < 0 || qy >= h) {
                        continue;
                    }
                    for (int dx = -1; dx <= 1; dx++) {
                        int qx = px + dx;
                        int q = qy * w + qx;
                        if (qx >= 0 && qx < w && hole[q] && !seen[q]) {
                            seen[q] = true;
                            stack.push(q);
                        }
                    }
                }
            }
            regions.add(new Region(x0, y0, x1 - x0 + 1, y1 - y0 + 1, pixels));
        }
        return regions;
    }

    /** A growable stack of ints, so flood fills allocate nothing per pixel. */
    private static final class IntStack {
        private int[] items = new int[1024];
        private int size;

        void push(int value) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            items[size++] = value;
        }

        int pop() {
            return items[--size];
        }

        boolean isEmpty() {
            return size == 0;
        }
    }
}
