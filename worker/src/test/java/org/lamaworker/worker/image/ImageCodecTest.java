package org.lamaworker.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.worker.failure.JobFailure;

class ImageCodecTest {
    static byte[] resource(String name) throws IOException {
        try (InputStream in = ImageCodecTest.class.getResourceAsStream("/corpus/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    private static ErrorCode codeOf(Runnable r) {
        try {
            r.run();
        } catch (JobFailure f) {
            return f.code();
        }
        throw new AssertionError("no failure");
    }

    @Test
    void greyPngIsReadAsEqualChannelsWithoutGammaChange() throws IOException {
        byte[] bytes = resource("brick.png");
        Picture picture = ImageCodec.decode(bytes, "image", 1 << 26);
        var raster = ImageIO.read(new java.io.ByteArrayInputStream(bytes)).getRaster();
        assertThat(raster.getNumBands()).isEqualTo(1);
        for (int i : new int[] {0, 1000, 100_000, 262_143}) {
            int x = i % 512;
            int y = i / 512;
            int grey = raster.getSample(x, y, 0);
            assertThat(picture.argb()[i]).isEqualTo(0xff000000 | grey << 16 | grey << 8 | grey);
        }
    }

    @Test
    void pngRoundTripIsLossless() throws IOException {
        Picture picture = ImageCodec.decode(resource("chelsea.png"), "image", 1 << 26);
        Picture again = ImageCodec.decode(ImageEncoder.encodePng(picture), "image", 1 << 26);
        assertThat(again.width()).isEqualTo(451);
        assertThat(again.height()).isEqualTo(300);
        assertThat(again.argb()).isEqualTo(picture.argb());
    }

    @Test
    void masksAreBinarisedAtTheThreshold() throws IOException {
        Mask mask =
                ImageCodec.binarize(
                        ImageCodec.decode(resource("coffee.mask.png"), "mask", 1 << 26), 128);
        assertThat(mask.width()).isEqualTo(600);
        assertThat(mask.holeCount()).isBetween(1, 600 * 400 / 2);
    }

    @Test
    void refusesWhatIsNotAPicture() {
        assertThat(
                        codeOf(
                                () ->
                                        ImageCodec.decode(
                                                "hello".getBytes(StandardCharsets.UTF_8),
                                                "image",
                                                100)))
                .isEqualTo(ErrorCode.UNSUPPORTED_IMAGE_FORMAT);
        assertThat(codeOf(() -> ImageCodec.decode(new byte[0], "image", 100)))
                .isEqualTo(ErrorCode.IMAGE_DECODE_FAILED);
    }

    @Test
    void refusesTruncatedPictures() throws IOException {
        byte[] png = resource("chelsea.png");
        byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2);
        assertThat(codeOf(() -> ImageCodec.decode(truncated, "image", 1 << 26)))
                .isEqualTo(ErrorCode.IMAGE_DECODE_FAILED);
    }

    /** A PNG that declares 30000x30000 pixels is refused from its header, before allocation. */
    @Test
    void refusesDecompressionBombsFromTheHeader() throws IOException {
        byte[] bomb = pngHeaderOnly(30_000, 30_000);
        assertThatThrownBy(() -> ImageCodec.decode(bomb, "image", 40_000_000))
                .isInstanceOf(JobFailure.class)
                .hasMessageContaining("30000x30000")
                .satisfies(
                        e ->
                                assertThat(((JobFailure) e).code())
                                        .isEqualTo(ErrorCode.IMAGE_TOO_LARGE));
    }

    private static byte[] pngHeaderOnly(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(13);
        ihdr.putInt(width)
                .putInt(height)
                .put((byte) 8)
                .put((byte) 2)
                .put((byte) 0)
                .put((byte) 0)
                .put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        Deflater deflater = new Deflater();
        deflater.setInput(new byte[1024]);
        deflater.finish();
        byte[] data = new byte[2048];
        int n = deflater.deflate(data);
        chunk(out, "IDAT", java.util.Arrays.copyOf(data, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data)
            throws IOException {
        java.nio.ByteBuffer length = java.nio.ByteBuffer.allocate(4).putInt(data.length);
        out.write(length.array());
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        out.write(typeBytes);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    // decodeMask: grey PNGs thresholded from their samples, everything else through decode.

    private static final int[] THRESHOLDS = {1, 2, 127, 128, 254, 255};

    private static byte[] write(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).as(format).isTrue();
        return out.toByteArray();
    }

    private static BufferedImage grey8(Random random, int w, int h) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = image.getRaster();
        for (int i = 0; i < w * h; i++) {
            raster.setSample(i % w, i / w, 0, random.nextInt(256));
        }
        return image;
    }

    /** Random 16-bit greys, starting with both sides of every step of the 8-bit rounding. */
    private static BufferedImage grey16(Random random, int w, int h) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster raster = image.getRaster();
        int i = 0;
        for (int s = 1; s <= 0xffff && i + 1 < w * h; s++) {
            if (Picture.to8(s) != Picture.to8(s - 1)) {
                raster.setSample(i % w, i / w, 0, s - 1);
                i++;
                raster.setSample(i % w, i / w, 0, s);
                i++;
            }
        }
        for (; i < w * h; i++) {
            raster.setSample(i % w, i / w, 0, random.nextInt(0x10000));
        }
        return image;
    }

    private static BufferedImage argb(Random random, int w, int h, int type) {
        BufferedImage image = new BufferedImage(w, h, type);
        for (int i = 0; i < w * h; i++) {
            image.setRGB(i % w, i / w, random.nextInt());
        }
        return image;
    }

    private static BufferedImage palette(Random random, int w, int h, boolean alpha) {
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        byte[] a = new byte[256];
        random.nextBytes(r);
        random.nextBytes(g);
        random.nextBytes(b);
        random.nextBytes(a);
        IndexColorModel model =
                alpha
                        ? new IndexColorModel(8, 256, r, g, b, a)
                        : new IndexColorModel(8, 256, r, g, b);
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, model);
        WritableRaster raster = image.getRaster();
        for (int i = 0; i < w * h; i++) {
            raster.setSample(i % w, i / w, 0, random.nextInt(256));
        }
        return image;
    }

