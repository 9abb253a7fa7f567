package org.lamaworker.protocol;

import java.util.Locale;
import java.util.Set;

/**
 * Per-job options. Every field is optional; the worker's configuration supplies defaults. Unknown
 * option names are rejected when a job is decoded.
 *
 * @param strategy how the picture reaches the model: {@code crop} (a region around each part of the
 *     mask), {@code resize} (the whole picture scaled down), {@code original} (the whole picture at
 *     its size) or {@code auto} (chosen from picture and mask size)
 * @param maskThreshold mask values at or above this (1-255) mark the hole; default 128
 * @param maskDilatePx grow the mask by this many pixels (0-64) so strokes cover object edges
 * @param fillHoles fill regions enclosed by the mask (a hollow ring becomes a disc)
 * @param resizeMask scale a mask whose size differs from the image's instead of failing
 * @param format output image format, {@code png} (default), {@code jpeg} or {@code webp}
 * @param quality JPEG quality 1-100, only with {@code format=jpeg}
 */
public record JobOptions(
        String strategy,
        Integer maskThreshold,
        Integer maskDilatePx,
        Boolean fillHoles,
        Boolean resizeMask,
        String format,
        Integer quality) {
    /** Options that leave every choice to the worker's defaults. */
    public static final JobOptions DEFAULTS =
            new JobOptions(null, null, null, null, null, null, null);

    /** The strategy names. */
    public static final Set<String> STRATEGIES = Set.of("auto", "crop", "resize", "original");

    /** The most a mask may be grown. */
    public static final int MAX_DILATE_PX = 64;

    /** Validates ranges and names. */
    public JobOptions {
        if (strategy != null) {
            strategy = strategy.toLowerCase(Locale.ROOT);
            Checks.check(
                    STRATEGIES.contains(strategy),
                    "strategy",
                    "must be one of auto, crop, resize, original");
        }
        if (maskThreshold != null) {
            Checks.check(
                    maskThreshold >= 1 && maskThreshold <= 255, "maskThreshold", "must be 1-255");
        }
        if (maskDilatePx != null) {
            Checks.check(
                    maskDilatePx >= 0 && maskDilatePx <= MAX_DILATE_PX,
                    "maskDilatePx",
                    "must be 0-" + MAX_DILATE_PX);
        }
        if (format != null) {
            format = format.toLowerCase(Locale.ROOT);
            if (format.equals("jpg")) {
                format = "jpeg";
            }
            Checks.check(
                    format.equals("png") || format.equals("jpeg") || format.equals("webp"),
                    "format",
                    "must be png, jpeg or webp");
        }
        if (quality != null) {
            Checks.check(quality >= 1 && quality <= 100, "quality", "must be 1-100");
            Checks.check("jpeg".equals(format), "quality", "applies only with format=jpeg");
        }
    }
}
