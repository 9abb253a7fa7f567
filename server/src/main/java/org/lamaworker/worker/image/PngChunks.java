package org.lamaworker.worker.image;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Reads a PNG's colour profile ({@code iCCP}), EXIF ({@code eXIf}) and XMP ({@code iTXt} with the
 * keyword {@code XML:com.adobe.xmp}), and writes them into an encoded PNG. The JDK codec reads the
 * stored samples without applying the profile, which is what the worker wants, but neither hands
 * these blocks back nor writes them.
 *
 * <p>Parsing never fails: a malformed chunk ends the reading and what was read so far is kept.
 * Compressed blocks are inflated only up to a cap, so a small file cannot unpack into gigabytes.
 */
final class PngChunks {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final String XMP_KEYWORD = "XML:com.adobe.xmp";

    /** Chunks that say what colour space the samples are in; an embedded profile replaces them. */
    private static final Set<String> COLOUR_CHUNKS = Set.of("iCCP", "sRGB", "gAMA", "cHRM");

    private PngChunks() {}

    /**
     * What the chunks say.
     *
     * @param icc the ICC profile, inflated, or {@code null}
     * @param exif the EXIF TIFF block, or {@code null}
     * @param xmp the XMP packet, or {@code null}
     */
    record Info(byte[] icc, byte[] exif, byte[] xmp) {}

    /** Whether the bytes start like a PNG. */
    static boolean isPng(byte[] b) {
        if (b.length < SIGNATURE.length) {
            return false;
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (b[i] != SIGNATURE[i]) {
                return false;
            }
        }
        return true;
    }

    /** Reads the chunks before the image data ends. */
    static Info read(byte[] b) {
        byte[] icc = null;
        byte[] exif = null;
        byte[] xmp = null;
        int p = SIGNATURE.length;
        while (p + 12 <= b.length) {
            long length = u32(b, p);
            String type = new String(b, p + 4, 4, StandardCharsets.ISO_8859_1);
            if (length > b.length - p - 12) {
                break;
            }
            int start = p + 8;
            int end = start + (int) length;
            switch (type) {
                case "iCCP" -> icc = icc != null ? icc : profile(b, start, end);
                case "eXIf" ->
                        exif =
                                exif != null || end - start > Metadata.MAX_EXIF_BYTES
                                        ? exif
                                        : Metadata.tiff(slice(b, start, end));
                case "iTXt" -> xmp = xmp != null ? xmp : xmp(b, start, end);
                default -> {}
            }
            if (type.equals("IEND")) {
                break;
            }
            p = end + 4;
        }
        return new Info(icc, exif, xmp);
    }

    /** The profile of an {@code iCCP} chunk: a name, a NUL, method 0 and zlib data. */
    private static byte[] profile(byte[] b, int start, int end) {
        int nul = indexOf(b, start, Math.min(end, start + 80), (byte) 0);
        if (nul < 0 || nul + 2 > end || b[nul + 1] != 0) {
            return null;
        }
        return inflate(b, nul + 2, end, JpegMarkers.MAX_ICC_BYTES);
    }

    /** The text of an XMP {@code iTXt} chunk, or {@code null} for another keyword. */
    private static byte[] xmp(byte[] b, int start, int end) {
        byte[] keyword = XMP_KEYWORD.getBytes(StandardCharsets.ISO_8859_1);
        if (end - start < keyword.length + 3) {
            return null;
        }
        for (int i = 0; i < keyword.length; i++) {
            if (b[start + i] != keyword[i]) {
                return null;
            }
        }
        int p = start + keyword.length;
        if (b[p] != 0) {
            return null;
        }
        boolean compressed = b[p + 1] != 0;
        int language = indexOf(b, p + 3, end, (byte) 0);
        int translated = language < 0 ? -1 : indexOf(b, language + 1, end, (byte) 0);
        if (translated < 0) {
            return null;
        }
        int text = translated + 1;
        if (compressed) {
            return inflate(b, text, end, Metadata.MAX_XMP_BYTES);
        }
        return end - text <= Metadata.MAX_XMP_BYTES ? slice(b, text, end) : null;
    }

