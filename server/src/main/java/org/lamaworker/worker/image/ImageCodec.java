package org.lamaworker.worker.image;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.worker.failure.JobFailure;

/**
 * Decodes uploaded pictures and masks, with ImageIO: the JDK's PNG and JPEG decoders, TwelveMonkeys
 * for CMYK JPEG, and libwebp (through {@code webp-imageio}) for WebP. Pixel values are read as
 * stored, without colour management and at their bit depth, so a pixel outside the mask is written
 * back exactly as it was decoded; the colour profile, EXIF and XMP travel beside the pixels ({@link
 * ImageInfo}) for {@link ImageEncoder} to write back.
 */
public final class ImageCodec {
    static {
        // Decoding must not touch the disk: ImageIO's default cache writes temp files.
        ImageIO.setUseCache(false);
    }

    /** The formats decoding accepts, for messages. */
    static final String SUPPORTED = "PNG, JPEG, WebP, TIFF, BMP, GIF";

    /** The package of libwebp's ImageIO plugin, preferred for WebP over any other reader. */
    private static final String WEBP_READER_PACKAGE = "com.luciad.imageio.webp.";

    private ImageCodec() {}

    /**
     * Decodes a picture to its pixels alone, as masks are read.
     *
     * @param what {@code "image"} or {@code "mask"}, for messages
     * @param maxPixels pictures declaring more pixels are refused before their pixels are allocated
     * @throws JobFailure UNSUPPORTED_IMAGE_FORMAT, IMAGE_TOO_LARGE or IMAGE_DECODE_FAILED
     */
    public static Picture decode(byte[] bytes, String what, long maxPixels) {
        return decodeImage(bytes, what, maxPixels).picture();
    }

    /**
     * Decodes an upload to its pixels as a viewer displays them (turned by its EXIF orientation),
     * in its own colour space and bit depth, with what the file was: format, quality, sampling,
     * colour profile, EXIF and XMP.
     *
     * @param what {@code "image"} or {@code "mask"}, for messages
     * @param maxPixels pictures declaring more pixels are refused before their pixels are allocated
     * @throws JobFailure UNSUPPORTED_IMAGE_FORMAT, IMAGE_TOO_LARGE or IMAGE_DECODE_FAILED
     */
    public static DecodedImage decodeImage(byte[] bytes, String what, long maxPixels) {
        return decodeAny(bytes, what, maxPixels, -1).image();
    }

    /**
     * Decodes a mask to its holes: pixels whose luma (for grey, the value) is at least {@code
     * threshold}. An 8- or 16-bit grey picture, as masks usually are, is thresholded straight from
     * its samples, without the colour picture {@link #decode} builds.
     *
     * @throws JobFailure UNSUPPORTED_IMAGE_FORMAT, IMAGE_TOO_LARGE or IMAGE_DECODE_FAILED
     */
    public static Mask decodeMask(byte[] bytes, long maxPixels, int threshold) {
        Decoding decoding = decodeAny(bytes, "mask", maxPixels, threshold);
        return decoding.mask() != null
                ? decoding.mask()
                : binarize(decoding.image().picture(), threshold);
    }

    /** A decoded picture, or for a grey mask only its holes. */
    private record Decoding(DecodedImage image, Mask mask) {}

    /** The holes of a plain grey picture, or {@code null} for any other layout. */
    private static Mask greyMask(BufferedImage image, int threshold) {
        int width = image.getWidth();
        int height = image.getHeight();
        boolean[] hole = new boolean[width * height];
        DataBuffer buffer = image.getRaster().getDataBuffer();
        if (image.getType() == BufferedImage.TYPE_BYTE_GRAY
                && buffer instanceof DataBufferByte bytes
                && bytes.getNumBanks() == 1
                && bytes.getData().length == hole.length) {
            byte[] samples = bytes.getData();
            for (int i = 0; i < hole.length; i++) {
                hole[i] = (samples[i] & 0xff) >= threshold;
            }
            return new Mask(width, height, hole);
        }
        if (image.getType() == BufferedImage.TYPE_USHORT_GRAY
                && buffer instanceof DataBufferUShort shorts
                && shorts.getNumBanks() == 1
                && shorts.getData().length == hole.length) {
            short[] samples = shorts.getData();
            for (int i = 0; i < hole.length; i++) {
                hole[i] = scale(samples[i] & 0xffff, 0xffff) >= threshold;
            }
            return new Mask(width, height, hole);
        }
        return null;
    }

