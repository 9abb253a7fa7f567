package org.lamaworker.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
}
