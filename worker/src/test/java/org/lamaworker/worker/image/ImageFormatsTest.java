package org.lamaworker.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.failure.JobFailure;

/** Pictures as uploaders send them: each decodes to what a viewer shows. */
class ImageFormatsTest {
    private static Picture decode(String name) throws IOException {
        return decode(ImageCodecTest.resource(name));
    }

    private static Picture decode(byte[] bytes) {
        return ImageCodec.decode(bytes, "image", 1 << 26);
    }

    /** Mean absolute difference per channel, 0-255. */
    private static double difference(Picture a, Picture b) {
        assertThat(a.width()).isEqualTo(b.width());
        assertThat(a.height()).isEqualTo(b.height());
        long sum = 0;
        for (int i = 0; i < a.pixels(); i++) {
            for (int shift = 0; shift <= 16; shift += 8) {
                sum +=
                        Math.abs(
                                ((a.argb()[i] >>> shift) & 0xff)
                                        - ((b.argb()[i] >>> shift) & 0xff));
            }
        }
        return (double) sum / (3.0 * a.pixels());
    }

    @Test
    void exifOrientationIsApplied() throws IOException {
        byte[] rotated = ImageCodecTest.resource("formats/coffee-exif6.jpg");
        DecodedImage decoded = ImageCodec.decodeImage(rotated, "image", 1 << 26);
        assertThat(decoded.info().orientation()).isEqualTo(6);
        // The pixels were turned: the metadata kept for the output says so.
        assertThat(ExifOrientation.of(decoded.info().metadata().exif())).isEqualTo(1);
        Picture picture = decoded.picture();
        assertThat(difference(picture, decode("coffee.png"))).isLessThan(4.0);
    }

    @Test
    void everyOrientationTurnsLikeAViewer() {
        // 3x2 picture with distinct pixels 0..5 stored row by row.
        Picture stored = new Picture(3, 2, new int[] {0, 1, 2, 3, 4, 5}, false);
        assertThat(ExifOrientation.apply(stored, 1).argb()).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(ExifOrientation.apply(stored, 2).argb()).containsExactly(2, 1, 0, 5, 4, 3);
        assertThat(ExifOrientation.apply(stored, 3).argb()).containsExactly(5, 4, 3, 2, 1, 0);
        assertThat(ExifOrientation.apply(stored, 4).argb()).containsExactly(3, 4, 5, 0, 1, 2);
        assertThat(ExifOrientation.apply(stored, 5).argb()).containsExactly(0, 3, 1, 4, 2, 5);
        assertThat(ExifOrientation.apply(stored, 6).argb()).containsExactly(3, 0, 4, 1, 5, 2);
        assertThat(ExifOrientation.apply(stored, 7).argb()).containsExactly(5, 2, 4, 1, 3, 0);
        assertThat(ExifOrientation.apply(stored, 8).argb()).containsExactly(2, 5, 1, 4, 0, 3);
        assertThat(ExifOrientation.apply(stored, 6).width()).isEqualTo(2);
    }

    @Test
    void cmykAndProgressiveJpegsDecodeToTheSamePicture() throws IOException {
        Picture reference = decode("coffee.png");
        assertThat(difference(decode("formats/coffee-cmyk.jpg"), reference)).isLessThan(12.0);
        assertThat(difference(decode("formats/coffee-progressive.jpg"), reference)).isLessThan(4.0);
    }

    @Test
    void sixteenBitAndAlphaPngsKeepTheirPixels() throws IOException {
        Picture reference = decode("chelsea.png");
        assertThat(difference(decode("formats/chelsea-16bit.png"), reference)).isLessThan(1.0);
        Picture rgba = decode("formats/chelsea-rgba.png");
        assertThat(rgba.hasAlpha()).isTrue();
        boolean someTransparent = false;
        for (int p : rgba.argb()) {
            someTransparent |= (p >>> 24) < 255;
        }
        assertThat(someTransparent).isTrue();
        // Alpha survives a PNG round trip.
        Picture again = ImageCodec.decode(ImageEncoder.encodePng(rgba), "image", 1 << 26);
        assertThat(again.argb()).isEqualTo(rgba.argb());
    }

    @Test
    void rgbAndSoftMasksBinariseLikeThePlainMask() throws IOException {
        Mask plain = ImageCodec.binarize(decode("coffee.mask.png"), 128);
        for (String name :
                new String[] {"formats/coffee.rgb.mask.png", "formats/coffee.soft.mask.png"}) {
            Mask other = ImageCodec.binarize(decode(name), 128);
            int differ = 0;
            for (int i = 0; i < plain.hole().length; i++) {
                if (plain.hole()[i] != other.hole()[i]) {
                    differ++;
                }
            }
            assertThat(differ).as(name).isLessThan(plain.holeCount() / 20);
        }
    }

