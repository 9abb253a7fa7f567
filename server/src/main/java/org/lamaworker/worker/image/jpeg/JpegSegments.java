package org.lamaworker.worker.image.jpeg;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.lamaworker.worker.image.ExifThumbnail;

/**
 * Which of a JPEG's application and comment segments an edited file keeps. All of them, in their
 * order, but a multi-picture index (MPF), whose offsets point at pictures after the end marker that
 * an edited file does not carry; without metadata, only what decoding depends on (JFIF, the ICC
 * profile, Adobe's colour transform).
 */
public final class JpegSegments {
    private JpegSegments() {}

    /**
     * The segments to write.
     *
     * @param stripMetadata keep only the segments that change how the picture decodes
     */
    public static List<byte[]> kept(List<byte[]> segments, boolean stripMetadata) {
        List<byte[]> kept = new ArrayList<>(segments.size());
        for (byte[] segment : segments) {
            int marker = segment[1] & 0xff;
            if (marker == 0xE2 && named(segment, "MPF\0")) {
                continue;
            }
            boolean decoding =
                    (marker == 0xE0 && named(segment, "JFIF\0"))
                            || (marker == 0xE2 && named(segment, "ICC_PROFILE\0"))
                            || (marker == 0xEE && named(segment, "Adobe"));
            if (!stripMetadata || decoding) {
                kept.add(
                        marker == 0xE1 && named(segment, "Exif\0\0")
                                ? withoutThumbnail(segment)
                                : segment);
            }
        }
        return kept;
    }

    /**
     * An EXIF segment without its thumbnail, which shows the picture before the edit ({@link
     * ExifThumbnail}); the same length, so the segment's header stays right.
     */
    private static byte[] withoutThumbnail(byte[] segment) {
        byte[] body = java.util.Arrays.copyOfRange(segment, 4, segment.length);
        byte[] cleaned = ExifThumbnail.removed(body);
        if (cleaned == body) {
            return segment;
        }
        byte[] out = segment.clone();
        System.arraycopy(cleaned, 0, out, 4, cleaned.length);
        return out;
    }

    /** Whether a segment's body starts with the identifier. */
    private static boolean named(byte[] segment, String id) {
        byte[] expected = id.getBytes(StandardCharsets.ISO_8859_1);
        if (segment.length < 4 + expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (segment[4 + i] != expected[i]) {
                return false;
            }
        }
        return true;
    }
}
