package org.lamaworker.worker.image;

/**
 * Removes the thumbnail an EXIF block carries (IFD1 and the picture it points to). Cameras store a
 * small JPEG of the photo there, and viewers and file browsers show it as the preview: after an
 * edit it would still show what was removed, to anyone who looks at the preview or reads the
 * metadata. The block keeps its size and every other tag: the thumbnail's bytes and IFD1 are
 * overwritten with zeros and IFD0 no longer links to IFD1, so viewers draw the preview from the
 * picture itself.
 */
public final class ExifThumbnail {
    private static final int JPEG_OFFSET = 0x0201;
    private static final int JPEG_LENGTH = 0x0202;
    private static final int STRIP_OFFSETS = 0x0111;
    private static final int STRIP_BYTE_COUNTS = 0x0117;

    private ExifThumbnail() {}

    /**
     * The EXIF block without its thumbnail; the same array when it has none or cannot be read.
     *
     * @param exif a TIFF block, or one starting with {@code Exif\0\0} as in a JPEG's APP1
     */
    public static byte[] removed(byte[] exif) {
        if (exif == null) {
            return null;
        }
        int base = exif.length >= 6 && exif[0] == 'E' && exif[1] == 'x' && exif[4] == 0 ? 6 : 0;
        try {
            return removed(exif, base);
        } catch (IndexOutOfBoundsException e) {
            return exif; // a damaged block: left as it was, as the rest of the metadata is
        }
    }

    private static byte[] removed(byte[] exif, int base) {
        if (exif.length < base + 8) {
            return exif;
        }
        boolean little = exif[base] == 'I';
        long ifd0 = ExifOrientation.u32(exif, base + 4, little);
        if (ifd0 <= 0 || base + ifd0 + 2 > exif.length) {
            return exif;
        }
        int entries = ExifOrientation.u16(exif, (int) (base + ifd0), little);
        int link = (int) (base + ifd0 + 2 + 12L * entries);
        if (link + 4 > exif.length) {
            return exif;
        }
        long ifd1 = ExifOrientation.u32(exif, link, little);
        if (ifd1 == 0) {
            return exif;
        }
        byte[] out = exif.clone();
        out[link] = 0;
        out[link + 1] = 0;
        out[link + 2] = 0;
        out[link + 3] = 0;
        if (base + ifd1 + 2 > exif.length) {
            return out;
        }
        int at = (int) (base + ifd1);
        int count = ExifOrientation.u16(exif, at, little);
        long offset = -1;
        long length = -1;
        for (int i = 0; i < count; i++) {
            int entry = at + 2 + 12 * i;
            if (entry + 12 > exif.length) {
                break;
            }
            int tag = ExifOrientation.u16(exif, entry, little);
            int type = ExifOrientation.u16(exif, entry + 2, little);
            long value =
                    type == 3
                            ? ExifOrientation.u16(exif, entry + 8, little)
                            : ExifOrientation.u32(exif, entry + 8, little);
            if (tag == JPEG_OFFSET || tag == STRIP_OFFSETS) {
                offset = value;
            } else if (tag == JPEG_LENGTH || tag == STRIP_BYTE_COUNTS) {
                length = value;
            }
        }
        if (offset > 0 && length > 0) {
            zero(out, base + offset, length);
        }
        zero(out, at, 2 + 12L * count + 4);
        return out;
    }

    private static void zero(byte[] b, long from, long length) {
        long end = Math.min(b.length, from + length);
        for (long i = Math.max(0, from); i < end; i++) {
            b[(int) i] = 0;
        }
    }
}
