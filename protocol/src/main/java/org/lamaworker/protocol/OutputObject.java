package org.lamaworker.protocol;

/**
 * The stored result picture.
 *
 * @param bucket bucket it was written to
 * @param key its key
 * @param width width in pixels, the input's width
 * @param height height in pixels, the input's height
 * @param contentType MIME type, e.g. {@code image/png}
 * @param bytes object size in bytes
 */
public record OutputObject(
        String bucket, String key, int width, int height, String contentType, long bytes) {
    /** Validates the location and sizes. */
    public OutputObject {
        Checks.bucket("bucket", bucket);
        Checks.key("key", key);
        Checks.check(width > 0, "width", "must be > 0");
        Checks.check(height > 0, "height", "must be > 0");
        Checks.required("contentType", contentType);
        Checks.nonNegative("bytes", bytes);
    }
}
