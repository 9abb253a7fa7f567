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
        // The same profile claiming another colour space (grey): not an RGB profile.
        byte[] grey = p3.clone();
        System.arraycopy(
                "GRAY".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, grey, 16, 4);
        assertThat(ColourProfile.of(grey)).isNull();
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
}