    private static Decoding decodeAny(
            byte[] bytes, String what, long maxPixels, int maskThreshold) {
        if (bytes.length == 0) {
            throw new JobFailure(
                    ErrorCode.IMAGE_DECODE_FAILED, "the " + what + " is an empty file");
        }
        Container container = Container.read(bytes);
        if (container.animated()) {
            throw new JobFailure(
                    ErrorCode.UNSUPPORTED_IMAGE_FORMAT,
                    "the "
                            + what
                            + " is an animated WebP; send one frame as a still picture (PNG,"
                            + " JPEG or WebP)");
        }
        try (ImageInputStream input =
                ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = reader(input, container);
            if (reader == null) {
                throw new JobFailure(
                        ErrorCode.UNSUPPORTED_IMAGE_FORMAT,
                        "the "
                                + what
                                + " is not a picture in a supported format ("
                                + SUPPORTED
                                + ")");
            }
            try {
                reader.setInput(input, true, true);
                String format = formatName(reader);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if ((long) width * height > maxPixels) {
                    throw new JobFailure(
                            ErrorCode.IMAGE_TOO_LARGE,
                            "the "
                                    + what
                                    + " is "
                                    + width
                                    + "x"
                                    + height
                                    + " pixels; this worker accepts at most "
                                    + maxPixels
                                    + " pixels (image.maxPixels)");
                }
                ColourProfile profile = ColourProfile.of(container.icc());
                ImageReadParam param = reader.getDefaultReadParam();
                // A JPEG decoder applies an RGB profile it can read unless asked for the stored
                // values; PNG and WebP decoders never apply one.
                boolean appliesProfile =
                        format.equals("jpeg")
                                && profile != null
                                && profile.parsed()
                                && !profile.grey();
                boolean raw = !appliesProfile || keepStored(reader, param);
                BufferedImage image;
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                try {
                    image = reader.read(0, param);
                } catch (OutOfMemoryError e) {
                    if (!fromWebpWrapper(e)) {
                        throw e;
                    }
                    // libwebp answers some damaged streams (a broken alpha plane) with its
                    // out-of-memory status, which its Java wrapper throws as this error; the
                    // picture is small (its size passed the limit above), the data is bad.
                    throw new JobFailure(
                            ErrorCode.IMAGE_DECODE_FAILED,
                            "the "
                                    + what
                                    + " (webp) cannot be decoded: libwebp reports damaged data",
                            e);
                } catch (IOException | RuntimeException e) {
                    throw new JobFailure(
                            ErrorCode.IMAGE_DECODE_FAILED,
                            "the "
                                    + what
                                    + " ("
                                    + format
                                    + ") cannot be decoded: "
                                    + e.getMessage(),
                            e);
                }
                // A truncated JPEG decodes "successfully", its missing rows grey, with only a
                // warning to tell: inpainting that would return a damaged picture as a success.
                for (String warning : warnings) {
                    String w = warning.toLowerCase(Locale.ROOT);
                    if (w.contains("premature end") || w.contains("truncat")) {
                        throw new JobFailure(
                                ErrorCode.IMAGE_DECODE_FAILED,
                                "the "
                                        + what
                                        + " ("
                                        + format
                                        + ") is truncated: "
                                        + warning
                                        + "; upload the whole file");
                    }
                }
                if (maskThreshold >= 0
                        && ExifOrientation.of(container.exif()) == ExifOrientation.NORMAL) {
                    Mask mask = greyMask(image, maskThreshold);
                    if (mask != null) {
                        return new Decoding(null, mask);
                    }
                }
                Picture stored = toPicture(image);
                if (appliesProfile && (!raw || !storedValues(image))) {
                    // The decoder converted the pixels to sRGB: the profile no longer describes
                    // them, and embedding it would shift every colour.
                    profile = null;
                }
                if (profile == null && !format.equals("jpeg")) {
                    profile = profileOf(image);
                }
                int orientation = ExifOrientation.of(container.exif());
                // The pixel limit above used the stored size: a quarter turn keeps the count.
                Picture picture = ExifOrientation.apply(stored, orientation);
                ImageInfo info =
                        new ImageInfo(
                                format,
                                container.lossless(),
                                container.quality(),
                                container.samplingH(),
                                container.samplingV(),
                                profile,
                                orientation > ExifOrientation.NORMAL
                                        ? new Metadata(container.exif(), container.xmp())
                                                .normalised()
                                        : new Metadata(container.exif(), container.xmp()),
                                orientation,
                                isGrey(image));
                return new Decoding(new DecodedImage(picture, info), null);
            } catch (JobFailure e) {
                throw e;
            } catch (RuntimeException e) {
                // A header or sample layout the reader or the worker cannot handle: the file's.
                throw new JobFailure(
                        ErrorCode.IMAGE_DECODE_FAILED,
                        "the " + what + " cannot be decoded: " + e,
                        e);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new JobFailure(
                    ErrorCode.IMAGE_DECODE_FAILED,
                    "the " + what + " cannot be read: " + e.getMessage(),
                    e);
        }
    }

    /** Whether the bytes start as a JPEG file does. */
    public static boolean isJpeg(byte[] bytes) {
        return JpegMarkers.isJpeg(bytes);
    }

    /**
     * What a JPEG file is, from its markers alone, for editing it without decoding its pixels: its
     * quality, sampling, colour profile, and its EXIF and XMP as stored. The pixels stay on their
     * stored grid, so the orientation is reported and the metadata keeps its orientation tag.
     *
     * @param grey whether the file has one component
     */
    public static ImageInfo jpegInfo(byte[] bytes, boolean grey) {
        Container container = Container.read(bytes);
        return new ImageInfo(
                "jpeg",
                false,
                container.quality(),
                container.samplingH(),
                container.samplingV(),
                ColourProfile.of(container.icc()),
                new Metadata(container.exif(), container.xmp()),
                ExifOrientation.of(container.exif()),
                grey);
    }

    /**
     * The reader for the input. For WebP, libwebp's (through {@code webp-imageio}), which decodes
     * as browsers and {@code dwebp} do; otherwise the first ImageIO offers.
     */
    private static ImageReader reader(ImageInputStream input, Container container) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(input);
        ImageReader first = null;
        while (readers.hasNext()) {
            ImageReader candidate = readers.next();
            if (!container.format().equals("webp")
                    || candidate.getClass().getName().startsWith(WEBP_READER_PACKAGE)) {
                first = first == null ? candidate : first;
                if (first != candidate) {
                    candidate.dispose();
                }
            } else {
                candidate.dispose();
            }
        }
        return first;
    }

