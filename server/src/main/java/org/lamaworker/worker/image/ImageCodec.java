package org.lamaworker.worker.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DirectColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.worker.failure.JobFailure;

/**
 * Decodes uploaded pictures and masks and encodes results, with ImageIO. Pixel values are read from
 * the raster as stored, without colour management, so a pixel outside the mask is written back
 * exactly as it was decoded.
 */
public final class ImageCodec {
    static {
        // Decoding must not touch the disk: ImageIO's default cache writes temp files.
        ImageIO.setUseCache(false);
    }

    /** The formats decoding accepts, for messages. */
    static final String SUPPORTED = "PNG, JPEG, WebP, TIFF, BMP, GIF";

    private ImageCodec() {}

    /**
     * Decodes a picture.
     *
     * @param what {@code "image"} or {@code "mask"}, for messages
     * @param maxPixels pictures declaring more pixels are refused before their pixels are allocated
     * @throws JobFailure UNSUPPORTED_IMAGE_FORMAT, IMAGE_TOO_LARGE or IMAGE_DECODE_FAILED
     */
    public static Picture decode(byte[] bytes, String what, long maxPixels) {
        if (bytes.length == 0) {
            throw new JobFailure(
                    ErrorCode.IMAGE_DECODE_FAILED, "the " + what + " is an empty file");
        }
        try (ImageInputStream input =
                ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(input);
            if (!readers.hasNext()) {
                throw new JobFailure(
                        ErrorCode.UNSUPPORTED_IMAGE_FORMAT,
                        "the "
                                + what
                                + " is not a picture in a supported format ("
                                + SUPPORTED
                                + ")");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(input, true, true);
                String format = reader.getFormatName().toLowerCase(Locale.ROOT);
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
                BufferedImage image;
                java.util.List<String> warnings = new java.util.ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                try {
                    image = reader.read(0);
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
                // The pixel limit above used the stored size: a quarter turn keeps the count.
                return ExifOrientation.apply(toPicture(image), ExifOrientation.of(bytes));
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

    /** Encodes a picture as PNG, with alpha when it has some. */
    public static byte[] encodePng(Picture picture) {
        BufferedImage image =
                new BufferedImage(
                        picture.width(),
                        picture.height(),
                        picture.hasAlpha()
                                ? BufferedImage.TYPE_INT_ARGB
                                : BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, picture.width(), picture.height(), picture.argb(), 0, picture.width());
        ByteArrayOutputStream out = new ByteArrayOutputStream(picture.pixels());
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Encodes a picture as baseline JPEG at the given quality (1-100); alpha is dropped. */
    public static byte[] encodeJpeg(Picture picture, int quality) {
        BufferedImage image =
                new BufferedImage(picture.width(), picture.height(), BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, picture.width(), picture.height(), picture.argb(), 0, picture.width());
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(picture.pixels() / 4);
        try (ImageOutputStream output = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(output);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality / 100f);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /**
     * Encodes in {@code png}, {@code jpeg} (at {@code quality}) or {@code webp}.
     *
     * @throws JobFailure UNSUPPORTED_IMAGE_FORMAT when no encoder for the format is installed
     */
    public static byte[] encode(Picture picture, String format, int quality) {
        return switch (format) {
            case "png" -> encodePng(picture);
            case "jpeg" -> encodeJpeg(picture, quality);
            default -> {
                checkWritable(format);
                throw new IllegalStateException(
                        "a writer for " + format + " exists but is not wired");
            }
        };
    }

    /**
     * Fails early, before any work, when the output format cannot be written.
     *
     * @throws JobFailure UNSUPPORTED_IMAGE_FORMAT naming the formats that can
     */
    public static void checkWritable(String format) {
        if (!format.equals("png") && !format.equals("jpeg")) {
            throw new JobFailure(
                    ErrorCode.UNSUPPORTED_IMAGE_FORMAT,
                    "this worker cannot write "
                            + format
                            + " output (no encoder installed); use"
                            + " format png or jpeg");
        }
    }

    /** The MIME type of an output format. */
    public static String contentType(String format) {
        return switch (format) {
            case "jpeg" -> "image/jpeg";
            case "webp" -> "image/webp";
            default -> "image/png";
        };
    }

    /** Reads pixels as stored: grey, grey+alpha, RGB or RGBA of any bit depth, or palette. */
    static Picture toPicture(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        int[] argb = new int[width * height];
        ColorModel model = image.getColorModel();
        boolean hasAlpha = model.hasAlpha();
        int colourCount = model.getNumColorComponents();
        boolean greyOrSrgb =
                colourCount == 1 || (colourCount == 3 && model.getColorSpace().isCS_sRGB());
        boolean direct =
                (model instanceof ComponentColorModel || model instanceof DirectColorModel)
                        && !model.isAlphaPremultiplied()
                        && greyOrSrgb;
        if (!direct) {
            // Palette images and other colour spaces: let ImageIO convert to sRGB.
            image.getRGB(0, 0, width, height, argb, 0, width);
            return new Picture(width, height, argb, hasAlpha);
        }
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        int colours = colourCount;
        int[] max = new int[bands];
        for (int b = 0; b < bands; b++) {
            max[b] = (1 << model.getComponentSize(b)) - 1;
        }
        int[] row = new int[width * bands];
        for (int y = 0; y < height; y++) {
            raster.getPixels(0, y, width, 1, row);
            for (int x = 0; x < width; x++) {
                int base = x * bands;
                int r = scale(row[base], max[0]);
                int g = colours == 3 ? scale(row[base + 1], max[1]) : r;
                int b = colours == 3 ? scale(row[base + 2], max[2]) : r;
                int a = hasAlpha ? scale(row[base + colours], max[colours]) : 255;
                argb[y * width + x] = (a << 24) | (r << 16) | (g << 8) | b;
            }
        }
        return new Picture(width, height, argb, hasAlpha);
    }

    private static int scale(int sample, int max) {
        return max == 255 ? sample : (int) ((sample * 255L + max / 2) / max);
    }
}
