package org.lamaworker.worker.image;

import com.luciad.imageio.webp.CompressionType;
import com.luciad.imageio.webp.WebPWriteParam;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferUShort;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageOutputStream;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Encodes results as {@link OutputSettings} say: PNG through the JDK (16-bit and grey when the
 * picture is), JPEG through the JDK's writer at the chosen quality and chroma subsampling, WebP
 * through libwebp; then writes the colour profile, EXIF and XMP into the file ({@link JpegMarkers},
 * {@link PngChunks}, {@link WebpChunks}), since none of those writers does.
 */
public final class ImageEncoder {
    static {
        // Encoding must not touch the disk: ImageIO's default cache writes temp files.
        ImageIO.setUseCache(false);
    }

    /** The JDK's JPEG writer, whose metadata sets the chroma subsampling. */
    private static final String JDK_JPEG_WRITER = "com.sun.imageio.plugins.jpeg.JPEGImageWriter";

    private static final String JPEG_METADATA = "javax_imageio_jpeg_image_1.0";

    private ImageEncoder() {}

    /** Encodes a picture as PNG without profile or metadata. */
    public static byte[] encodePng(Picture picture) {
        return encode(picture, OutputSettings.png());
    }

    /** Encodes a picture as 4:2:0 JPEG at the given quality (1-100); alpha is dropped. */
    public static byte[] encodeJpeg(Picture picture, int quality) {
        return encode(picture, OutputSettings.jpeg(quality));
    }

