package org.lamaworker.worker.console;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * What an upload says it is, read from its header without decoding its pixels: the console refuses
 * a picture over {@code image.maxPixels} before it reaches storage, as the worker would refuse it
 * after, and names the stored object after its format.
 *
 * @param format {@code png}, {@code jpeg}, {@code webp}, {@code tiff}, {@code bmp} or {@code gif}
 * @param width the width the header declares (as stored, before any EXIF orientation)
 * @param height the height it declares
 */
record PictureHeader(String format, int width, int height) {

    /** The formats the worker reads, for messages. */
    static final String SUPPORTED = "PNG, JPEG, WebP, TIFF, BMP, GIF";

    /** The pixels the header declares. */
    long pixels() {
        return (long) width * height;
    }

    /** The file name extension objects of this format get. */
    String extension() {
        return switch (format) {
            case "jpeg" -> "jpg";
            case "tiff" -> "tif";
            default -> format;
        };
    }

    /** The content type objects of this format are stored with. */
    String contentType() {
        return "image/" + format;
    }

    /**
     * Reads the header.
     *
     * @return the header, or {@code null} when the bytes are not a picture the worker reads
     */
    static PictureHeader read(byte[] bytes) {
        // In memory: ImageIO's default cache would write the upload to a temporary file.
        try (ImageInputStream input =
                new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(input);
            while (readers.hasNext()) {
                ImageReader reader = readers.next();
                try {
                    String format = format(reader.getOriginatingProvider().getFormatNames());
                    if (format == null) {
                        continue;
                    }
                    input.seek(0);
                    reader.setInput(input, true, true);
                    return new PictureHeader(format, reader.getWidth(0), reader.getHeight(0));
                } catch (IOException | RuntimeException e) {
                    // A reader that claimed the file but cannot read its header: try the next.
                } finally {
                    reader.dispose();
                }
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String format(String[] names) {
        for (String name : names) {
            String lower = name.toLowerCase(Locale.ROOT);
            switch (lower) {
                case "png", "webp", "tiff", "bmp", "gif" -> {
                    return lower;
                }
                case "jpeg", "jpg" -> {
                    return "jpeg";
                }
                default -> {}
            }
        }
        return null;
    }
}
