package org.lamaworker.worker.testing;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Decodes pictures with decoders independent of the worker's own code: libwebp's {@code dwebp} for
 * WebP, libjpeg-turbo's {@code djpeg} for JPEG, and the JDK's ImageIO (its PNG decoder,
 * TwelveMonkeys for CMYK JPEG) for the rest. Samples are the stored values, at their bit depth,
 * without colour management.
 */
public final class ReferenceDecoder {
    private ReferenceDecoder() {}

    /**
     * Decoded samples.
     *
     * @param width width
     * @param height height
     * @param channels 3 (RGB) or 4 (RGBA); grey is expanded to RGB
     * @param depth 8 or 16
     * @param samples {@code width*height*channels} samples, row by row
     */
    public record Samples(int width, int height, int channels, int depth, int[] samples) {
        /** Sample {@code c} of pixel {@code i}, scaled to 0-65535 whatever the depth. */
        public int sample16(int i, int c) {
            int v = samples[i * channels + c];
            return depth == 16 ? v : v * 257;
        }

        /** Sample {@code c} of pixel {@code i} at 8 bits. */
        public int sample8(int i, int c) {
            int v = samples[i * channels + c];
            return depth == 16 ? (v * 255 + 32767) / 65535 : v;
        }

        /** Alpha of pixel {@code i} at 8 bits, 255 without alpha. */
        public int alpha8(int i) {
            return channels == 4 ? sample8(i, 3) : 255;
        }

        /** The picture turned as EXIF orientation 6 (a quarter turn clockwise) displays it. */
        public Samples turnedClockwise() {
            int[] out = new int[samples.length];
            for (int y = 0; y < width; y++) {
                for (int x = 0; x < height; x++) {
                    int source = (height - 1 - x) * width + y;
                    System.arraycopy(
                            samples, source * channels, out, (y * height + x) * channels, channels);
                }
            }
            return new Samples(height, width, channels, depth, out);
        }
    }

    /** Decodes a file by its content: WebP, JPEG, or anything ImageIO reads. */
    public static Samples decode(byte[] bytes) {
        if (bytes.length > 12
                && new String(bytes, 8, 4, StandardCharsets.ISO_8859_1).equals("WEBP")) {
            return viaTool(bytes, ".webp", "webp", "dwebp", "-quiet", "-pam", "IN", "-o", "-");
        }
        if (bytes.length > 3
                && (bytes[0] & 0xff) == 0xff
                && (bytes[1] & 0xff) == 0xd8
                && !isCmyk(bytes)) {
            return viaTool(bytes, ".jpg", "libjpeg-turbo-progs", "djpeg", "-pnm", "IN");
        }
        return viaImageIo(bytes);
    }

    /**
     * Decodes a (non-CMYK) JPEG with libjpeg-turbo's {@code djpeg}, as stored (no EXIF
     * orientation).
     *
     * @param smooth djpeg's default chroma upsampling (blending neighbouring samples, across MCU
     *     edges); {@code false} for {@code -nosmooth}, which repeats samples within each MCU
     */
    public static Samples decodeJpeg(byte[] bytes, boolean smooth) {
        return smooth
                ? viaTool(bytes, ".jpg", "libjpeg-turbo-progs", "djpeg", "-pnm", "IN")
                : viaTool(bytes, ".jpg", "libjpeg-turbo-progs", "djpeg", "-nosmooth", "-pnm", "IN");
    }

    private static boolean isCmyk(byte[] jpeg) {
        // SOF0/1/2 with 4 components: djpeg cannot write CMYK to PNM.
        for (int p = 2; p + 10 < jpeg.length; p++) {
            int m = jpeg[p + 1] & 0xff;
            if ((jpeg[p] & 0xff) == 0xff && (m == 0xc0 || m == 0xc1 || m == 0xc2)) {
                return (jpeg[p + 9] & 0xff) == 4;
            }
        }
        return false;
    }

