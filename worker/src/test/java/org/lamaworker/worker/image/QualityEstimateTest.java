package org.lamaworker.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The quality a lossy input was saved at, read back from the file. */
class QualityEstimateTest {
    private static Picture coffee() throws IOException {
        return ImageCodec.decode(ImageCodecTest.resource("coffee.png"), "image", 1 << 26);
    }

    @Test
    void jpegQualityIsReadBackExactlyFromIjgTables() throws IOException {
        Picture coffee = coffee();
        for (int quality : new int[] {20, 50, 75, 85, 92, 96}) {
            byte[] jpeg = ImageEncoder.encodeJpeg(coffee, quality);
            assertThat(Container.read(jpeg).quality()).as("q" + quality).isEqualTo(quality);
        }
        // cjpeg's tables (libjpeg-turbo), not only the JDK's.
        assertThat(Container.read(ImageCodecTest.resource("formats/coffee-444.jpg")).quality())
                .isEqualTo(92);
        assertThat(Container.read(ImageCodecTest.resource("formats/coffee-gps.jpg")).quality())
                .isEqualTo(90);
    }

    @Test
    void webpQualityIsEstimatedWithinAFewSteps() throws IOException {
        Picture coffee = coffee();
        for (int quality : new int[] {40, 60, 80, 95}) {
            byte[] webp =
                    ImageEncoder.encode(
                            coffee,
                            new OutputSettings("webp", quality, false, 1, 1, null, Metadata.NONE));
            assertThat(Container.read(webp).quality())
                    .as("q" + quality)
                    .isBetween(quality - 5, quality + 5);
        }
        // cwebp's own files: -q 80 (with metadata chunks around it) and -q 75 (a bare VP8).
        assertThat(Container.read(ImageCodecTest.resource("formats/coffee-lossy.webp")).quality())
                .isBetween(75, 85);
        assertThat(
                        Container.read(ImageCodecTest.resource("formats/coffee-plain-lossy.webp"))
                                .quality())
                .isBetween(70, 80);
        assertThat(
                        Container.read(ImageCodecTest.resource("formats/coffee-lossless.webp"))
                                .quality())
                .isZero();
    }
}
