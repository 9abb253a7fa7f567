package org.lamaworker.worker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.lamaworker.worker.image.ImageCodec;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.MaskOps;
import org.lamaworker.worker.image.Picture;

/**
 * The test corpus (see src/test/resources/corpus/README.md) and the checks every output must pass.
 */
public final class Corpus {
    /** Picture file names; each has NAME.mask.png beside it. */
    public static final List<String> PICTURES =
            List.of(
                    "astronaut.png",
                    "brick.png",
                    "chelsea.png",
                    "coffee.png",
                    "kite.jpg",
                    "pier.jpg",
                    "rocket-5k.jpg");

    /**
     * The pictures of {@code formats/} (as uploaders send them) with the mask each takes: the mask
     * of the picture they show.
     */
    public static final Map<String, String> FORMATS =
            Map.ofEntries(
                    Map.entry("formats/chelsea-16bit.png", "chelsea.mask.png"),
                    Map.entry("formats/chelsea-16bit-icc.png", "chelsea.mask.png"),
                    Map.entry("formats/chelsea-rgba.png", "chelsea.mask.png"),
                    Map.entry("formats/chelsea-alpha.webp", "chelsea.mask.png"),
                    Map.entry("formats/chelsea-alpha-lossy.webp", "chelsea.mask.png"),
                    Map.entry("formats/coffee-cmyk.jpg", "coffee.mask.png"),
                    Map.entry("formats/coffee-exif6.jpg", "coffee.mask.png"),
                    Map.entry("formats/coffee-progressive.jpg", "coffee.mask.png"),
                    Map.entry("formats/coffee-p3.jpg", "coffee.mask.png"),
                    Map.entry("formats/coffee-444.jpg", "coffee.mask.png"),
                    Map.entry("formats/coffee-restart.jpg", "coffee.mask.png"),
                    Map.entry("formats/coffee-422.jpg", "coffee.mask.png"),
                    Map.entry("formats/coffee-progressive-420.jpg", "coffee.mask.png"),
                    Map.entry("formats/coffee-grey-progressive.jpg", "coffee.mask.png"),
                    Map.entry("formats/coffee-gps.jpg", "coffee.mask.png"),
                    Map.entry("formats/coffee-lossy.webp", "coffee.mask.png"),
                    Map.entry("formats/coffee-plain-lossy.webp", "coffee.mask.png"),
                    Map.entry("formats/coffee-lossless.webp", "coffee.mask.png"));

    /** Masks as uploaders send them, each drawn for {@code coffee.png}. */
    public static final List<String> COFFEE_MASK_FORMATS =
            List.of("formats/coffee.rgb.mask.png", "formats/coffee.soft.mask.png");

    private Corpus() {}

    /** The mask file name of a picture. */
    public static String maskOf(String picture) {
        return picture.substring(0, picture.lastIndexOf('.')) + ".mask.png";
    }

