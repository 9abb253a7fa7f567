package org.lamaworker.worker.image;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a WebP file's RIFF chunks (colour profile, EXIF, XMP, whether it is lossless or animated,
 * the lossy stream's quantiser) and wraps an encoded WebP in the extended format with a profile and
 * metadata. libwebp's simple encoder writes the image alone; the chunks around it follow the
 * container specification (RFC 9649).
 *
 * <p>Parsing never fails: a chunk that runs past the end stops the reading.
 */
final class WebpChunks {
    private static final int FLAG_ICC = 0x20;
    private static final int FLAG_ALPHA = 0x10;
    private static final int FLAG_EXIF = 0x08;
    private static final int FLAG_XMP = 0x04;
    private static final int FLAG_ANIMATION = 0x02;

    private WebpChunks() {}

    /**
     * What the chunks say.
     *
     * @param lossless whether the image is coded lossless (VP8L)
     * @param animated whether the file is an animation
     * @param quality the lossy stream's quality, estimated from its quantiser (1-100), or 0
     * @param icc the ICC profile, or {@code null}
     * @param exif the EXIF TIFF block, or {@code null}
     * @param xmp the XMP packet, or {@code null}
     */
    record Info(
            boolean lossless, boolean animated, int quality, byte[] icc, byte[] exif, byte[] xmp) {}

    /** One chunk: its four-letter type and its payload. */
    /**
     * One chunk: its four-letter type and where its payload lies in a file, so that the image's own
     * payload (most of the file) is written on, or its header read, without a copy.
     */
    private record Chunk(String type, byte[] file, int offset, int length) {
        /** A chunk of its own bytes. */
        Chunk(String type, byte[] body) {
            this(type, body, 0, body.length);
        }

        /** A copy of the payload. */
        byte[] body() {
            return Arrays.copyOfRange(file, offset, offset + length);
        }

        /** A copy of at most the first {@code max} bytes of the payload. */
        byte[] head(int max) {
            return Arrays.copyOfRange(file, offset, offset + Math.min(length, max));
        }
    }

    /** Bytes of a VP8 frame enough to read its frame header and quantisers. */
    private static final int VP8_HEADER_BYTES = 1024;

    /** Whether the bytes start like a WebP. */
    static boolean isWebp(byte[] b) {
        return b.length >= 16
                && new String(b, 0, 4, StandardCharsets.ISO_8859_1).equals("RIFF")
                && new String(b, 8, 4, StandardCharsets.ISO_8859_1).equals("WEBP");
    }

    /** Reads the chunks. */
    static Info read(byte[] b) {
        boolean lossless = false;
        boolean animated = false;
        boolean imageSeen = false;
        int quality = 0;
        byte[] icc = null;
        byte[] exif = null;
        byte[] xmp = null;
        for (Chunk chunk : chunks(b)) {
            switch (chunk.type()) {
                case "VP8X" ->
                        animated |=
                                chunk.length() > 0
                                        && (chunk.file()[chunk.offset()] & FLAG_ANIMATION) != 0;
                case "ANIM", "ANMF" -> animated = true;
                case "ICCP" -> icc = icc != null ? icc : capped(chunk, JpegMarkers.MAX_ICC_BYTES);
                case "EXIF" ->
                        exif =
                                exif != null
                                        ? exif
                                        : Metadata.tiff(capped(chunk, Metadata.MAX_EXIF_BYTES));
                case "XMP " -> xmp = xmp != null ? xmp : capped(chunk, Metadata.MAX_XMP_BYTES);
                case "VP8L" -> {
                    lossless |= !imageSeen;
                    imageSeen = true;
                }
                case "VP8 " -> {
                    if (!imageSeen) {
                        quality = Vp8Quality.estimate(chunk.head(VP8_HEADER_BYTES));
                    }
                    imageSeen = true;
                }
                default -> {}
            }
        }
        return new Info(lossless, animated, quality, icc, exif, xmp);
    }

    /**
     * Wraps an encoded WebP in the extended format (a VP8X chunk) with a profile and metadata, in
     * the order the specification gives: VP8X, ICCP, the image (ALPH, VP8 or VP8L), EXIF, XMP.
     *
     * @return the new file, or {@code webp} itself when there is nothing to add
     */
    static byte[] withChunks(
            byte[] webp, int width, int height, boolean alpha, byte[] icc, Metadata metadata) {
        if (icc == null && metadata.isEmpty()) {
            return webp;
        }
        List<Chunk> image = new ArrayList<>();
        for (Chunk chunk : chunks(webp)) {
            if (!chunk.type().equals("VP8X")) {
                image.add(chunk);
            }
        }
        byte[] header = new byte[10];
        header[0] =
                (byte)
                        ((icc != null ? FLAG_ICC : 0)
                                | (alpha ? FLAG_ALPHA : 0)
                                | (metadata.exif() != null ? FLAG_EXIF : 0)
                                | (metadata.xmp() != null ? FLAG_XMP : 0));
        putU24(header, 4, width - 1);
        putU24(header, 7, height - 1);
        ByteArrayOutputStream body = new ByteArrayOutputStream(webp.length + 8192);
        body.writeBytes("WEBP".getBytes(StandardCharsets.ISO_8859_1));
        write(body, new Chunk("VP8X", header));
        if (icc != null) {
            write(body, new Chunk("ICCP", icc));
        }
        image.forEach(chunk -> write(body, chunk));
        if (metadata.exif() != null) {
            write(body, new Chunk("EXIF", metadata.exif()));
        }
        if (metadata.xmp() != null) {
            write(body, new Chunk("XMP ", metadata.xmp()));
        }
        byte[] riff = body.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream(riff.length + 8);
        out.writeBytes("RIFF".getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(u32le(riff.length));
        out.writeBytes(riff);
        return out.toByteArray();
    }

    private static List<Chunk> chunks(byte[] b) {
        List<Chunk> chunks = new ArrayList<>();
        if (!isWebp(b)) {
            return chunks;
        }
        int p = 12;
        while (p + 8 <= b.length) {
            String type = new String(b, p, 4, StandardCharsets.ISO_8859_1);
            long size =
                    (b[p + 4] & 0xffL)
                            | (b[p + 5] & 0xffL) << 8
                            | (b[p + 6] & 0xffL) << 16
                            | (b[p + 7] & 0xffL) << 24;
            if (size > b.length - p - 8) {
                break;
            }
            chunks.add(new Chunk(type, b, p + 8, (int) size));
            p += 8 + (int) size + (int) (size & 1);
        }
        return chunks;
    }

    private static void write(ByteArrayOutputStream out, Chunk chunk) {
        out.writeBytes(chunk.type().getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(u32le(chunk.length()));
        out.write(chunk.file(), chunk.offset(), chunk.length());
        if ((chunk.length() & 1) != 0) {
            out.write(0);
        }
    }

    /** A chunk's body, or {@code null} when it is larger than a block of its kind may be. */
    private static byte[] capped(Chunk chunk, int max) {
        return chunk.length() <= max ? chunk.body() : null;
    }

    private static byte[] u32le(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    private static void putU24(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
    }
}
