package org.lamaworker.worker.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.ColorConvertOp;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.DataBufferUShort;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.nio.charset.StandardCharsets;

/**
 * The ICC colour profile a picture was stored in (Display P3 from phones, Adobe RGB from cameras).
 * The model works on sRGB, so the worker shows it the picture converted to sRGB, and converts the
 * model's fill back into the picture's space; every other pixel keeps its stored value, and the
 * output embeds the same profile, so viewers show the picture as before.
 *
 * <p>RGB and grey profiles are taken; a CMYK profile describes samples the worker does not keep
 * (CMYK is converted to sRGB on decoding). A grey profile is embedded again in grey output and not
 * converted. An RGB profile that maps colours onto sRGB's (an sRGB profile by another name) is
 * embedded again but not converted: that would only add rounding. A profile the JDK cannot parse,
 * or its colour engine cannot link, is embedded again and the picture treated as sRGB.
 */
public final class ColourProfile {
    /** Pixels converted per call: bounds the temporary images to a few megabytes. */
    private static final int STRIP = 1 << 18;

    private static final ColorSpace SRGB = ColorSpace.getInstance(ColorSpace.CS_sRGB);

    private final byte[] icc;
    private final String description;
    private final ICC_ColorSpace space;
    private final boolean parsed;
    private final boolean grey;

    private ColourProfile(
            byte[] icc, String description, ICC_ColorSpace space, boolean parsed, boolean grey) {
        this.icc = icc;
        this.description = description;
        this.space = space;
        this.parsed = parsed;
        this.grey = grey;
    }

    /**
     * The profile of the given ICC bytes, or {@code null} when they are neither an RGB nor a grey
     * profile.
     *
     * @param icc the profile as embedded in the file, or {@code null}
     */
    public static ColourProfile of(byte[] icc) {
        if (icc == null || icc.length < 132) {
            return null;
        }
        String dataSpace = new String(icc, 16, 4, StandardCharsets.ISO_8859_1);
        boolean rgb = dataSpace.equals("RGB ");
        boolean grey = dataSpace.equals("GRAY");
        if (!rgb && !grey) {
            return null;
        }
        ICC_ColorSpace space = null;
        String description = "";
        boolean parsed = false;
        try {
            ICC_Profile profile = ICC_Profile.getInstance(icc);
            parsed = true;
            description = description(profile);
            if (rgb && profile.getNumComponents() == 3) {
                ICC_ColorSpace candidate = new ICC_ColorSpace(profile);
                space = differsFromSrgb(candidate) ? candidate : null;
            }
        } catch (RuntimeException e) {
            // Not parseable here, or the colour engine cannot link it (CMMException): kept for
            // the output, the pixels treated as sRGB.
            space = null;
        }
        return new ColourProfile(icc.clone(), description, space, parsed, grey);
    }

    /**
     * Whether a profile moves any colour of a 5x5x5 grid by half a level or more on its way to
     * sRGB. An sRGB profile by another name (phones embed several) is not converted: that would
     * only add rounding. Converting both ways here also finds a profile the colour engine cannot
     * link, which then fails now rather than in the middle of a job.
     */
    private static boolean differsFromSrgb(ICC_ColorSpace space) {
        int steps = 5;
        int n = steps * steps * steps;
        int[] grid = new int[3 * n];
        int i = 0;
        for (int r = 0; r < steps; r++) {
            for (int g = 0; g < steps; g++) {
                for (int b = 0; b < steps; b++) {
                    grid[i++] = r * 65535 / (steps - 1);
                    grid[i++] = g * 65535 / (steps - 1);
                    grid[i++] = b * 65535 / (steps - 1);
                }
            }
        }
        int[] toSrgb = grid.clone();
        convert(space, SRGB, toSrgb, n);
        convert(SRGB, space, grid.clone(), n);
        for (int k = 0; k < grid.length; k++) {
            if (Math.abs(toSrgb[k] - grid[k]) >= 257 / 2) {
                return true;
            }
        }
        return false;
    }

    /** The profile as it was embedded, for the output to embed again. */
    public byte[] bytes() {
        return icc.clone();
    }

    /** The profile's own description, e.g. {@code Display P3}; empty when it has none. */
    public String description() {
        return description;
    }

    /** Whether the JDK's colour engine could read the profile. */
    public boolean parsed() {
        return parsed;
    }

    /** Whether it is a grey profile (for one-channel pictures) rather than an RGB one. */
    public boolean grey() {
        return grey;
    }

    /** Whether pixel values need converting to and from sRGB. */
    public boolean converts() {
        return space != null;
    }

