package org.lamaworker.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/** The profile and metadata a file carries: read from each format, written back unchanged. */
class ContainerTest {
    private static final List<String> WITH_METADATA =
            List.of(
                    "formats/coffee-gps.jpg",
                    "formats/coffee-p3.jpg",
                    "formats/coffee-exif6.jpg",
                    "formats/coffee-lossy.webp",
                    "formats/chelsea-alpha-lossy.webp",
                    "formats/chelsea-16bit-icc.png");

    private static byte[] resource(String name) throws IOException {
        return ImageCodecTest.resource(name);
    }

    @Test
    void eachFormatYieldsItsProfileAndMetadata() throws IOException {
        Container gps = Container.read(resource("formats/coffee-gps.jpg"));
        assertThat(gps.format()).isEqualTo("jpeg");
        assertThat(new String(gps.exif(), 0, 2, StandardCharsets.ISO_8859_1)).isIn("II", "MM");
        assertThat(new String(gps.xmp(), StandardCharsets.UTF_8))
                .contains("Coffee (lama-worker test picture)");
        assertThat(gps.samplingH()).isEqualTo(2);
        assertThat(gps.samplingV()).isEqualTo(2);
        assertThat(Container.read(resource("formats/coffee-444.jpg")).samplingH()).isEqualTo(1);

        Container p3 = Container.read(resource("formats/coffee-p3.jpg"));
        assertThat(p3.icc()).isEqualTo(resource("formats/DisplayP3.icc"));

        Container webp = Container.read(resource("formats/coffee-lossy.webp"));
        assertThat(webp.lossless()).isFalse();
        assertThat(ColourProfile.of(webp.icc()).description()).contains("Adobe RGB");
        assertThat(new String(webp.exif(), 0, 2, StandardCharsets.ISO_8859_1)).isIn("II", "MM");
        assertThat(webp.xmp()).isNotNull();
        assertThat(Container.read(resource("formats/coffee-lossless.webp")).lossless()).isTrue();

        Container png = Container.read(resource("formats/chelsea-16bit-icc.png"));
        assertThat(ColourProfile.of(png.icc()).description()).contains("Adobe RGB");
        // A CMYK JPEG's profile describes samples the worker converts away: not kept.
        assertThat(Container.read(resource("formats/coffee-cmyk.jpg")).icc()).isNull();
    }

    @Test
    void profileAndMetadataRoundTripThroughEveryOutputFormat() throws IOException {
        byte[] icc = resource("formats/DisplayP3.icc");
        Container source = Container.read(resource("formats/coffee-gps.jpg"));
        Metadata metadata = new Metadata(source.exif(), source.xmp());
        Picture coffee = ImageCodec.decode(resource("coffee.png"), "image", 1 << 26);
        for (OutputSettings settings :
                List.of(
                        new OutputSettings("png", 100, true, 1, 1, icc, metadata),
                        new OutputSettings("jpeg", 90, false, 2, 2, icc, metadata),
                        new OutputSettings("webp", 80, false, 1, 1, icc, metadata),
                        new OutputSettings("webp", 80, true, 1, 1, icc, metadata))) {
            byte[] encoded = ImageEncoder.encode(coffee, settings);
            Container back = Container.read(encoded);
            assertThat(back.icc()).as(settings.toString()).isEqualTo(icc);
            assertThat(back.exif()).as(settings.toString()).isEqualTo(metadata.exif());
            assertThat(back.xmp()).as(settings.toString()).isEqualTo(metadata.xmp());
            // Still a picture every decoder reads, of the same size.
            Picture decoded = ImageCodec.decode(encoded, "image", 1 << 26);
            assertThat(decoded.width()).isEqualTo(coffee.width());
        }
    }

    @Test
    void truncatedOrDamagedFilesNeverThrowWhileTheirContainerIsRead() throws IOException {
        Random random = new Random(13);
        for (String name : WITH_METADATA) {
            byte[] bytes = resource(name);
            int step = Math.max(1, bytes.length / 400);
            for (int length = 0; length < Math.min(bytes.length, 20_000); length += step) {
                byte[] cut = Arrays.copyOf(bytes, length);
                assertThatCode(() -> Container.read(cut))
                        .as(name + " cut at " + length)
                        .doesNotThrowAnyException();
            }
            for (int round = 0; round < 300; round++) {
                byte[] damaged = bytes.clone();
                for (int i = 0; i < 4; i++) {
                    int at = random.nextInt(Math.min(damaged.length, 4096));
                    damaged[at] = (byte) random.nextInt(256);
                }
                assertThatCode(() -> Container.read(damaged))
                        .as(name + " damaged")
                        .doesNotThrowAnyException();
            }
        }
    }

