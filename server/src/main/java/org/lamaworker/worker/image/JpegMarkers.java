package org.lamaworker.worker.image;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Reads what a JPEG's marker segments say before its pixels (EXIF, XMP, ICC profile, quantisation
 * tables, chroma subsampling) and writes EXIF, XMP and ICC segments into an encoded JPEG. The JDK
 * decoder neither returns the EXIF and XMP nor writes them back, and applying the ICC profile
 * through it would change every pixel's stored value; so the worker carries them itself.
 *
 * <p>Parsing never fails: a segment that is malformed or runs past the end stops the reading, and
 * what was read so far is kept. The decoder then decides whether the picture itself is usable.
 */
final class JpegMarkers {
    private static final byte[] EXIF_ID = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] XMP_ID =
            "http://ns.adobe.com/xap/1.0/\0".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] ICC_ID = "ICC_PROFILE\0".getBytes(StandardCharsets.ISO_8859_1);

    /** Largest payload of one marker segment: its 16-bit length counts itself. */
    private static final int MAX_PAYLOAD = 65533;

    /** ICC bytes per APP2 segment: the payload less the identifier and the two counters. */
    private static final int ICC_CHUNK = MAX_PAYLOAD - ICC_ID.length - 2;

    /** The most an ICC profile may be; real ones are a few kB, a wide-gamut LUT profile ~1 MB. */
    static final int MAX_ICC_BYTES = 4 << 20;

    private JpegMarkers() {}

    /**
     * What the segments say.
     *
     * @param exif the EXIF TIFF block, or {@code null}
     * @param xmp the XMP packet, or {@code null}
     * @param icc the ICC profile, reassembled from its chunks, or {@code null}
     * @param lumaTable the quantisation table of the first component in natural (row) order, or
     *     {@code null}
     * @param components colour components in the frame (1 grey, 3 YCbCr or RGB, 4 CMYK or YCCK)
     * @param lumaH how many times the first component's horizontal sampling factor is the second's:
     *     2 for 4:2:0 and 4:2:2, 1 for 4:4:4 (also when all components are 2x2)
     * @param lumaV the same, vertically: 2 for 4:2:0
     */
    record Info(
            byte[] exif,
            byte[] xmp,
            byte[] icc,
            int[] lumaTable,
            int components,
            int lumaH,
            int lumaV) {}

    /** Whether the bytes start like a JPEG. */
    static boolean isJpeg(byte[] b) {
        return b.length >= 3
                && (b[0] & 0xff) == 0xff
                && (b[1] & 0xff) == 0xd8
                && (b[2] & 0xff) == 0xff;
    }

    /** Reads the segments before the first scan. */
    static Info read(byte[] b) {
        byte[] exif = null;
        byte[] xmp = null;
        TreeMap<Integer, byte[]> iccChunks = new TreeMap<>();
        int iccBytes = 0;
        int[][] tables = new int[4][];
        int components = 0;
        int lumaH = 1;
        int lumaV = 1;
        int chromaH = 1;
        int chromaV = 1;
        int lumaTableId = 0;
        int p = 2;
        while (p + 4 <= b.length) {
            if ((b[p] & 0xff) != 0xff) {
                break;
            }
            int marker = b[p + 1] & 0xff;
            if (marker == 0xff) {
                p++; // fill byte
                continue;
            }
            if (marker == 0xda || marker == 0xd9) {
                break; // the first scan: no more header segments
            }
            int length = u16(b, p + 2);
            int start = p + 4;
            int end = p + 2 + length;
            if (length < 2 || end > b.length) {
                break;
            }
            if (marker == 0xe1 && exif == null && startsWith(b, start, end, EXIF_ID)) {
                exif = slice(b, start + EXIF_ID.length, end);
            } else if (marker == 0xe1 && xmp == null && startsWith(b, start, end, XMP_ID)) {
                xmp = slice(b, start + XMP_ID.length, end);
            } else if (marker == 0xe2
                    && startsWith(b, start, end, ICC_ID)
                    && end - start > ICC_ID.length + 2) {
                int sequence = b[start + ICC_ID.length] & 0xff;
                byte[] chunk = slice(b, start + ICC_ID.length + 2, end);
                iccBytes += chunk.length;
                if (iccBytes <= MAX_ICC_BYTES) {
                    iccChunks.putIfAbsent(sequence, chunk);
                }
            } else if (marker == 0xdb) {
                readTables(b, start, end, tables);
            } else if (isFrame(marker) && end - start >= 6) {
                components = b[start + 5] & 0xff;
                if (components >= 1 && start + 6 + 3 <= end) {
                    int sampling = b[start + 7] & 0xff;
                    lumaH = Math.max(1, sampling >> 4);
                    lumaV = Math.max(1, sampling & 0x0f);
                    lumaTableId = b[start + 8] & 0x03;
                }
                if (components >= 2 && start + 6 + 6 <= end) {
                    int sampling = b[start + 10] & 0xff;
                    chromaH = Math.max(1, sampling >> 4);
                    chromaV = Math.max(1, sampling & 0x0f);
                }
            }
            p = end;
        }
        byte[] icc = null;
        if (!iccChunks.isEmpty() && iccBytes <= MAX_ICC_BYTES) {
            ByteArrayOutputStream joined = new ByteArrayOutputStream(iccBytes);
            iccChunks.values().forEach(joined::writeBytes);
            icc = joined.toByteArray();
        }
        return new Info(
                exif,
                xmp,
                icc,
                tables[lumaTableId],
                components,
                Math.max(1, lumaH / chromaH),
                Math.max(1, lumaV / chromaV));
    }

    /** SOF0-SOF15 but not DHT (C4), JPG (C8) or DAC (CC). */
    private static boolean isFrame(int marker) {
        return marker >= 0xc0
                && marker <= 0xcf
                && marker != 0xc4
                && marker != 0xc8
                && marker != 0xcc;
    }

    /** Reads the tables of one DQT segment, in natural order, into {@code tables[id]}. */
    private static void readTables(byte[] b, int start, int end, int[][] tables) {
        int p = start;
        while (p < end) {
            int precision = (b[p] & 0xff) >> 4;
            int id = b[p] & 0x03;
            int size = precision == 0 ? 64 : 128;
            if (p + 1 + size > end) {
                return;
            }
            int[] table = new int[64];
            for (int k = 0; k < 64; k++) {
                int v = precision == 0 ? b[p + 1 + k] & 0xff : u16(b, p + 1 + 2 * k);
                table[JpegQuality.NATURAL_ORDER[k]] = v;
            }
            tables[id] = table;
            p += 1 + size;
        }
    }

    /**
     * Writes EXIF, XMP and ICC segments into an encoded JPEG, after its JFIF segment when it has
     * one (JFIF asks to come first). Blocks too large for a segment are left out: EXIF and XMP must
     * each fit one (their extended forms are not written), an ICC profile is split in chunks.
     *
     * @return the new file, or {@code jpeg} itself when there is nothing to write
     */
    static byte[] withSegments(byte[] jpeg, byte[] icc, Metadata metadata) {
        List<byte[]> segments = new ArrayList<>();
        if (metadata.exif() != null && EXIF_ID.length + metadata.exif().length <= MAX_PAYLOAD) {
            segments.add(segment(0xe1, EXIF_ID, metadata.exif()));
        }
        if (metadata.xmp() != null && XMP_ID.length + metadata.xmp().length <= MAX_PAYLOAD) {
            segments.add(segment(0xe1, XMP_ID, metadata.xmp()));
        }
        if (icc != null) {
            int count = (icc.length + ICC_CHUNK - 1) / ICC_CHUNK;
            if (count <= 255) {
                for (int i = 0; i < count; i++) {
                    int from = i * ICC_CHUNK;
                    int to = Math.min(icc.length, from + ICC_CHUNK);
                    byte[] head = new byte[ICC_ID.length + 2];
                    System.arraycopy(ICC_ID, 0, head, 0, ICC_ID.length);
                    head[ICC_ID.length] = (byte) (i + 1);
                    head[ICC_ID.length + 1] = (byte) count;
                    byte[] body = new byte[to - from];
                    System.arraycopy(icc, from, body, 0, body.length);
                    segments.add(segment(0xe2, head, body));
                }
            }
        }
        if (segments.isEmpty()) {
            return jpeg;
        }
        int insertAt = 2;
        if (jpeg.length > 6 && (jpeg[2] & 0xff) == 0xff && (jpeg[3] & 0xff) == 0xe0) {
            insertAt = 4 + u16(jpeg, 4);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(jpeg.length + 70_000);
        out.write(jpeg, 0, insertAt);
        segments.forEach(out::writeBytes);
        out.write(jpeg, insertAt, jpeg.length - insertAt);
        return out.toByteArray();
    }

    private static byte[] segment(int marker, byte[] id, byte[] body) {
        int length = 2 + id.length + body.length;
        byte[] s = new byte[2 + length];
        s[0] = (byte) 0xff;
        s[1] = (byte) marker;
        s[2] = (byte) (length >> 8);
        s[3] = (byte) length;
        System.arraycopy(id, 0, s, 4, id.length);
        System.arraycopy(body, 0, s, 4 + id.length, body.length);
        return s;
    }

    private static boolean startsWith(byte[] b, int start, int end, byte[] prefix) {
        if (end - start < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[start + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] slice(byte[] b, int from, int to) {
        byte[] s = new byte[to - from];
        System.arraycopy(b, from, s, 0, s.length);
        return s;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }
}
