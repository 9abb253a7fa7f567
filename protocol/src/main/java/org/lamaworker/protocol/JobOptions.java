package org.lamaworker.protocol;

import java.util.Locale;

/**
 * Per-job options. Every field is optional; the worker's configuration supplies defaults. Unknown
 * option names are rejected when a job is decoded.
 *
 * @param maskThreshold mask values at or above this (0-255) mark the hole; default 128
 * @param resizeMask scale a mask whose size differs from the image's instead of failing
 * @param format output image format, {@code png} (default) or {@code jpeg}
 * @param quality JPEG quality 1-100, only with {@code format=jpeg}
 */
public record JobOptions(
        Integer maskThreshold, Boolean resizeMask, String format, Integer quality) {
    /** Options that leave every choice to the worker's defaults. */
    public static final JobOptions DEFAULTS = new JobOptions(null, null, null, null);

    /** Validates ranges and the format name. */
    public JobOptions {
        if (maskThreshold != null) {
            Checks.check(
                    maskThreshold >= 1 && maskThreshold <= 255, "maskThreshold", "must be 1-255");
        }
        if (format != null) {
            format = format.toLowerCase(Locale.ROOT);
            if (format.equals("jpg")) {
                format = "jpeg";
            }
            Checks.check(
                    format.equals("png") || format.equals("jpeg"), "format", "must be png or jpeg");
        }
        if (quality != null) {
            Checks.check(quality >= 1 && quality <= 100, "quality", "must be 1-100");
            Checks.check("jpeg".equals(format), "quality", "applies only with format=jpeg");
        }
    }
}