    @Test
    void aProfileThatInflatesBeyondTheCapIsDropped() throws IOException {
        byte[] png =
                ImageEncoder.encode(
                        ImageCodec.decode(resource("coffee.png"), "image", 1 << 26),
                        OutputSettings.png());
        // 64 MB of zeros deflate to ~64 kB: a small file that would unpack into a large profile.
        byte[] zeros = new byte[64 << 20];
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        deflater.setInput(zeros);
        deflater.finish();
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        while (!deflater.finished()) {
            compressed.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("bomb".getBytes(StandardCharsets.ISO_8859_1));
        body.write(0);
        body.write(0);
        body.writeBytes(compressed.toByteArray());
        byte[] bomb = insertAfterHeader(png, "iCCP", body.toByteArray());
        assertThat(Container.read(bomb).icc()).isNull();
        assertThat(ImageCodec.decodeImage(bomb, "image", 1 << 26).info().profile()).isNull();
    }

    private static byte[] insertAfterHeader(byte[] png, String type, byte[] body) {
        int afterHeader = 8 + 12 + 13;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, afterHeader);
        byte[] chunk = new byte[12 + body.length];
        chunk[0] = (byte) (body.length >>> 24);
        chunk[1] = (byte) (body.length >>> 16);
        chunk[2] = (byte) (body.length >>> 8);
        chunk[3] = (byte) body.length;
        System.arraycopy(type.getBytes(StandardCharsets.ISO_8859_1), 0, chunk, 4, 4);
        System.arraycopy(body, 0, chunk, 8, body.length);
        CRC32 crc = new CRC32();
        crc.update(chunk, 4, 4 + body.length);
        long c = crc.getValue();
        chunk[8 + body.length] = (byte) (c >>> 24);
        chunk[9 + body.length] = (byte) (c >>> 16);
        chunk[10 + body.length] = (byte) (c >>> 8);
        chunk[11 + body.length] = (byte) c;
        out.writeBytes(chunk);
        out.write(png, afterHeader, png.length - afterHeader);
        return out.toByteArray();
    }

    @Test
    void orientationIsResetInExifAndXmpAlike() throws IOException {
        byte[] exif = Container.read(resource("formats/coffee-exif6.jpg")).exif();
        assertThat(ExifOrientation.of(exif)).isEqualTo(6);
        byte[] reset = ExifOrientation.normalised(exif);
        assertThat(ExifOrientation.of(reset)).isEqualTo(1);
        assertThat(reset).hasSameSizeAs(exif);
        byte[] xmp =
                "<x:xmpmeta><rdf:Description tiff:Orientation=\"8\"/><tiff:Orientation>6</tiff:Orientation></x:xmpmeta>"
                        .getBytes(StandardCharsets.UTF_8);
        String cleaned = new String(XmpOrientation.reset(xmp), StandardCharsets.UTF_8);
        assertThat(cleaned)
                .contains("tiff:Orientation=\"1\"")
                .contains("<tiff:Orientation>1</tiff:Orientation>");
        byte[] without = "<x:xmpmeta/>".getBytes(StandardCharsets.UTF_8);
        assertThat(XmpOrientation.reset(without)).isSameAs(without);
    }

    @Test
    void aPngExifWithTheJpegPrefixIsReadAsItsTiffBlock() throws IOException {
        byte[] tiff = Container.read(resource("formats/coffee-gps.jpg")).exif();
        byte[] prefixed = new byte[6 + tiff.length];
        System.arraycopy("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), 0, prefixed, 0, 6);
        System.arraycopy(tiff, 0, prefixed, 6, tiff.length);
        byte[] png =
                PngChunks.withChunks(
                        ImageEncoder.encodePng(
                                ImageCodec.decode(resource("coffee.png"), "image", 1 << 26)),
                        null,
                        new Metadata(prefixed, null));
        assertThat(Container.read(png).exif()).isEqualTo(tiff);
    }

    @Test
    void oversizedMetadataChunksAreDropped() throws IOException {
        Picture coffee = ImageCodec.decode(resource("coffee.png"), "image", 1 << 26);
        byte[] huge = new byte[Metadata.MAX_XMP_BYTES + 1];
        Arrays.fill(huge, (byte) ' ');
        byte[] hugeProfile = new byte[JpegMarkers.MAX_ICC_BYTES + 1];
        byte[] webp =
                ImageEncoder.encode(
                        coffee,
                        new OutputSettings(
                                "webp", 80, false, 1, 1, hugeProfile, new Metadata(huge, huge)));
        Container read = Container.read(webp);
        assertThat(read.icc()).isNull();
        assertThat(read.exif()).isNull();
        assertThat(read.xmp()).isNull();
        byte[] png =
                ImageEncoder.encode(
                        coffee,
                        new OutputSettings("png", 100, true, 1, 1, null, new Metadata(huge, huge)));
        assertThat(Container.read(png).exif()).isNull();
        assertThat(Container.read(png).xmp()).isNull();
    }

    @Test
    void subsamplingIsReadAgainstTheChromaFactors() throws IOException {
        // A JPEG whose three components are all 2x2 is not subsampled at all: 4:4:4.
        byte[] jpeg = resource("formats/coffee-444.jpg").clone();
        for (int p = 2; p + 20 < jpeg.length; p++) {
            if ((jpeg[p] & 0xff) == 0xff && (jpeg[p + 1] & 0xff) == 0xc0) {
                for (int c = 0; c < 3; c++) {
                    jpeg[p + 11 + 3 * c] = 0x22;
                }
                break;
            }
        }
        Container read = Container.read(jpeg);
        assertThat(read.samplingH()).isEqualTo(1);
        assertThat(read.samplingV()).isEqualTo(1);
        Container subsampled = Container.read(resource("formats/coffee-gps.jpg"));
        assertThat(subsampled.samplingH()).isEqualTo(2);
    }
}