    /**
     * Writes a profile and metadata into an encoded PNG, right after its header, and drops the
     * encoder's own colour chunks when a profile is written (two colour descriptions would
     * disagree).
     *
     * @return the new file, or {@code png} itself when there is nothing to write
     */
    static byte[] withChunks(byte[] png, byte[] icc, Metadata metadata) {
        if (icc == null && metadata.isEmpty()) {
            return png;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(png.length + 8192);
        out.write(png, 0, SIGNATURE.length);
        int p = SIGNATURE.length;
        while (p + 12 <= png.length) {
            int length = (int) u32(png, p);
            String type = new String(png, p + 4, 4, StandardCharsets.ISO_8859_1);
            int next = p + 12 + length;
            if (!(icc != null && COLOUR_CHUNKS.contains(type))) {
                out.write(png, p, next - p);
            }
            if (type.equals("IHDR")) {
                if (icc != null) {
                    out.writeBytes(chunk("iCCP", iccpBody(icc)));
                }
                if (metadata.exif() != null) {
                    out.writeBytes(chunk("eXIf", metadata.exif()));
                }
                if (metadata.xmp() != null) {
                    out.writeBytes(chunk("iTXt", xmpBody(metadata.xmp())));
                }
            }
            p = next;
        }
        return out.toByteArray();
    }

    private static byte[] iccpBody(byte[] icc) {
        ByteArrayOutputStream body = new ByteArrayOutputStream(icc.length / 2 + 32);
        body.writeBytes("ICC profile".getBytes(StandardCharsets.ISO_8859_1));
        body.write(0); // end of name
        body.write(0); // compression method: zlib
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        try {
            deflater.setInput(icc);
            deflater.finish();
            byte[] buffer = new byte[8192];
            while (!deflater.finished()) {
                body.write(buffer, 0, deflater.deflate(buffer));
            }
        } finally {
            deflater.end();
        }
        return body.toByteArray();
    }

    private static byte[] xmpBody(byte[] xmp) {
        ByteArrayOutputStream body = new ByteArrayOutputStream(xmp.length + 32);
        body.writeBytes(XMP_KEYWORD.getBytes(StandardCharsets.ISO_8859_1));
        body.write(0); // end of keyword
        body.write(0); // not compressed
        body.write(0); // compression method
        body.write(0); // empty language tag
        body.write(0); // empty translated keyword
        body.writeBytes(xmp);
        return body.toByteArray();
    }

    private static byte[] chunk(String type, byte[] body) {
        byte[] typeBytes = type.getBytes(StandardCharsets.ISO_8859_1);
        byte[] c = new byte[12 + body.length];
        putU32(c, 0, body.length);
        System.arraycopy(typeBytes, 0, c, 4, 4);
        System.arraycopy(body, 0, c, 8, body.length);
        CRC32 crc = new CRC32();
        crc.update(c, 4, 4 + body.length);
        putU32(c, 8 + body.length, crc.getValue());
        return c;
    }

    /** Inflates zlib data, or returns {@code null} when it is corrupt or exceeds {@code cap}. */
    private static byte[] inflate(byte[] b, int start, int end, int cap) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(b, start, end - start);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(cap, 64 * 1024));
            byte[] buffer = new byte[8192];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    return null;
                }
                if (out.size() + n > cap) {
                    return null;
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            return null;
        } finally {
            inflater.end();
        }
    }

    private static int indexOf(byte[] b, int from, int to, byte value) {
        for (int i = from; i < to; i++) {
            if (b[i] == value) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] slice(byte[] b, int from, int to) {
        byte[] s = new byte[to - from];
        System.arraycopy(b, from, s, 0, s.length);
        return s;
    }

    private static long u32(byte[] b, int at) {
        return (long) (b[at] & 0xff) << 24
                | (b[at + 1] & 0xff) << 16
                | (b[at + 2] & 0xff) << 8
                | (b[at + 3] & 0xff);
    }

    private static void putU32(byte[] b, int at, long v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