    /** Whether an error was thrown by libwebp's Java wrapper, not by the JVM's allocator. */
    private static boolean fromWebpWrapper(OutOfMemoryError e) {
        StackTraceElement[] trace = e.getStackTrace();
        return trace.length > 0
                && !trace[0].isNativeMethod()
                && trace[0].getClassName().startsWith(WEBP_READER_PACKAGE);
    }

    private static String formatName(ImageReader reader) throws IOException {
        String name = reader.getFormatName().toLowerCase(Locale.ROOT);
        return switch (name) {
            case "jpg", "jpeg", "jpeg-lossless" -> "jpeg";
            case "tif" -> "tiff";
            default -> name;
        };
    }

    /**
     * Asks a JPEG reader for the stored RGB values instead of values converted to sRGB through the
     * embedded profile: the destination type in the profile's own space.
     *
     * @return whether such a type was offered
     */
    private static boolean keepStored(ImageReader reader, ImageReadParam param) throws IOException {
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        while (types.hasNext()) {
            ImageTypeSpecifier type = types.next();
            ColorSpace space = type.getColorModel().getColorSpace();
            if (space instanceof ICC_ColorSpace
                    && space.getType() == ColorSpace.TYPE_RGB
                    && !space.isCS_sRGB()
                    && type.getColorModel().getNumComponents() == 3) {
                param.setDestinationType(type);
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a JPEG decoder asked for the stored values returned them: an image in the profile's
     * space, not in sRGB.
     */
    private static boolean storedValues(BufferedImage image) {
        ColorSpace space = image.getColorModel().getColorSpace();
        return space.getType() == ColorSpace.TYPE_RGB && !space.isCS_sRGB();
    }

    /** Whether a decoded image has one colour channel: grey, with or without alpha. */
    private static boolean isGrey(BufferedImage image) {
        ColorModel model = image.getColorModel();
        if (model instanceof IndexColorModel palette) {
            // 1-, 2- and 4-bit grey PNGs decode to a palette of greys.
            if (palette.hasAlpha()) {
                return false;
            }
            for (int i = 0; i < palette.getMapSize(); i++) {
                int r = palette.getRed(i);
                if (r != palette.getGreen(i) || r != palette.getBlue(i)) {
                    return false;
                }
            }
            return true;
        }
        return model.getNumColorComponents() == 1
                && model.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
    }

    /** The RGB profile a decoder attached to an image (TIFF does), or {@code null}. */
    private static ColourProfile profileOf(BufferedImage image) {
        ColorSpace space = image.getColorModel().getColorSpace();
        if (space instanceof ICC_ColorSpace icc
                && !space.isCS_sRGB()
                && space.getType() == ColorSpace.TYPE_RGB) {
            return ColourProfile.of(icc.getProfile().getData());
        }
        return null;
    }

    /**
     * Turns a decoded mask picture into a binary mask: a pixel is a hole when its grey level (the
     * luma of an RGB mask) is at least {@code threshold}.
     */
    public static Mask binarize(Picture picture, int threshold) {
        int[] argb = picture.argb();
        boolean[] hole = new boolean[argb.length];
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            int r = (p >>> 16) & 0xff;
            int g = (p >>> 8) & 0xff;
            int b = p & 0xff;
            int luma = (299 * r + 587 * g + 114 * b + 500) / 1000;
            hole[i] = luma >= threshold;
        }
        return new Mask(picture.width(), picture.height(), hole);
    }

    /**
     * Reads pixels as stored, in the picture's own colour space: grey, grey+alpha, RGB or RGBA of
     * any bit depth, keeping 16-bit samples as such; palette and CMYK pictures through ImageIO's
     * conversion to sRGB.
     */
    static Picture toPicture(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        int[] argb = new int[width * height];
        ColorModel model = image.getColorModel();
        boolean hasAlpha = model.hasAlpha();
        int colourCount = model.getNumColorComponents();
        int spaceType = model.getColorSpace().getType();
        boolean greyOrRgb =
                (colourCount == 1 && spaceType == ColorSpace.TYPE_GRAY)
                        || (colourCount == 3 && spaceType == ColorSpace.TYPE_RGB);
        boolean direct =
                (model instanceof ComponentColorModel || model instanceof DirectColorModel)
                        && !model.isAlphaPremultiplied()
                        && greyOrRgb;
        if (!direct) {
            // Palette images and other colour spaces: let ImageIO convert to sRGB.
            image.getRGB(0, 0, width, height, argb, 0, width);
            return new Picture(width, height, argb, hasAlpha);
        }
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        int colours = colourCount;
        int[] max = new int[bands];
        boolean deepSamples = false;
        for (int b = 0; b < bands; b++) {
            int bits = model.getComponentSize(b);
            if (bits > 16
                    || raster.getTransferType() == DataBuffer.TYPE_FLOAT
                    || raster.getTransferType() == DataBuffer.TYPE_DOUBLE) {
                throw new JobFailure(
                        ErrorCode.UNSUPPORTED_IMAGE_FORMAT,
                        "the picture has "
                                + bits
                                + "-bit samples; this worker reads up to 16 bits per sample");
            }
            max[b] = (1 << bits) - 1;
            deepSamples |= bits > 8;
        }
        short[] deep = deepSamples ? new short[4 * width * height] : null;
        int[] row = new int[width * bands];
        for (int y = 0; y < height; y++) {
            raster.getPixels(0, y, width, 1, row);
            for (int x = 0; x < width; x++) {
                int base = x * bands;
                int i = y * width + x;
                int r = row[base];
                int g = colours == 3 ? row[base + 1] : r;
                int b = colours == 3 ? row[base + 2] : r;
                int a = hasAlpha ? row[base + colours] : max[bands - 1];
                int alphaMax = hasAlpha ? max[colours] : max[bands - 1];
                if (deep != null) {
                    deep[4 * i] = (short) scale16(r, max[0]);
                    deep[4 * i + 1] = (short) scale16(g, max[colours == 3 ? 1 : 0]);
                    deep[4 * i + 2] = (short) scale16(b, max[colours == 3 ? 2 : 0]);
                    deep[4 * i + 3] = (short) (hasAlpha ? scale16(a, alphaMax) : 0xffff);
                }
                int r8 = scale(r, max[0]);
                int g8 = colours == 3 ? scale(g, max[1]) : r8;
                int b8 = colours == 3 ? scale(b, max[2]) : r8;
                int a8 = hasAlpha ? scale(a, alphaMax) : 255;
                argb[i] = (a8 << 24) | (r8 << 16) | (g8 << 8) | b8;
            }
        }
        return new Picture(width, height, argb, hasAlpha, deep);
    }

    private static int scale(int sample, int max) {
        return max == 255 ? sample : (int) ((sample * 255L + max / 2) / max);
    }

    private static int scale16(int sample, int max) {
        return max == 65535 ? sample : (int) ((sample * 65535L + max / 2) / max);
    }
}
