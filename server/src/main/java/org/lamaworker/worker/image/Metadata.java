package org.lamaworker.worker.image;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The descriptive metadata a picture carries and its output keeps: EXIF (camera, capture time, GPS
 * position, as a TIFF block) and XMP (an XML packet). Other metadata (JPEG comments, IPTC, PNG text
 * chunks) is not carried over.
 *
 * @param exif the EXIF block, a TIFF header and its IFDs, or {@code null}
 * @param xmp the XMP packet as stored, or {@code null}
 */
public record Metadata(byte[] exif, byte[] xmp) {
    /** No metadata. */
    public static final Metadata NONE = new Metadata(null, null);

    /** The largest EXIF block kept; a camera's, maker notes and thumbnail included, is ~64 kB. */
    public static final int MAX_EXIF_BYTES = 1 << 20;

    /** The largest XMP packet kept; editors' packets with history run to a few hundred kB. */
    public static final int MAX_XMP_BYTES = 1 << 20;

    private static final byte[] EXIF_PREFIX = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);

    /**
     * Treats empty blocks as absent, and drops EXIF's thumbnail: it shows the picture before the
     * edit ({@link ExifThumbnail}).
     */
    public Metadata {
        exif = exif == null || exif.length == 0 ? null : ExifThumbnail.removed(exif);
        xmp = xmp == null || xmp.length == 0 ? null : xmp;
    }

    /**
     * The TIFF block of an EXIF block: some writers of PNG and WebP put the JPEG segment's {@code
     * Exif\0\0} before the TIFF header, others not.
     */
    static byte[] tiff(byte[] exif) {
        if (exif == null || exif.length < EXIF_PREFIX.length) {
            return exif;
        }
        for (int i = 0; i < EXIF_PREFIX.length; i++) {
            if (exif[i] != EXIF_PREFIX[i]) {
                return exif;
            }
        }
        return Arrays.copyOfRange(exif, EXIF_PREFIX.length, exif.length);
    }

    /** Whether there is nothing to keep. */
    public boolean isEmpty() {
        return exif == null && xmp == null;
    }

    /**
     * The metadata of a picture whose pixels were turned to its recorded orientation: the EXIF
     * orientation and XMP's {@code tiff:Orientation} say 1, or viewers would turn it again.
     */
    public Metadata normalised() {
        return new Metadata(
                exif == null ? null : ExifOrientation.normalised(exif), XmpOrientation.reset(xmp));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Metadata m
                && Arrays.equals(exif, m.exif)
                && Arrays.equals(xmp, m.xmp);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(exif) + Arrays.hashCode(xmp);
    }

    @Override
    public String toString() {
        return "Metadata[exif="
                + (exif == null ? 0 : exif.length)
                + " bytes, xmp="
                + (xmp == null ? 0 : xmp.length)
                + " bytes]";
    }
}
