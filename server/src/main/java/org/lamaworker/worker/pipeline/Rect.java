package org.lamaworker.worker.pipeline;

/**
 * A rectangle of pixels.
 *
 * @param x left column
 * @param y top row
 * @param width width, at least 1
 * @param height height, at least 1
 */
public record Rect(int x, int y, int width, int height) {
    /** Validates the size. */
    public Rect {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("empty rectangle " + width + "x" + height);
        }
    }

    /** One past the right column. */
    public int right() {
        return x + width;
    }

    /** One past the bottom row. */
    public int bottom() {
        return y + height;
    }

    /** Number of pixels. */
    public long area() {
        return (long) width * height;
    }

    /** Grown by {@code by} on every side, then clipped to a {@code w x h} picture. */
    Rect expand(int by, int w, int h) {
        int x0 = Math.max(0, x - by);
        int y0 = Math.max(0, y - by);
        return new Rect(x0, y0, Math.min(w, right() + by) - x0, Math.min(h, bottom() + by) - y0);
    }

    /** Whether the two overlap or lie within {@code gap} pixels of each other. */
    boolean near(Rect other, int gap) {
        return x - gap < other.right()
                && other.x - gap < right()
                && y - gap < other.bottom()
                && other.y - gap < bottom();
    }

    /** The smallest rectangle holding both. */
    Rect union(Rect other) {
        int x0 = Math.min(x, other.x);
        int y0 = Math.min(y, other.y);
        return new Rect(
                x0,
                y0,
                Math.max(right(), other.right()) - x0,
                Math.max(bottom(), other.bottom()) - y0);
    }

    /**
     * At least {@code minWidth x minHeight} (as far as the picture allows), keeping this centred
     * where the picture's edges permit.
     */
    Rect growTo(int minWidth, int minHeight, int w, int h) {
        int nw = Math.min(w, Math.max(width, minWidth));
        int nh = Math.min(h, Math.max(height, minHeight));
        int nx = Math.max(0, Math.min(w - nw, x - (nw - width) / 2));
        int ny = Math.max(0, Math.min(h - nh, y - (nh - height) / 2));
        return new Rect(nx, ny, nw, nh);
    }

    /** Whether the pixel lies inside. */
    boolean contains(int px, int py) {
        return px >= x && px < right() && py >= y && py < bottom();
    }
}
