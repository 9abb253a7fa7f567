package org.lamaworker.worker.image.jpeg;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.lamaworker.worker.image.ExifThumbnail;

/**
 * Which of a JPEG's application and comment segments an edited file keeps. All of them, in their
 * order, but a multi-picture index (MPF), whose offsets point at pictures after the end marker that
 * an edited file does not carry, and the previews files embed, which would still show what the edit
 * removed: EXIF's thumbnail, JFIF's and JFXX's, FlashPix's, and Photoshop's among its resources
 * (IPTC and the rest of them stay). Without metadata, only what decoding depends on (JFIF, the ICC
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
            if ((marker == 0xE2 && (named(segment, "MPF\0") || named(segment, "FPXR\0")))
                    || (marker == 0xE0 && named(segment, "JFXX\0"))) {
                continue;
            }
            boolean decoding =
                    (marker == 0xE0 && named(segment, "JFIF\0"))
                            || (marker == 0xE2 && named(segment, "ICC_PROFILE\0"))
                            || (marker == 0xEE && named(segment, "Adobe"));
            if (stripMetadata && !decoding) {
                continue;
            }
            if (marker == 0xE1 && named(segment, "Exif\0\0")) {
                segment = withoutThumbnail(segment);
            } else if (marker == 0xE0 && named(segment, "JFIF\0")) {
                segment = jfifWithoutThumbnail(segment);
            } else if (marker == 0xED && named(segment, "Photoshop 3.0\0")) {
                segment = photoshopWithoutThumbnail(segment);
                if (segment == null) {
                    continue;
                }
            }
            kept.add(segment);
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

    /** A JFIF segment without the thumbnail it may carry (its size set to 0 by 0). */
    private static byte[] jfifWithoutThumbnail(byte[] segment) {
        int header = 4 + 14; // marker, length, "JFIF\0", version, units, densities, 2 sizes
        if (segment.length <= header) {
            return segment;
        }
        byte[] out = java.util.Arrays.copyOf(segment, header);
        out[2] = 0;
        out[3] = (byte) (header - 2);
        out[header - 2] = 0;
        out[header - 1] = 0;
        return out;
    }

    /**
     * A Photoshop segment (image resources: IPTC, and more) without its thumbnail resources (1033
     * and 1036); {@code null} when it cannot be read, so that no preview slips through.
     */
    private static byte[] photoshopWithoutThumbnail(byte[] segment) {
        int start = 4 + "Photoshop 3.0\0".length();
        java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream();
        kept.write(segment, 0, start);
        int at = start;
        while (at < segment.length) {
            if (at + 12 > segment.length
                    || segment[at] != '8'
                    || segment[at + 1] != 'B'
                    || segment[at + 2] != 'I'
                    || segment[at + 3] != 'M') {
                return null;
            }
            int id = ((segment[at + 4] & 0xff) << 8) | (segment[at + 5] & 0xff);
            int nameLength = segment[at + 6] & 0xff;
            int nameField = (nameLength + 2) & ~1; // length byte and name, padded to even
            int sizeAt = at + 6 + nameField;
            if (sizeAt + 4 > segment.length) {
                return null;
            }
            long size =
                    ((long) (segment[sizeAt] & 0xff) << 24)
                            | ((segment[sizeAt + 1] & 0xff) << 16)
                            | ((segment[sizeAt + 2] & 0xff) << 8)
                            | (segment[sizeAt + 3] & 0xff);
            long end = sizeAt + 4 + size + (size & 1);
            if (end > segment.length) {
                return null;
            }
            if (id != 1033 && id != 1036) {
                kept.write(segment, at, (int) (end - at));
            }
            at = (int) end;
        }
        byte[] out = kept.toByteArray();
        out[2] = (byte) ((out.length - 2) >> 8);
        out[3] = (byte) (out.length - 2);
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
