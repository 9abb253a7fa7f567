package org.lamaworker.worker.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.worker.config.Strategy;
import org.lamaworker.worker.failure.JobFailure;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.MaskOps;
import org.lamaworker.worker.inference.ModelInfo;
import org.lamaworker.worker.inference.ModelShape;

/**
 * Decides which parts of a picture the model sees, at what scale: the resolution strategies.
 *
 * <ul>
 *   <li>{@code crop}: each connected part of the mask, grown by a margin of context; regions that
 *       overlap or come within the merge gap of each other are merged (unlike IOPaint, which runs
 *       one box per contour even when they overlap). A fixed-size model gets each region grown to
 *       its size when smaller (more context, no scaling) and scaled down when larger.
 *   <li>{@code resize}: the whole picture scaled down to the model's size (fixed) or pixel limit
 *       (dynamic), keeping its aspect ratio and padding the rest.
 *   <li>{@code original}: the whole picture at its own size, padded to the model's multiple.
 *   <li>{@code auto}: {@code original} when a dynamic model can take the picture within the pixel
 *       limit, otherwise {@code crop}.
 * </ul>
 */
public final class TilePlanner {
    /** Above this many mask parts, one region around all of them replaces per-part regions. */
    static final int MAX_PARTS = 256;

    /**
     * Planning limits.
     *
     * @param maxPixels most pixels a dynamic model gets in one tile
     * @param marginPx context added around each mask part by {@code crop}
     * @param mergeGapPx {@code crop} regions closer than this are merged
     */
    public record Settings(long maxPixels, int marginPx, int mergeGapPx) {}

    private TilePlanner() {}

    /** Plans the tiles for a picture of the mask's size. The mask must have a hole. */
    public static List<Tile> plan(
            Mask mask, Strategy strategy, ModelInfo model, Settings settings) {
        return plan(mask, MaskOps.components(mask), strategy, model, settings);
    }

    /**
     * Plans the tiles with the mask's parts already found ({@link MaskOps#components}), so that a
     * caller that counted them does not scan the mask again.
     */
    public static List<Tile> plan(
            Mask mask,
            List<MaskOps.Region> parts,
            Strategy strategy,
            ModelInfo model,
            Settings settings) {
        int w = mask.width();
        int h = mask.height();
        ModelShape shape = model.shape();
        Strategy chosen = strategy;
        if (chosen == Strategy.AUTO) {
            chosen =
                    shape.dynamic() && (long) w * h <= settings.maxPixels()
                            ? Strategy.ORIGINAL
                            : Strategy.CROP;
        }
        Rect whole = new Rect(0, 0, w, h);
        return switch (chosen) {
            case ORIGINAL -> {
                if (!shape.dynamic()) {
                    throw new JobFailure(
                            ErrorCode.INVALID_JOB,
                            "strategy original needs a model with dynamic height and width; this"
                                    + " worker's model takes "
                                    + shape.fixedWidth()
                                    + "x"
                                    + shape.fixedHeight()
                                    + ": use crop, resize or auto");
                }
                yield List.of(dynamicTile(whole, whole, shape, Long.MAX_VALUE));
            }
            case RESIZE ->
                    List.of(
                            shape.dynamic()
                                    ? dynamicTile(whole, whole, shape, settings.maxPixels())
                                    : fixedTile(whole, whole, shape));
            case CROP -> crop(mask, parts, model, settings);
            case AUTO -> throw new IllegalStateException("auto was resolved above");
        };
    }

