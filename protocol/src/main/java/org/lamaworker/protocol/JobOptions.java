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
 * @param format output image format: {@code auto} (the input's own format: JPEG, PNG or WebP, other
 *     formats as PNG), {@code png}, {@code jpeg} or {@code webp}; default the worker's {@code
 *     output.format}, itself {@code auto} by default
 * @param quality 1-100 for lossy output (JPEG, lossy WebP); without it a JPEG or lossy WebP input's
 *     own quality, estimated from the file, is used. A given quality makes WebP output lossy. Not
 *     allowed with {@code format=png}
 * @param stripMetadata drop EXIF (camera, capture time, GPS) and XMP from the output; the colour
 *     profile is kept. Default the worker's {@code output.stripMetadata} ({@code false})
 * @param jpegPatch for a JPEG written as JPEG: {@code true} (the default) edits the file's DCT
 *     coefficients where the edit reaches and keeps every other block as it was, so the rest of the
 *     photo loses nothing; {@code false} decodes and re-encodes the whole picture. Ignored for
 *     other formats
 * @param force {@code true} runs the job even when its output already exists from the same inputs,
 *     options and model (a redelivery or a duplicate submission); by default such a job is answered
 *     from the stored output
 */
public record JobOptions(
        String strategy,
        Integer maskThreshold,
        Integer maskDilatePx,
        Boolean fillHoles,
        Boolean resizeMask,
        String format,
        Integer quality,
        Boolean stripMetadata,
        Boolean jpegPatch,
        Boolean force) {
    /** Options that leave every choice to the worker's defaults. */
    public static final JobOptions DEFAULTS =
            new JobOptions(null, null, null, null, null, null, null, null, null, null);

    /** The output format names ({@code jpg} is also accepted, as {@code jpeg}). */
    public static final Set<String> FORMATS = Set.of("auto", "png", "jpeg", "webp");

    /** Options as before reuse of finished work existed: everything but {@code force}. */
    public JobOptions(
            String strategy,
            Integer maskThreshold,
            Integer maskDilatePx,
            Boolean fillHoles,
            Boolean resizeMask,
            String format,
            Integer quality,
            Boolean stripMetadata,
            Boolean jpegPatch) {
        this(
                strategy,
                maskThreshold,
                maskDilatePx,
                fillHoles,
                resizeMask,
                format,
                quality,
                stripMetadata,
                jpegPatch,
                null);
    }

    /** Options as before JPEG patching existed: everything but {@code jpegPatch}. */
    public JobOptions(
            String strategy,
            Integer maskThreshold,
            Integer maskDilatePx,
            Boolean fillHoles,
            Boolean resizeMask,
            String format,
            Integer quality,
            Boolean stripMetadata) {
        this(
                strategy,
                maskThreshold,
                maskDilatePx,
                fillHoles,
                resizeMask,
                format,
                quality,
                stripMetadata,
                null);
    }

    /** Options as before metadata handling existed: everything but {@code stripMetadata}. */
    public JobOptions(
            String strategy,
            Integer maskThreshold,
            Integer maskDilatePx,
            Boolean fillHoles,
            Boolean resizeMask,
            String format,
            Integer quality) {
        this(
                strategy,
                maskThreshold,
                maskDilatePx,
                fillHoles,
                resizeMask,
                format,
                quality,
                null,
                null);
    }

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
            Checks.check(FORMATS.contains(format), "format", "must be auto, png, jpeg or webp");
        }
        if (quality != null) {
            Checks.check(quality >= 1 && quality <= 100, "quality", "must be 1-100");
            Checks.check(
                    !"png".equals(format),
                    "quality",
                    "applies only to lossy output (jpeg, webp or auto), not to format=png");
        }
    }
}
