package org.lamaworker.worker.pipeline;

/**
 * One model input cut from a picture.
 *
 * @param region the picture pixels given to the model (context included)
 * @param core the pixels whose result this tile writes; cores of one plan never overlap
 * @param width width of the region once scaled into the tensor
 * @param height height of the region once scaled into the tensor
 * @param tensorWidth tensor width (width plus padding)
 * @param tensorHeight tensor height (height plus padding)
 */
public record Tile(
        Rect region, Rect core, int width, int height, int tensorWidth, int tensorHeight) {
    /** Validates the geometry. */
    public Tile {
        if (width < 1 || height < 1 || width > tensorWidth || height > tensorHeight) {
            throw new IllegalArgumentException(
                    "tile " + width + "x" + height + " in " + tensorWidth + "x" + tensorHeight);
        }
    }

    /** Whether the region is scaled on its way into the tensor. */
    public boolean scaled() {
        return width != region.width() || height != region.height();
    }
}