    private static Samples viaImageIo(byte[] bytes) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
            if (image == null) {
                throw new AssertionError("ImageIO reads no picture");
            }
            int w = image.getWidth();
            int h = image.getHeight();
            boolean cmyk = image.getColorModel().getNumColorComponents() == 4;
            if (cmyk || image.getColorModel() instanceof java.awt.image.IndexColorModel) {
                int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
                int[] samples = new int[3 * argb.length];
                for (int i = 0; i < argb.length; i++) {
                    samples[3 * i] = argb[i] >>> 16 & 0xff;
                    samples[3 * i + 1] = argb[i] >>> 8 & 0xff;
                    samples[3 * i + 2] = argb[i] & 0xff;
                }
                return new Samples(w, h, 3, 8, samples);
            }
            Raster raster = image.getRaster();
            int bands = raster.getNumBands();
            int depth = image.getColorModel().getComponentSize(0) > 8 ? 16 : 8;
            int[] raw = raster.getPixels(0, 0, w, h, (int[]) null);
            if (bands >= 3) {
                return new Samples(w, h, bands, depth, raw);
            }
            // Grey (and grey+alpha): expanded to RGB(A).
            int channels = bands == 2 ? 4 : 3;
            int[] samples = new int[w * h * channels];
            for (int i = 0; i < w * h; i++) {
                for (int c = 0; c < 3; c++) {
                    samples[i * channels + c] = raw[i * bands];
                }
                if (bands == 2) {
                    samples[i * channels + 3] = raw[i * bands + 1];
                }
            }
            return new Samples(w, h, channels, depth, samples);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Samples viaTool(
            byte[] bytes, String suffix, String debianPackage, String... command) {
        try {
            Path file = Files.createTempFile("reference", suffix);
            try {
                Files.write(file, bytes);
                String[] args = command.clone();
                for (int i = 0; i < args.length; i++) {
                    if (args[i].equals("IN")) {
                        args[i] = file.toString();
                    }
                }
                return netpbm(DebianTools.stdout(debianPackage, args));
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a binary PGM (P5), PPM (P6) or PAM (P7). */
    static Samples netpbm(byte[] b) {
        int[] at = {0};
        String magic = token(b, at);
        int width;
        int height;
        int depth;
        int max;
        if (magic.equals("P7")) {
            width = 0;
            height = 0;
            depth = 0;
            max = 0;
            for (String t = token(b, at); !t.equals("ENDHDR"); t = token(b, at)) {
                switch (t) {
                    case "WIDTH" -> width = Integer.parseInt(token(b, at));
                    case "HEIGHT" -> height = Integer.parseInt(token(b, at));
                    case "DEPTH" -> depth = Integer.parseInt(token(b, at));
                    case "MAXVAL" -> max = Integer.parseInt(token(b, at));
                    case "TUPLTYPE" -> token(b, at);
                    default -> {}
                }
            }
        } else {
            width = Integer.parseInt(token(b, at));
            height = Integer.parseInt(token(b, at));
            max = Integer.parseInt(token(b, at));
            depth = magic.equals("P5") ? 1 : 3;
        }
        int p = at[0] + 1; // one whitespace byte after the header
        int bytesPerSample = max > 255 ? 2 : 1;
        int channels = depth == 1 ? 3 : depth;
        int[] samples = new int[width * height * channels];
        for (int i = 0; i < width * height; i++) {
            for (int c = 0; c < depth; c++) {
                int v = bytesPerSample == 2 ? (b[p] & 0xff) << 8 | (b[p + 1] & 0xff) : b[p] & 0xff;
                p += bytesPerSample;
                if (depth == 1) {
                    samples[i * 3] = v;
                    samples[i * 3 + 1] = v;
                    samples[i * 3 + 2] = v;
                } else {
                    samples[i * channels + c] = v;
                }
            }
        }
        return new Samples(width, height, channels, max > 255 ? 16 : 8, samples);
    }

    private static String token(byte[] b, int[] at) {
        int p = at[0];
        while (p < b.length) {
            if (b[p] == '#') {
                while (p < b.length && b[p] != '\n') {
                    p++;
                }
            } else if (Character.isWhitespace(b[p])) {
                p++;
            } else {
                break;
            }
        }
        int start = p;
        while (p < b.length && !Character.isWhitespace(b[p])) {
            p++;
        }
        at[0] = p;
        return new String(b, start, p - start, StandardCharsets.ISO_8859_1);
    }
}