    @Test
    void webpAndTiffAreReadAndWebpIsWrittenLossyOrLossless() throws IOException {
        Picture png = decode("formats/python.png");
        assertThat(difference(decode("formats/python.tiff"), png)).isLessThan(1.0);
        Picture webp = decode("formats/python.webp");
        assertThat(webp.width()).isEqualTo(png.width());
        assertThat(difference(webp, png)).isLessThan(20.0);
        // Lossless keeps every pixel, the colour under transparent ones included.
        OutputSettings lossless = new OutputSettings("webp", 80, true, 1, 1, null, Metadata.NONE);
        byte[] exact = ImageEncoder.encode(png, lossless);
        assertThat(decode(exact).argb()).isEqualTo(png.argb());
        Picture photo = decode("coffee.png");
        OutputSettings lossy = new OutputSettings("webp", 80, false, 1, 1, null, Metadata.NONE);
        byte[] small = ImageEncoder.encode(photo, lossy);
        assertThat(small.length).isLessThan(ImageEncoder.encode(photo, lossless).length);
        assertThat(difference(decode(small), photo)).isBetween(0.01, 6.0);
        assertThat(lossy.contentType()).isEqualTo("image/webp");
    }

    @Test
    void anAnimatedWebpIsRefusedRatherThanCutToOneFrame() throws IOException {
        byte[] animated = ImageCodecTest.resource("formats/coffee-animated.webp");
        assertThatThrownBy(() -> decode(animated))
                .isInstanceOf(JobFailure.class)
                .hasMessageContaining("animated WebP")
                .satisfies(
                        e ->
                                assertThat(((JobFailure) e).code())
                                        .isEqualTo(
                                                org.lamaworker.protocol.ErrorCode
                                                        .UNSUPPORTED_IMAGE_FORMAT));
    }

    @Test
    void aDamagedWebpAlphaPlaneIsADecodeFailureNotAnError() throws IOException {
        byte[] damaged = ImageCodecTest.resource("formats/chelsea-alpha-lossy.webp");
        // A byte of the ALPH chunk's compressed data (the chunk starts at 30, its data at 38):
        // libwebp answers with its out-of-memory status, which its wrapper throws as an Error.
        damaged[40] ^= 0x5a;
        assertThatThrownBy(() -> decode(damaged))
                .isInstanceOf(JobFailure.class)
                .hasMessageContaining("damaged data")
                .satisfies(
                        e ->
                                assertThat(((JobFailure) e).code())
                                        .isEqualTo(
                                                org.lamaworker.protocol.ErrorCode
                                                        .IMAGE_DECODE_FAILED));
    }

    @Test
    void greyStaysGreyWithItsAlphaAndItsBitDepth() throws IOException {
        int w = 40;
        int h = 30;
        int[] argb = new int[w * h];
        short[] deep = new short[4 * w * h];
        for (int i = 0; i < argb.length; i++) {
            int g16 = (i * 977) & 0xffff;
            int a16 = (i * 131) & 0xffff;
            for (int c = 0; c < 3; c++) {
                deep[4 * i + c] = (short) g16;
            }
            deep[4 * i + 3] = (short) a16;
            int g = Picture.to8(g16);
            argb[i] = Picture.to8(a16) << 24 | g << 16 | g << 8 | g;
        }
        Picture picture = new Picture(w, h, argb, true, deep);
        byte[] png =
                ImageEncoder.encode(
                        picture,
                        new OutputSettings("png", 100, true, 1, 1, null, Metadata.NONE, true));
        java.awt.image.BufferedImage read =
                javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
        assertThat(read.getColorModel().getNumColorComponents()).isEqualTo(1);
        assertThat(read.getColorModel().hasAlpha()).isTrue();
        assertThat(read.getColorModel().getComponentSize(0)).isEqualTo(16);
        int[] samples = read.getRaster().getPixels(0, 0, w, h, (int[]) null);
        for (int i = 0; i < argb.length; i++) {
            assertThat(samples[2 * i]).isEqualTo(deep[4 * i] & 0xffff);
            assertThat(samples[2 * i + 1]).isEqualTo(deep[4 * i + 3] & 0xffff);
        }
        DecodedImage again = ImageCodec.decodeImage(png, "image", 1 << 26);
        assertThat(again.info().grey()).isTrue();
        assertThat(again.picture().deep()).isEqualTo(deep);
    }

    @Test
    void formatsNobodyReadsAreRefusedNamingTheSupportedOnes() {
        byte[] svg =
                "<svg xmlns='http://www.w3.org/2000/svg'/>"
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ImageCodec.decode(svg, "image", 100))
                .isInstanceOf(JobFailure.class)
                .hasMessageContaining("PNG, JPEG, WebP, TIFF");
    }
}