    /**
     * Encodes a picture as the settings say: PNG (16-bit when the picture has 16-bit samples), JPEG
     * (at the settings' quality and subsampling; alpha dropped) or WebP (lossy or lossless), with
     * the profile and metadata embedded.
     */
    public static byte[] encode(Picture picture, OutputSettings settings) {
        try {
            return switch (settings.format()) {
                case "jpeg" ->
                        JpegMarkers.withSegments(
                                jpeg(picture, settings), settings.icc(), settings.metadata());
                case "webp" ->
                        WebpChunks.withChunks(
                                webp(picture, settings),
                                picture.width(),
                                picture.height(),
                                picture.hasAlpha(),
                                settings.icc(),
                                settings.metadata());
                default ->
                        PngChunks.withChunks(
                                png(picture, settings.grey()), settings.icc(), settings.metadata());
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] png(Picture picture, boolean grey) throws IOException {
        BufferedImage image;
        if (grey) {
            image = greyImage(picture);
        } else {
            image = picture.deep() != null ? deepImage(picture) : intImage(picture);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(picture.pixels());
        if (!ImageIO.write(image, "png", out)) {
            throw new IllegalStateException("no PNG writer");
        }
        return out.toByteArray();
    }

    private static byte[] jpeg(Picture picture, OutputSettings settings) throws IOException {
        BufferedImage image;
        if (settings.grey()) {
            image =
                    greyImage(
                            new Picture(picture.width(), picture.height(), picture.argb(), false));
        } else {
            image =
                    new BufferedImage(
                            picture.width(), picture.height(), BufferedImage.TYPE_INT_RGB);
            image.setRGB(
                    0, 0, picture.width(), picture.height(), picture.argb(), 0, picture.width());
        }
        ImageWriter writer = jpegWriter();
        ByteArrayOutputStream out = new ByteArrayOutputStream(picture.pixels() / 4);
        try (ImageOutputStream output = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(output);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(settings.quality() / 100f);
            IIOMetadata metadata =
                    writer.getDefaultImageMetadata(
                            ImageTypeSpecifier.createFromRenderedImage(image), param);
            if (settings.grey()) {
                sampling(metadata, 1, 1);
            } else {
                sampling(metadata, settings.samplingH(), settings.samplingV());
            }
            writer.write(null, new IIOImage(image, null, metadata), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static ImageWriter jpegWriter() {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        ImageWriter chosen = null;
        while (writers.hasNext()) {
            ImageWriter writer = writers.next();
            if (chosen == null || writer.getClass().getName().equals(JDK_JPEG_WRITER)) {
                if (chosen != null) {
                    chosen.dispose();
                }
                chosen = writer;
            } else {
                writer.dispose();
            }
        }
        if (chosen == null) {
            throw new IllegalStateException("no JPEG writer");
        }
        return chosen;
    }

    /** Sets the luma sampling factors (chroma stays 1x1) in the writer's native metadata. */
    private static void sampling(IIOMetadata metadata, int h, int v)
            throws IIOInvalidTreeException {
        Element tree = (Element) metadata.getAsTree(JPEG_METADATA);
        NodeList components = tree.getElementsByTagName("componentSpec");
        for (int i = 0; i < components.getLength(); i++) {
            Element component = (Element) components.item(i);
            component.setAttribute("HsamplingFactor", Integer.toString(i == 0 ? h : 1));
            component.setAttribute("VsamplingFactor", Integer.toString(i == 0 ? v : 1));
        }
        metadata.setFromTree(JPEG_METADATA, tree);
    }

    private static byte[] webp(Picture picture, OutputSettings settings) throws IOException {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("webp");
        if (!writers.hasNext()) {
            throw new IllegalStateException("no WebP writer: webp-imageio is missing");
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(picture.pixels() / 4);
        try (ImageOutputStream output = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(output);
            WebPWriteParam param = (WebPWriteParam) writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            if (settings.lossless()) {
                param.setCompressionType(CompressionType.Lossless.name());
                // For lossless, quality is effort. The least (method 0) writes as fast as the PNG
                // encoder and 20% smaller than it; cwebp's default (0.75, method 4) is 7 times
                // slower for 36% smaller (kite, 4 MP; BENCHMARKS.md).
                param.setCompressionQuality(0f);
                param.setMethod(0);
                // Keep the colour under fully transparent pixels, as PNG does.
                param.setExact(true);
            } else {
                param.setCompressionType(CompressionType.Lossy.name());
                param.setCompressionQuality(settings.quality() / 100f);
            }
            writer.write(null, new IIOImage(intImage(picture), null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /**
     * The picture's luma as a grey image, with its alpha when it has some, 16-bit when it has
     * 16-bit samples. A grey picture's channels are equal, so outside the edit the luma is the
     * stored grey value itself.
     */
    private static BufferedImage greyImage(Picture picture) {
        int n = picture.pixels();
        short[] deep = picture.deep();
        int[] argb = picture.argb();
        boolean alpha = picture.hasAlpha();
        int bands = alpha ? 2 : 1;
        int[] samples = new int[bands * n];
        for (int i = 0; i < n; i++) {
            if (deep != null) {
                samples[bands * i] =
                        luma(
                                deep[4 * i] & 0xffff,
                                deep[4 * i + 1] & 0xffff,
                                deep[4 * i + 2] & 0xffff);
                if (alpha) {
                    samples[bands * i + 1] = deep[4 * i + 3] & 0xffff;
                }
            } else {
                int p = argb[i];
                samples[bands * i] = luma(p >>> 16 & 0xff, p >>> 8 & 0xff, p & 0xff);
                if (alpha) {
                    samples[bands * i + 1] = p >>> 24;
                }
            }
        }
        int type = deep != null ? DataBuffer.TYPE_USHORT : DataBuffer.TYPE_BYTE;
        ComponentColorModel model =
                new ComponentColorModel(
                        ColorSpace.getInstance(ColorSpace.CS_GRAY),
                        alpha,
                        false,
                        alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE,
                        type);
        WritableRaster raster =
                model.createCompatibleWritableRaster(picture.width(), picture.height());
        raster.setPixels(0, 0, picture.width(), picture.height(), samples);
        return new BufferedImage(model, raster, false, null);
    }

    private static int luma(int r, int g, int b) {
        return (int) ((299L * r + 587L * g + 114L * b + 500) / 1000);
    }

    /** The picture's 8-bit pixels as an image, with alpha when it has some. */
    private static BufferedImage intImage(Picture picture) {
        BufferedImage image =
                new BufferedImage(
                        picture.width(),
                        picture.height(),
                        picture.hasAlpha()
                                ? BufferedImage.TYPE_INT_ARGB
                                : BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, picture.width(), picture.height(), picture.argb(), 0, picture.width());
        return image;
    }

    /** The picture's 16-bit samples as an image: RGB, or RGBA when it has alpha. */
    private static BufferedImage deepImage(Picture picture) {
        int bands = picture.hasAlpha() ? 4 : 3;
        int n = picture.pixels();
        short[] samples = new short[bands * n];
        short[] deep = picture.deep();
        if (bands == 4) {
            System.arraycopy(deep, 0, samples, 0, samples.length);
        } else {
            for (int i = 0; i < n; i++) {
                System.arraycopy(deep, 4 * i, samples, 3 * i, 3);
            }
        }
        int[] offsets = bands == 4 ? new int[] {0, 1, 2, 3} : new int[] {0, 1, 2};
        WritableRaster raster =
                Raster.createInterleavedRaster(
                        new DataBufferUShort(samples, samples.length),
                        picture.width(),
                        picture.height(),
                        bands * picture.width(),
                        bands,
                        offsets,
                        null);
        ColorModel model =
                new ComponentColorModel(
                        ColorSpace.getInstance(ColorSpace.CS_sRGB),
                        picture.hasAlpha(),
                        false,
                        picture.hasAlpha() ? Transparency.TRANSLUCENT : Transparency.OPAQUE,
                        DataBuffer.TYPE_USHORT);
        return new BufferedImage(model, raster, false, null);
    }
}