    private static BufferedImage greyAlpha(Random random, int w, int h) {
        ComponentColorModel model =
                new ComponentColorModel(
                        ColorSpace.getInstance(ColorSpace.CS_GRAY),
                        true,
                        false,
                        Transparency.TRANSLUCENT,
                        DataBuffer.TYPE_BYTE);
        WritableRaster raster = model.createCompatibleWritableRaster(w, h);
        for (int i = 0; i < w * h; i++) {
            raster.setSample(i % w, i / w, 0, random.nextInt(256));
            raster.setSample(i % w, i / w, 1, random.nextInt(256));
        }
        return new BufferedImage(model, raster, false, null);
    }

    private static BufferedImage binary(Random random, int w, int h) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_BINARY);
        WritableRaster raster = image.getRaster();
        for (int i = 0; i < w * h; i++) {
            raster.setSample(i % w, i / w, 0, random.nextInt(2));
        }
        return image;
    }

    /** Mask files of every layout, 37x23 (41x29 for 16-bit grey, to hold every rounding step). */
    private static Map<String, byte[]> maskFiles() throws IOException {
        Random random = new Random(11);
        int w = 37;
        int h = 23;
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("8-bit grey png", write(grey8(random, w, h), "png"));
        files.put("16-bit grey png", write(grey16(random, 41, 29), "png"));
        files.put("rgb png", write(argb(random, w, h, BufferedImage.TYPE_INT_RGB), "png"));
        files.put("rgba png", write(argb(random, w, h, BufferedImage.TYPE_INT_ARGB), "png"));
        files.put("palette png", write(palette(random, w, h, false), "png"));
        files.put("palette png with alpha", write(palette(random, w, h, true), "png"));
        files.put("grey+alpha png", write(greyAlpha(random, w, h), "png"));
        files.put("1-bit png", write(binary(random, w, h), "png"));
        files.put("grey jpeg", write(grey8(random, w, h), "jpeg"));
        return files;
    }

    @Test
    void maskFilesAreTheLayoutsTheyClaim() throws IOException {
        // The fast path is taken for exactly these decoded types; without them, the comparison
        // below would only test decode against itself.
        Map<String, byte[]> files = maskFiles();
        assertThat(ImageIO.read(new ByteArrayInputStream(files.get("8-bit grey png"))).getType())
                .isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
        assertThat(ImageIO.read(new ByteArrayInputStream(files.get("16-bit grey png"))).getType())
                .isEqualTo(BufferedImage.TYPE_USHORT_GRAY);
        assertThat(ImageIO.read(new ByteArrayInputStream(files.get("palette png"))).getColorModel())
                .isInstanceOf(IndexColorModel.class);
        assertThat(ImageIO.read(new ByteArrayInputStream(files.get("grey+alpha png"))).getType())
                .isEqualTo(BufferedImage.TYPE_CUSTOM);
    }

    @Test
    void decodeMaskEqualsBinarisedDecodeForEveryLayout() throws IOException {
        for (Map.Entry<String, byte[]> file : maskFiles().entrySet()) {
            Picture picture = ImageCodec.decode(file.getValue(), "mask", 1 << 20);
            for (int threshold : THRESHOLDS) {
                Mask expected = ImageCodec.binarize(picture, threshold);
                Mask mask = ImageCodec.decodeMask(file.getValue(), 1 << 20, threshold);
                assertThat(mask.width()).as(file.getKey()).isEqualTo(expected.width());
                assertThat(mask.height()).as(file.getKey()).isEqualTo(expected.height());
                assertThat(mask.hole())
                        .as("%s at threshold %d", file.getKey(), threshold)
                        .isEqualTo(expected.hole());
            }
        }
    }

    @Test
    void greyMasksAreThresholdedOnTheirOwnSamples() throws IOException {
        Random random = new Random(5);
        BufferedImage eight = grey8(random, 37, 23);
        BufferedImage sixteen = grey16(random, 41, 29);
        byte[] eightPng = write(eight, "png");
        byte[] sixteenPng = write(sixteen, "png");
        for (int threshold : THRESHOLDS) {
            Mask mask8 = ImageCodec.decodeMask(eightPng, 1 << 20, threshold);
            Mask mask16 = ImageCodec.decodeMask(sixteenPng, 1 << 20, threshold);
            int holes8 = 0;
            for (int i = 0; i < 37 * 23; i++) {
                boolean hole = eight.getRaster().getSample(i % 37, i / 37, 0) >= threshold;
                assertThat(mask8.hole()[i])
                        .as("8-bit pixel %d at %d", i, threshold)
                        .isEqualTo(hole);
                holes8 += hole ? 1 : 0;
            }
            for (int i = 0; i < 41 * 29; i++) {
                int sample = sixteen.getRaster().getSample(i % 41, i / 41, 0);
                assertThat(mask16.hole()[i])
                        .as("16-bit pixel %d (%d) at %d", i, sample, threshold)
                        .isEqualTo(Picture.to8(sample) >= threshold);
            }
            assertThat(holes8).isBetween(1, 37 * 23 - 1);
        }
    }

    /** An EXIF block (big-endian TIFF) with only an orientation tag. */
    private static byte[] exifOrientation(int orientation) {
        java.nio.ByteBuffer tiff = java.nio.ByteBuffer.allocate(26);
        tiff.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8);
        tiff.putShort((short) 1);
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1);
        tiff.putShort((short) orientation).putShort((short) 0);
        tiff.putInt(0);
        return tiff.array();
    }

    /** The PNG with an {@code eXIf} chunk right after its header. */
    private static byte[] withExif(byte[] png, byte[] exif) throws IOException {
        int afterHeader = 8 + 4 + 4 + 13 + 4;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, afterHeader);
        chunk(out, "eXIf", exif);
        out.write(png, afterHeader, png.length - afterHeader);
        return out.toByteArray();
    }

    @Test
    void aTurnedGreyMaskIsTurnedLikeTheDecodedPicture() throws IOException {
        Random random = new Random(3);
        byte[] eight = write(grey8(random, 37, 23), "png");
        byte[] sixteen = write(grey16(random, 41, 29), "png");
        for (byte[] plain : new byte[][] {eight, sixteen}) {
            Mask upright = ImageCodec.decodeMask(plain, 1 << 20, 128);
            for (int orientation = 1; orientation <= 8; orientation++) {
                byte[] turned = withExif(plain, exifOrientation(orientation));
                Mask expected =
                        ImageCodec.binarize(ImageCodec.decode(turned, "mask", 1 << 20), 128);
                Mask mask = ImageCodec.decodeMask(turned, 1 << 20, 128);
                boolean swap = ExifOrientation.swapsSides(orientation);
                assertThat(mask.width())
                        .as("orientation %d", orientation)
                        .isEqualTo(swap ? upright.height() : upright.width());
                assertThat(mask.height()).isEqualTo(swap ? upright.width() : upright.height());
                assertThat(mask.hole())
                        .as("orientation %d", orientation)
                        .isEqualTo(expected.hole());
                // And it is the upright mask mapped onto the stored grid by toStored's inverse.
                assertThat(ExifOrientation.toStored(mask, orientation).hole())
                        .as("orientation %d", orientation)
                        .isEqualTo(upright.hole());
            }
        }
    }

    @Test
    void decodeMaskRefusesMasksOverThePixelLimit() throws IOException {
        Map<String, byte[]> files = maskFiles();
        for (String name : new String[] {"8-bit grey png", "16-bit grey png", "rgb png"}) {
            byte[] bytes = files.get(name);
            Mask mask = ImageCodec.decodeMask(bytes, 41 * 29, 128);
            long pixels = (long) mask.width() * mask.height();
            assertThat(ImageCodec.decodeMask(bytes, pixels, 128).hole()).isEqualTo(mask.hole());
            assertThatThrownBy(() -> ImageCodec.decodeMask(bytes, pixels - 1, 128))
                    .as(name)
                    .isInstanceOf(JobFailure.class)
                    .hasMessageContaining(mask.width() + "x" + mask.height())
                    .satisfies(
                            e ->
                                    assertThat(((JobFailure) e).code())
                                            .isEqualTo(ErrorCode.IMAGE_TOO_LARGE));
        }
        byte[] bomb = pngHeaderOnly(30_000, 30_000);
        assertThat(codeOf(() -> ImageCodec.decodeMask(bomb, 40_000_000, 128)))
                .isEqualTo(ErrorCode.IMAGE_TOO_LARGE);
        assertThat(codeOf(() -> ImageCodec.decodeMask(new byte[0], 100, 128)))
                .isEqualTo(ErrorCode.IMAGE_DECODE_FAILED);
    }
}