    private static List<Tile> crop(
            Mask mask, List<MaskOps.Region> parts, ModelInfo model, Settings settings) {
        int w = mask.width();
        int h = mask.height();
        List<Rect> boxes = new ArrayList<>();
        if (parts.size() > MAX_PARTS) {
            boxes.add(bounds(parts).expand(settings.marginPx(), w, h));
        } else {
            for (MaskOps.Region part : parts) {
                boxes.add(
                        new Rect(part.x(), part.y(), part.width(), part.height())
                                .expand(settings.marginPx(), w, h));
            }
        }
        List<Rect> cores = merge(boxes, settings.mergeGapPx());
        ModelShape shape = model.shape();
        List<Tile> tiles = new ArrayList<>(cores.size());
        for (Rect core : cores) {
            if (shape.dynamic()) {
                tiles.add(dynamicTile(core, core, shape, settings.maxPixels()));
            } else {
                Rect region = core.growTo(shape.fixedWidth(), shape.fixedHeight(), w, h);
                tiles.add(fixedTile(region, core, shape));
            }
        }
        return tiles;
    }

    /**
     * IOPaint's crop policy, for comparison benchmarks only: one region per connected part of the
     * mask with the same margin, never merged, each scaled like a {@code crop} region. Regions may
     * overlap, so a pixel can be inpainted twice; only the last write survives.
     */
    public static List<Tile> perContour(Mask mask, ModelInfo model, Settings settings) {
        int w = mask.width();
        int h = mask.height();
        List<Tile> tiles = new ArrayList<>();
        for (MaskOps.Region part : MaskOps.components(mask)) {
            Rect box =
                    new Rect(part.x(), part.y(), part.width(), part.height())
                            .expand(settings.marginPx(), w, h);
            ModelShape shape = model.shape();
            tiles.add(
                    shape.dynamic()
                            ? dynamicTile(box, box, shape, settings.maxPixels())
                            : fixedTile(
                                    box.growTo(shape.fixedWidth(), shape.fixedHeight(), w, h),
                                    box,
                                    shape));
        }
        return tiles;
    }

    /** Merges boxes that overlap or lie within {@code gap} of each other, until none do. */
    static List<Rect> merge(List<Rect> boxes, int gap) {
        List<Rect> merged = new ArrayList<>(boxes);
        boolean changed = true;
        while (changed) {
            changed = false;
            outer:
            for (int i = 0; i < merged.size(); i++) {
                for (int j = i + 1; j < merged.size(); j++) {
                    if (merged.get(i).near(merged.get(j), gap)) {
                        merged.set(i, merged.get(i).union(merged.remove(j)));
                        changed = true;
                        break outer;
                    }
                }
            }
        }
        return merged;
    }

    private static Rect bounds(List<MaskOps.Region> parts) {
        Rect all = null;
        for (MaskOps.Region part : parts) {
            Rect r = new Rect(part.x(), part.y(), part.width(), part.height());
            all = all == null ? r : all.union(r);
        }
        return all;
    }

    /** The region at its size, scaled down to {@code maxPixels}, padded to the model's multiple. */
    private static Tile dynamicTile(Rect region, Rect core, ModelShape shape, long maxPixels) {
        double scale = Math.min(1.0, Math.sqrt((double) maxPixels / region.area()));
        int width = Math.max(1, (int) Math.floor(region.width() * scale));
        int height = Math.max(1, (int) Math.floor(region.height() * scale));
        return new Tile(
                region,
                core,
                width,
                height,
                roundUp(width, shape.multiple()),
                roundUp(height, shape.multiple()));
    }

    /** The region scaled down (never up) to fit the model's size, aspect kept, the rest padded. */
    private static Tile fixedTile(Rect region, Rect core, ModelShape shape) {
        double scale =
                Math.min(
                        1.0,
                        Math.min(
                                (double) shape.fixedWidth() / region.width(),
                                (double) shape.fixedHeight() / region.height()));
        int width =
                Math.max(1, Math.min(shape.fixedWidth(), (int) Math.round(region.width() * scale)));
        int height =
                Math.max(
                        1,
                        Math.min(shape.fixedHeight(), (int) Math.round(region.height() * scale)));
        return new Tile(region, core, width, height, shape.fixedWidth(), shape.fixedHeight());
    }

    private static int roundUp(int value, int multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }
}
