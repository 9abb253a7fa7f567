package org.lamaworker.worker.image;

/**
 * Reads the EXIF orientation tag (0x0112) of a JPEG and turns a picture the way a viewer would.
 * Cameras and phones store pictures as the sensor saw them and record how to turn them; a mask
 * drawn on the picture as displayed only lines up once that turn is applied.
 */
public final class ExifOrientation {
    /** No turn. */
    public static final int NORMAL = 1;

    private ExifOrientation() {}

    /**
     * The orientation (1-8) a JPEG records, or {@link #NORMAL} when it records none or is not a
     * JPEG.
     */
    public static int of(byte[] bytes) {
        if (bytes.length < 4 || (bytes[0] & 0xff) != 0xff || (bytes[1] & 0xff) != 0xd8) {
            return NORMAL;
        }
        int p = 2;
        while (p + 4 <= bytes.length && (bytes[p] & 0xff) == 0xff) {
            int marker = bytes[p + 1] & 0xff;
            if (marker == 0xda || marker == 0xd9) {
                break; // image data starts: no more metadata segments
            }
            int length = u16(bytes, p + 2, false);
            if (length < 2 || p + 2 + length > bytes.length) {
                break;
            }
            if (marker == 0xe1 && length >= 16 && startsWith(bytes, p + 4, "Exif\0\0")) {
                int orientation = fromTiff(bytes, p + 10, p + 2 + length);
                if (orientation != 0) {
                    return orientation;
                }
            }
            p += 2 + length;
        }
        return NORMAL;
    }

    /** The orientation tag of IFD0 in a TIFF block {@code [start, end)}, or 0. */
    private static int fromTiff(byte[] b, int start, int end) {
        if (start + 8 > end) {
            return 0;
        }
        boolean little;
        if (b[start] == 'I' && b[start + 1] == 'I') {
            little = true;
        } else if (b[start] == 'M' && b[start + 1] == 'M') {
            little = false;
        } else {
            return 0;
        }
        long ifd = u32(b, start + 4, little);
        if (ifd < 8 || start + ifd + 2 > end) {
            return 0;
        }
        int entries = u16(b, (int) (start + ifd), little);
        int first = (int) (start + ifd + 2);
        for (int i = 0; i < entries; i++) {
            int entry = first + 12 * i;
            if (entry + 12 > end) {
                return 0;
            }
            if (u16(b, entry, little) == 0x0112) {
                int value = u16(b, entry + 8, little);
                return value >= 1 && value <= 8 ? value : 0;
            }
        }
        return 0;
    }

    /** Whether the orientation swaps width and height (a quarter turn). */
    public static boolean swapsSides(int orientation) {
        return orientation >= 5 && orientation <= 8;
    }

    /** The picture as it displays under the given orientation. */
    public static Picture apply(Picture picture, int orientation) {
        if (orientation <= NORMAL || orientation > 8) {
            return picture;
        }
        int w = picture.width();
        int h = picture.height();
        boolean swap = swapsSides(orientation);
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        int[] in = picture.argb();
        int[] out = new int[in.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> {
                        sx = w - 1 - x;
                        sy = y;
                    }
                    case 3 -> {
                        sx = w - 1 - x;
                        sy = h - 1 - y;
                    }
                    case 4 -> {
                        sx = x;
                        sy = h - 1 - y;
                    }
                    case 5 -> {
                        sx = y;
                        sy = x;
                    }
                    case 6 -> {
                        sx = y;
                        sy = h - 1 - x;
                    }
                    case 7 -> {
                        sx = w - 1 - y;
                        sy = h - 1 - x;
                    }
                    default -> {
                        sx = w - 1 - y;
                        sy = x;
                    } // 8
                }
                out[y * ow + x] = in[sy * w + sx];
            }
        }
        return new Picture(ow, oh, out, picture.hasAlpha());
    }

    private static boolean startsWith(byte[] b, int at, String text) {
        for (int i = 0; i < text.length(); i++) {
            if (at + i >= b.length || b[at + i] != text.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int u16(byte[] b, int at, boolean little) {
        int a = b[at] & 0xff;
        int c = b[at + 1] & 0xff;
        return little ? a | c << 8 : a << 8 | c;
    }

    private static long u32(byte[] b, int at, boolean little) {
        long v = 0;
        for (int i = 0; i < 4; i++) {
            int shift = little ? 8 * i : 8 * (3 - i);
            v |= (long) (b[at + i] & 0xff) << shift;
        }
        return v;
    }
}