    /**
     * The picture's pixels converted to sRGB, for the model; alpha is kept as is.
     *
     * @param picture pixels in this profile's space
     */
    public Picture toSrgb(Picture picture) {
        if (space == null) {
            return picture;
        }
        if (picture.deep() != null) {
            return deepToSrgb(picture);
        }
        // 8-bit through byte images: the conversion engine's fast path, 8 to 10 times quicker
        // than 16-bit samples (bench codecs), and the model reads 8 bits anyway.
        int w = picture.width();
        int h = picture.height();
        int[] argb = picture.argb();
        int[] srgb = new int[argb.length];
        int rows = Math.max(1, STRIP / w);
        ComponentColorModel model =
                new ComponentColorModel(
                        space, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        ColorConvertOp op = new ColorConvertOp(null);
        for (int y0 = 0; y0 < h; y0 += rows) {
            int n = Math.min(rows, h - y0);
            byte[] samples = new byte[3 * w * n];
            int offset = y0 * w;
            for (int i = 0; i < w * n; i++) {
                int p = argb[offset + i];
                samples[3 * i] = (byte) (p >>> 16);
                samples[3 * i + 1] = (byte) (p >>> 8);
                samples[3 * i + 2] = (byte) p;
            }
            WritableRaster raster =
                    Raster.createInterleavedRaster(
                            new DataBufferByte(samples, samples.length),
                            w,
                            n,
                            3 * w,
                            3,
                            new int[] {0, 1, 2},
                            null);
            BufferedImage source = new BufferedImage(model, raster, false, null);
            BufferedImage target = new BufferedImage(w, n, BufferedImage.TYPE_INT_RGB);
            op.filter(source, target);
            int[] converted = ((DataBufferInt) target.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < w * n; i++) {
                srgb[offset + i] = (argb[offset + i] & 0xff000000) | (converted[i] & 0xffffff);
            }
        }
        return new Picture(w, h, srgb, picture.hasAlpha());
    }

    /** {@link #toSrgb} from 16-bit samples, through 16-bit images. */
    private Picture deepToSrgb(Picture picture) {
        int n = picture.pixels();
        int[] argb = picture.argb();
        short[] deep = picture.deep();
        int[] srgb = new int[n];
        int[] row = new int[3 * Math.min(n, STRIP)];
        for (int from = 0; from < n; from += STRIP) {
            int count = Math.min(STRIP, n - from);
            for (int i = 0; i < count; i++) {
                int at = from + i;
                row[3 * i] = deep[4 * at] & 0xffff;
                row[3 * i + 1] = deep[4 * at + 1] & 0xffff;
                row[3 * i + 2] = deep[4 * at + 2] & 0xffff;
            }
            convert(space, SRGB, row, count);
            for (int i = 0; i < count; i++) {
                srgb[from + i] =
                        (argb[from + i] & 0xff000000)
                                | Picture.to8(row[3 * i]) << 16
                                | Picture.to8(row[3 * i + 1]) << 8
                                | Picture.to8(row[3 * i + 2]);
            }
        }
        return new Picture(picture.width(), picture.height(), srgb, picture.hasAlpha());
    }

    /**
     * Converts sRGB colours into this profile's space, in place.
     *
     * @param rgb {@code count} colours as R, G, B triples on a 0-65535 scale
     * @param count how many colours
     */
    public void fromSrgb(int[] rgb, int count) {
        if (space == null) {
            return;
        }
        int[] strip = new int[3 * Math.min(count, STRIP)];
        for (int from = 0; from < count; from += STRIP) {
            int n = Math.min(STRIP, count - from);
            System.arraycopy(rgb, 3 * from, strip, 0, 3 * n);
            convert(SRGB, space, strip, n);
            System.arraycopy(strip, 0, rgb, 3 * from, 3 * n);
        }
    }

    /**
     * Converts {@code n} RGB triples (0-65535) from one space to another, in place, through 16-bit
     * images so that no precision is lost to 8-bit steps.
     */
    private static void convert(ColorSpace from, ColorSpace to, int[] rgb, int n) {
        BufferedImage source = rgbImage(from, n);
        source.getRaster().setPixels(0, 0, n, 1, rgb);
        BufferedImage target = rgbImage(to, n);
        new ColorConvertOp(null).filter(source, target);
        target.getRaster().getPixels(0, 0, n, 1, rgb);
    }

    /** A one-row, 16-bit RGB image of {@code n} pixels in the given space. */
    private static BufferedImage rgbImage(ColorSpace space, int n) {
        ComponentColorModel model =
                new ComponentColorModel(
                        space, false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster =
                Raster.createInterleavedRaster(
                        new DataBufferUShort(3 * n), n, 1, 3 * n, 3, new int[] {0, 1, 2}, null);
        return new BufferedImage(model, raster, false, null);
    }

    private static String description(ICC_Profile profile) {
        byte[] tag = profile.getData(ICC_Profile.icSigProfileDescriptionTag);
        if (tag == null || tag.length < 12) {
            return "";
        }
        String type = new String(tag, 0, 4, StandardCharsets.ISO_8859_1);
        if (type.equals("desc")) {
            int length =
                    (tag[8] & 0xff) << 24
                            | (tag[9] & 0xff) << 16
                            | (tag[10] & 0xff) << 8
                            | (tag[11] & 0xff);
            long end = Math.min(tag.length, 12L + Math.max(0, length));
            return new String(tag, 12, (int) end - 12, StandardCharsets.ISO_8859_1)
                    .replace("\0", "")
                    .trim();
        }
        if (type.equals("mluc") && tag.length >= 28) {
            int length =
                    (tag[20] & 0xff) << 24
                            | (tag[21] & 0xff) << 16
                            | (tag[22] & 0xff) << 8
                            | (tag[23] & 0xff);
            int offset =
                    (tag[24] & 0xff) << 24
                            | (tag[25] & 0xff) << 16
                            | (tag[26] & 0xff) << 8
                            | (tag[27] & 0xff);
            if (offset >= 12 && length >= 0 && (long) offset + length <= tag.length) {
                return new String(tag, offset, length, StandardCharsets.UTF_16BE).trim();
            }
        }
        return "";
    }

    @Override
    public String toString() {
        return "ColourProfile[" + description + ", " + icc.length + " bytes]";
    }
}
