package org.lamaworker.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The model sees sRGB; the picture keeps its own colour space. */
class ColourProfileTest {
    private static double meanDifference(int[] a, int[] b) {
        long sum = 0;
        for (int i = 0; i < a.length; i++) {
            for (int shift = 0; shift <= 16; shift += 8) {
                sum += Math.abs(((a[i] >>> shift) & 0xff) - ((b[i] >>> shift) & 0xff));
            }
        }
        return sum / (3.0 * a.length);
    }

    @Test
    void aDisplayP3PictureIsShownToTheModelInSrgb() throws IOException {
        DecodedImage p3 =
                ImageCodec.decodeImage(
                        ImageCodecTest.resource("formats/coffee-p3.jpg"), "image", 1 << 26);
        ColourProfile profile = p3.info().profile();
        assertThat(profile.converts()).isTrue();
        Picture srgb = profile.toSrgb(p3.picture());
        Picture reference =
                ImageCodec.decode(ImageCodecTest.resource("coffee.png"), "image", 1 << 26);
        // Stored P3 values read as sRGB are visibly duller; converted, they match the original
        // about as well as an sRGB JPEG of the same quality and subsampling does.
        Picture plain =
                ImageCodec.decode(
                        ImageCodecTest.resource("formats/coffee-gps.jpg"), "image", 1 << 26);
        double jpegLoss = meanDifference(plain.argb(), reference.argb());
        assertThat(meanDifference(p3.picture().argb(), reference.argb()))
                .isGreaterThan(jpegLoss + 2.0);
        assertThat(meanDifference(srgb.argb(), reference.argb())).isLessThan(jpegLoss + 1.0);
    }

    @Test
    void aFillConvertedBackLandsOnThePicturesOwnValues() throws IOException {
        DecodedImage p3 =
                ImageCodec.decodeImage(
                        ImageCodecTest.resource("formats/coffee-p3.jpg"), "image", 1 << 26);
        ColourProfile profile = p3.info().profile();
        Picture srgb = profile.toSrgb(p3.picture());
        int n = srgb.pixels();
        int[] rgb = new int[3 * n];
        for (int i = 0; i < n; i++) {
            int p = srgb.argb()[i];
            rgb[3 * i] = ((p >>> 16) & 0xff) * 257;
            rgb[3 * i + 1] = ((p >>> 8) & 0xff) * 257;
            rgb[3 * i + 2] = (p & 0xff) * 257;
        }
        profile.fromSrgb(rgb, n);
        int[] back = new int[n];
        for (int i = 0; i < n; i++) {
            back[i] =
                    Picture.to8(rgb[3 * i]) << 16
                            | Picture.to8(rgb[3 * i + 1]) << 8
                            | Picture.to8(rgb[3 * i + 2]);
        }
        assertThat(meanDifference(back, p3.picture().argb())).isLessThan(1.0);
    }

    @Test
    void onlyRgbProfilesAreTakenAndSrgbOnesAreNotConverted() throws IOException {
        byte[] p3 = ImageCodecTest.resource("formats/DisplayP3.icc");
        assertThat(ColourProfile.of(p3).description()).contains("Display P3");
        // The same profile claiming another colour space: grey is kept (for grey output), not
        // converted; CMYK describes samples the worker does not keep.
        byte[] grey = p3.clone();
        System.arraycopy(
                "GRAY".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, grey, 16, 4);
        assertThat(ColourProfile.of(grey).grey()).isTrue();
        assertThat(ColourProfile.of(grey).converts()).isFalse();
        byte[] cmyk = p3.clone();
        System.arraycopy(
                "CMYK".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, cmyk, 16, 4);
        assertThat(ColourProfile.of(cmyk)).isNull();
        assertThat(ColourProfile.of(null)).isNull();
        assertThat(ColourProfile.of(new byte[40])).isNull();
        // An RGB header over garbage: kept for the output, the pixels left as they are.
        byte[] broken = Arrays.copyOf(p3, 200);
        ColourProfile kept = ColourProfile.of(broken);
        assertThat(kept.converts()).isFalse();
        assertThat(kept.bytes()).isEqualTo(broken);
        byte[] srgb =
                java.awt.color.ICC_Profile.getInstance(java.awt.color.ColorSpace.CS_sRGB).getData();
        assertThat(ColourProfile.of(srgb).converts()).isFalse();
    }

    @Test
    void aHostileDescriptionOrAnUnlinkableProfileNeverFailsTheJob() throws IOException {
        byte[] p3 = ImageCodecTest.resource("formats/DisplayP3.icc");
        // The description tag's string offset pointing near 2^31 (an int overflow once).
        byte[] hostile = p3.clone();
        int desc = tagOffset(hostile, "desc");
        hostile[desc + 24] = 0x7f;
        hostile[desc + 25] = (byte) 0xff;
        hostile[desc + 26] = (byte) 0xff;
        hostile[desc + 27] = (byte) 0xff;
        ColourProfile described = ColourProfile.of(hostile);
        assertThat(described).isNotNull();
        // A profile without its red tone curve: parsed, but the colour engine cannot link it.
        byte[] broken = p3.clone();
        int table = 132;
        int count = u32(broken, 128);
        for (int t = 0; t < count; t++) {
            int entry = table + 12 * t;
            if (new String(broken, entry, 4, java.nio.charset.StandardCharsets.ISO_8859_1)
                    .equals("rTRC")) {
                broken[entry] = 'x';
            }
        }
        ColourProfile unlinkable = ColourProfile.of(broken);
        assertThat(unlinkable.converts()).isFalse();
        assertThat(unlinkable.bytes()).isEqualTo(broken);
        Picture coffee = ImageCodec.decode(ImageCodecTest.resource("coffee.png"), "image", 1 << 26);
        assertThat(unlinkable.toSrgb(coffee)).isSameAs(coffee);
    }

    private static int tagOffset(byte[] icc, String signature) {
        int count = u32(icc, 128);
        for (int t = 0; t < count; t++) {
            int entry = 132 + 12 * t;
            if (new String(icc, entry, 4, java.nio.charset.StandardCharsets.ISO_8859_1)
                    .equals(signature)) {
                return u32(icc, entry + 4);
            }
        }
        throw new AssertionError("no " + signature + " tag");
    }

    private static int u32(byte[] b, int at) {
        return (b[at] & 0xff) << 24
                | (b[at + 1] & 0xff) << 16
                | (b[at + 2] & 0xff) << 8
                | (b[at + 3] & 0xff);
    }
}
