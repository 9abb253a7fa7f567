package org.lamaworker.worker.config;

import java.util.Locale;
import org.lamaworker.worker.pipeline.TilePlanner;

/** How a picture reaches the model; see {@link TilePlanner}. */
public enum Strategy {
    /** Crop for large pictures, the whole picture when it fits the model as it is. */
    AUTO,
    /** A region around each part of the mask, merged when regions overlap or nearly touch. */
    CROP,
    /** The whole picture, scaled down to the model's size or pixel limit. */
    RESIZE,
    /** The whole picture at its own size, padded; needs a model with dynamic height and width. */
    ORIGINAL;

    /** The strategy named {@code auto}, {@code crop}, {@code resize} or {@code original}. */
    public static Strategy parse(String name) {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
    }
}
