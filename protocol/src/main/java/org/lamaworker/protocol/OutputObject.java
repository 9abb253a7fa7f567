package org.lamaworker.protocol;

import java.util.Set;

/**
 * The stored result picture.
 *
 * @param bucket bucket it was written to
 * @param key its key
 * @param width width in pixels, the input's width
 * @param height height in pixels, the input's height
 * @param contentType MIME type, e.g. {@code image/png}
 * @param bytes object size in bytes
 * @param jpegPatch for a JPEG input written as JPEG, how: {@code patched} (only the blocks the edit
 *     reaches were re-encoded; every other block is the input's, bit for bit), {@code reencoded}
 *     (the whole picture, as the job asked with {@code jpegPatch=false} or a {@code quality}) or
 *     {@code fallback} (the whole picture, because the input's coding cannot be patched: CMYK,
 *     arithmetic coding, a damaged file, ...); absent for other formats
 * @param reused {@code true} when the output already existed from the same inputs, options and
 *     model, and the job was answered without running it again; absent otherwise
 */
public record OutputObject(
        String bucket,
        String key,
        int width,
        int height,
        String contentType,
        long bytes,
        String jpegPatch,
        Boolean reused) {
    /** The values of {@code jpegPatch}. */
    public static final Set<String> JPEG_PATCH_VALUES = Set.of("patched", "reencoded", "fallback");

    /** A result that is not a JPEG edited from a JPEG. */
    public OutputObject(
            String bucket, String key, int width, int height, String contentType, long bytes) {
        this(bucket, key, width, height, contentType, bytes, null, null);
    }

    /** A result just computed. */
    public OutputObject(
            String bucket,
            String key,
            int width,
            int height,
            String contentType,
            long bytes,
            String jpegPatch) {
        this(bucket, key, width, height, contentType, bytes, jpegPatch, null);
    }

    /** Validates the location and sizes. */
    public OutputObject {
        Checks.bucket("bucket", bucket);
        Checks.key("key", key);
        Checks.check(width > 0, "width", "must be > 0");
        Checks.check(height > 0, "height", "must be > 0");
        Checks.required("contentType", contentType);
        Checks.nonNegative("bytes", bytes);
        reused = Boolean.TRUE.equals(reused) ? Boolean.TRUE : null;
        Checks.check(
                jpegPatch == null || JPEG_PATCH_VALUES.contains(jpegPatch),
                "jpegPatch",
                "must be patched, reencoded or fallback");
    }
}