    /** Copies the named pictures and their masks into {@code dir}. */
    public static Path copyTo(Path dir, List<String> pictures) {
        try {
            Files.createDirectories(dir);
            for (String picture : pictures) {
                copy(picture, dir);
                copy(maskOf(picture), dir);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes of a corpus file. */
    public static byte[] bytes(String name) {
        try (InputStream in = Corpus.class.getResourceAsStream("/corpus/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no corpus file " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(String name, Path dir) throws IOException {
        Files.write(dir.resolve(name), bytes(name));
    }

    /** Default mask growth plus seam of the worker: pixels farther from the mask never change. */
    public static final int DEFAULT_REACH_PX = 3 + 2;

    /**
     * Asserts what every inpainted output must satisfy with the worker's default mask handling: the
     * input's dimensions, every pixel farther than {@link #DEFAULT_REACH_PX} from the (filled) mask
     * exactly as decoded from the input, and most pixels inside the mask changed.
     */
    public static void assertInpainted(String picture, byte[] output) {
        assertInpainted(picture, output, DEFAULT_REACH_PX, true);
    }

    /**
     * Asserts the output's size, that every pixel farther than {@code reachPx} from the mask (with
     * enclosed holes filled when {@code filled}) is exactly as decoded from the input, and that
     * most mask pixels changed.
     */
    public static void assertInpainted(String picture, byte[] output, int reachPx, boolean filled) {
        assertInpainted(picture, maskOf(picture), output, reachPx, filled);
    }

    /** As {@link #assertInpainted(String, byte[], int, boolean)} with a mask named explicitly. */
    public static void assertInpainted(
            String picture, String maskName, byte[] output, int reachPx, boolean filled) {
        Picture input = ImageCodec.decode(bytes(picture), "image", Long.MAX_VALUE);
        Mask mask =
                ImageCodec.binarize(
                        ImageCodec.decode(bytes(maskName), "mask", Long.MAX_VALUE), 128);
        Mask reach = MaskOps.dilate(filled ? MaskOps.fillHoles(mask) : mask, reachPx);
        Picture result = ImageCodec.decode(output, "output", Long.MAX_VALUE);
        assertThat(result.width()).as(picture + " width").isEqualTo(input.width());
        assertThat(result.height()).as(picture + " height").isEqualTo(input.height());
        int holes = 0;
        int changed = 0;
        int[] in = input.argb();
        int[] out = result.argb();
        for (int i = 0; i < in.length; i++) {
            boolean same = (in[i] & 0xffffff) == (out[i] & 0xffffff);
            if (mask.hole()[i]) {
                holes++;
                if (!same) {
                    changed++;
                }
            } else if (!reach.hole()[i] && !same) {
                throw new AssertionError(
                        picture
                                + ": pixel ("
                                + (i % input.width())
                                + ","
                                + (i / input.width())
                                + ") farther than "
                                + reachPx
                                + " px from the mask changed from "
                                + Integer.toHexString(in[i])
                                + " to "
                                + Integer.toHexString(out[i]));
            }
        }
        assertThat(holes).as(picture + " hole pixels").isPositive();
        assertThat((double) changed / holes)
                .as(picture + " fraction of hole pixels changed")
                .isGreaterThan(0.5);
    }

    /**
     * As {@link #assertInpainted(String, byte[])} for lossy output: outside the mask's reach the
     * mean difference (largest channel, 0-255) is at most {@code meanLevels} instead of zero.
     */
    public static void assertInpaintedLossy(String picture, byte[] output, double meanLevels) {
        Picture input = ImageCodec.decode(bytes(picture), "image", Long.MAX_VALUE);
        Mask mask =
                ImageCodec.binarize(
                        ImageCodec.decode(bytes(maskOf(picture)), "mask", Long.MAX_VALUE), 128);
        Mask reach = MaskOps.dilate(MaskOps.fillHoles(mask), DEFAULT_REACH_PX);
        Picture result = ImageCodec.decode(output, "output", Long.MAX_VALUE);
        assertThat(result.width()).as(picture + " width").isEqualTo(input.width());
        assertThat(result.height()).as(picture + " height").isEqualTo(input.height());
        long sum = 0;
        long outside = 0;
        int holes = 0;
        int changed = 0;
        for (int i = 0; i < input.pixels(); i++) {
            int in = input.argb()[i];
            int out = result.argb()[i];
            int difference = 0;
            for (int shift = 0; shift <= 16; shift += 8) {
                difference =
                        Math.max(
                                difference,
                                Math.abs((in >>> shift & 0xff) - (out >>> shift & 0xff)));
            }
            if (mask.hole()[i]) {
                holes++;
                changed += difference > 0 ? 1 : 0;
            } else if (!reach.hole()[i]) {
                outside++;
                sum += difference;
            }
        }
        assertThat((double) sum / outside)
                .as(picture + " mean difference outside the mask")
                .isLessThanOrEqualTo(meanLevels);
        assertThat((double) changed / holes)
                .as(picture + " hole pixels changed")
                .isGreaterThan(0.5);
    }
}
