package org.lamaworker.worker.image;

/**
 * Reads the EXIF orientation tag (0x0112) and turns a picture the way a viewer would. Cameras and
 * phones store pictures as the sensor saw them and record how to turn them; a mask drawn on the
 * picture as displayed only lines up once that turn is applied. Browsers honour the tag in JPEG,
 * PNG and WebP alike, and so does the worker.
 */
public final class ExifOrientation {
    /** No turn. */
    public static final int NORMAL = 1;

    private static final int ORIENTATION_TAG = 0x0112;

    private ExifOrientation() {}

    /**
     * The orientation (1-8) an EXIF block records, or {@link #NORMAL} when it records none.
     *
     * @param tiff the EXIF block: a TIFF header ({@code II*\0} or {@code MM\0*}) and its IFDs, or
     *     {@code null}
     */
    public static int of(byte[] tiff) {
        int at = orientationValueOffset(tiff);
        if (at < 0) {
            return NORMAL;
        }
        int value = u16(tiff, at, tiff[0] == 'I');
        return value >= 1 && value <= 8 ? value : NORMAL;
    }

    /**
     * A copy of an EXIF block with its orientation set to {@link #NORMAL}, for a picture whose
     * pixels were turned to match: left as it was, viewers would turn it again.
     */
    public static byte[] normalised(byte[] tiff) {
        int at = orientationValueOffset(tiff);
        if (at < 0) {
            return tiff;
        }
        byte[] copy = tiff.clone();
        boolean little = tiff[0] == 'I';
        copy[at] = (byte) (little ? NORMAL : 0);
        copy[at + 1] = (byte) (little ? 0 : NORMAL);
        return copy;
    }

    /** Where IFD0's orientation value sits in the block, or -1. */
    private static int orientationValueOffset(byte[] b) {
        if (b == null || b.length < 8) {
            return -1;
        }
        boolean little;
        if (b[0] == 'I' && b[1] == 'I') {
            little = true;
        } else if (b[0] == 'M' && b[1] == 'M') {
            little = false;
        } else {
            return -1;
        }
        long ifd = u32(b, 4, little);
        if (ifd < 8 || ifd + 2 > b.length) {
            return -1;
        }
        int entries = u16(b, (int) ifd, little);
        int first = (int) ifd + 2;
        for (int i = 0; i < entries; i++) {
            int entry = first + 12 * i;
            if (entry + 12 > b.length) {
                return -1;
            }
            // A SHORT (type 3) with one value, stored in the entry itself.
            if (u16(b, entry, little) == ORIENTATION_TAG && u16(b, entry + 2, little) == 3) {
                return entry + 8;
            }
        }
        return -1;
    }

    /** Whether the orientation swaps width and height (a quarter turn). */
    public static boolean swapsSides(int orientation) {
        return orientation >= 5 && orientation <= 8;
    }

    /**
     * A mask drawn on a picture as it displays, mapped onto the picture's stored pixel grid: the
     * inverse of {@link #apply}, for editing a file whose pixels stay as stored.
     */
    public static Mask toStored(Mask displayed, int orientation) {
        if (orientation <= NORMAL || orientation > 8) {
            return displayed;
        }
        boolean swap = swapsSides(orientation);
        int w = swap ? displayed.height() : displayed.width();
        int h = swap ? displayed.width() : displayed.height();
        int ow = displayed.width();
        boolean[] in = displayed.hole();
        boolean[] out = new boolean[in.length];
        for (int y = 0; y < displayed.height(); y++) {
            for (int x = 0; x < ow; x++) {
                out[storedIndex(x, y, w, h, orientation)] = in[y * ow + x];
            }
        }
        return new Mask(w, h, out);
    }

    /**
     * Index in a {@code w x h} stored grid of the pixel a viewer shows at {@code (x, y)} under the
     * orientation.
     */
    private static int storedIndex(int x, int y, int w, int h, int orientation) {
        return switch (orientation) {
            case 2 -> y * w + (w - 1 - x);
            case 3 -> (h - 1 - y) * w + (w - 1 - x);
            case 4 -> (h - 1 - y) * w + x;
            case 5 -> x * w + y;
            case 6 -> (h - 1 - x) * w + y;
            case 7 -> (h - 1 - x) * w + (w - 1 - y);
            case 8 -> x * w + (w - 1 - y);
            default -> y * w + x;
        };
    }

    /** The picture as it displays under the given orientation, 16-bit samples included. */
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
        short[] deepIn = picture.deep();
        short[] deepOut = deepIn == null ? null : new short[deepIn.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int target = y * ow + x;
                int source = storedIndex(x, y, w, h, orientation);
                out[target] = in[source];
                if (deepOut != null) {
                    System.arraycopy(deepIn, 4 * source, deepOut, 4 * target, 4);
                }
            }
        }
        return new Picture(ow, oh, out, picture.hasAlpha(), deepOut);
    }

    static int u16(byte[] b, int at, boolean little) {
        int a = b[at] & 0xff;
        int c = b[at + 1] & 0xff;
        return little ? a | c << 8 : a << 8 | c;
    }

    static long u32(byte[] b, int at, boolean little) {
        long v = 0;
        for (int i = 0; i < 4; i++) {
            int shift = little ? 8 * i : 8 * (3 - i);
            v |= (long) (b[at + i] & 0xff) << shift;
        }
        return v;
    }
}
