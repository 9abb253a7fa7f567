package org.lamaworker.worker.image.jpeg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lamaworker.worker.testing.DebianTools;

/**
 * The coefficient-level JPEG codec against libjpeg-turbo's {@code djpeg}: files read and written
 * unchanged decode to the same pixels, a patch changes only the MCUs it touches, a window decodes
 * close to djpeg, files the codec does not handle (or damaged ones) are refused or come out valid,
 * and the parts (segments kept, Huffman codes) hold their contracts.
 */
class JpegCodecTest {
    private static final String LIBJPEG = "libjpeg-turbo-progs";
    private static final long NO_LIMIT = 1L << 40;

    /** Corpus JPEGs (all but the CMYK one, and rocket-5k, too slow here). */
    private static final List<String> CORPUS =
            List.of(
                    "kite.jpg",
                    "pier.jpg",
                    "formats/coffee-444.jpg",
                    "formats/coffee-progressive.jpg",
                    "formats/coffee-restart.jpg",
                    "formats/coffee-exif6.jpg",
                    "formats/coffee-p3.jpg",
                    "formats/coffee-gps.jpg");

    /**
     * Files made with cjpeg in {@link #makePictures}: name, source PPM, cjpeg options. {@code
     * coffee} is coffee.png (600x400), {@code odd} coffee.png scaled to 333x217 (partial MCUs at
     * the right and bottom edges whatever the sampling), {@code kite} kite.jpg scaled to 600x375.
     */
    private static final Map<String, String[]> MADE = new LinkedHashMap<>();

    static {
        MADE.put("cjpeg-422.jpg", new String[] {"coffee", "-sample", "2x1"});
        MADE.put("cjpeg-440-odd.jpg", new String[] {"odd", "-sample", "1x2"});
        MADE.put("cjpeg-444-odd.jpg", new String[] {"odd", "-sample", "1x1", "-quality", "90"});
        MADE.put(
                "cjpeg-progressive-420-restart3-odd.jpg",
                new String[] {"odd", "-progressive", "-restart", "3"});
        MADE.put(
                "cjpeg-progressive-grey-odd.jpg",
                new String[] {"odd", "-grayscale", "-progressive"});
        MADE.put("cjpeg-restart1B-odd.jpg", new String[] {"odd", "-restart", "1B"});
        MADE.put("cjpeg-optimize-kite.jpg", new String[] {"kite", "-optimize"});
    }

    /** Every test picture by name: the corpus's and the ones made here. */
    private static final Map<String, byte[]> PICTURES = new HashMap<>();

    @TempDir static Path dir;

    @BeforeAll
    static void makePictures() throws IOException {
        for (String name : CORPUS) {
            PICTURES.put(name, resource(name));
        }
        Path coffee = dir.resolve("coffee.png");
        Path kite = dir.resolve("kite.jpg");
        Files.write(coffee, resource("coffee.png"));
        Files.write(kite, resource("kite.jpg"));
        Map<String, Path> ppm = new HashMap<>();
        ppm.put("coffee", convert(coffee, "coffee.ppm"));
        ppm.put("odd", convert(coffee, "odd.ppm", "-resize", "333x217!"));
        ppm.put("kite", convert(kite, "kite.ppm", "-resize", "600x"));
        for (Map.Entry<String, String[]> e : MADE.entrySet()) {
            String[] spec = e.getValue();
            Path out = dir.resolve(e.getKey());
            List<String> command = new ArrayList<>(List.of("cjpeg"));
            command.addAll(Arrays.asList(spec).subList(1, spec.length));
            command.addAll(List.of("-outfile", out.toString(), ppm.get(spec[0]).toString()));
            DebianTools.stdout(LIBJPEG, command.toArray(String[]::new));
            PICTURES.put(e.getKey(), Files.readAllBytes(out));
        }
    }

    private static Path convert(Path source, String name, String... options) {
        Path out = dir.resolve(name);
        List<String> command = new ArrayList<>(List.of("convert", source.toString()));
        command.addAll(List.of(options));
        command.addAll(List.of("-depth", "8", "ppm:" + out));
        DebianTools.stdout("imagemagick", command.toArray(String[]::new));
        return out;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = JpegCodecTest.class.getResourceAsStream("/corpus/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    static Stream<String> roundTripPictures() {
        return Stream.concat(CORPUS.stream(), MADE.keySet().stream());
    }

    @Test
    void thePicturesMadeHereAreCodedAsTheirNamesSay() throws Exception {
        assertCoding("cjpeg-422.jpg", false, 0, 16, 8, 3);
        assertCoding("cjpeg-440-odd.jpg", false, 0, 8, 16, 3);
        assertCoding("cjpeg-444-odd.jpg", false, 0, 8, 8, 3);
        // -restart 3 is 3 MCU rows: 21 MCUs of 16x16 across 333 pixels.
        assertCoding("cjpeg-progressive-420-restart3-odd.jpg", true, 63, 16, 16, 3);
        assertCoding("cjpeg-progressive-grey-odd.jpg", true, 0, 8, 8, 1);
        assertCoding("cjpeg-restart1B-odd.jpg", false, 1, 16, 16, 3);
        assertCoding("cjpeg-optimize-kite.jpg", false, 0, 16, 16, 3);
        JpegImage odd = JpegReader.read(PICTURES.get("cjpeg-440-odd.jpg"), NO_LIMIT);
        assertThat(odd.width()).isEqualTo(333);
        assertThat(odd.height()).isEqualTo(217);
    }

    private static void assertCoding(
            String name, boolean progressive, int restart, int mcuW, int mcuH, int components)
            throws UnpatchableJpeg {
        JpegImage image = JpegReader.read(PICTURES.get(name), NO_LIMIT);
        assertThat(image.progressive()).as("%s progressive", name).isEqualTo(progressive);
        assertThat(image.restartInterval()).as("%s restart interval", name).isEqualTo(restart);
        assertThat(image.mcuWidth()).as("%s MCU width", name).isEqualTo(mcuW);
        assertThat(image.mcuHeight()).as("%s MCU height", name).isEqualTo(mcuH);
        assertThat(image.componentCount()).as("%s components", name).isEqualTo(components);
    }

    // 1. Read, then write unchanged.

    @ParameterizedTest
    @MethodSource("roundTripPictures")
    void writingWhatWasReadKeepsEveryPixelTheScanModeTheRestartsAndTheSize(String name)
            throws Exception {
        byte[] in = PICTURES.get(name);
        JpegImage image = JpegReader.read(in, NO_LIMIT);
        byte[] out = JpegWriter.write(image, image.segments(), in.length);
        System.out.printf(
                "round trip %-40s %8d -> %8d bytes (%+.2f%%)%n",
                name, in.length, out.length, 100.0 * (out.length - in.length) / in.length);

        for (String[] options : new String[][] {{}, {"-nosmooth"}}) {
            byte[] expected = cleanDjpeg(in, options);
            byte[] actual = cleanDjpeg(out, options);
            assertThat(Arrays.equals(actual, expected))
                    .as("%s decodes (djpeg %s) to the input's pixels", name, List.of(options))
                    .isTrue();
        }

        List<Segment> inSegments = segments(in);
        List<Segment> outSegments = segments(out);
        boolean progressive = frame(inSegments).marker == 0xC2;
        assertThat(image.progressive()).isEqualTo(progressive);
        assertThat(frame(outSegments).marker)
                .as("%s: SOF of the output", name)
                .isEqualTo(progressive ? 0xC2 : 0xC0);
        int interval = restartInterval(in, inSegments);
        assertThat(image.restartInterval()).isEqualTo(interval);
        assertThat(restartInterval(out, outSegments))
                .as("%s: restart interval", name)
                .isEqualTo(interval);
        if (interval > 0) {
            if (!progressive) {
                assertThat(restartMarkers(outSegments)).isEqualTo(restartMarkers(inSegments));
            } else {
                assertThat(restartMarkers(outSegments)).isPositive();
            }
        }
        assertThat(applicationSegments(out, outSegments))
                .as("%s: APPn and COM segments, in order", name)
                .containsExactlyElementsOf(applicationSegments(in, inSegments));
        assertThat((double) out.length).as("%s: size", name).isLessThanOrEqualTo(in.length * 1.03);
    }

    // 2. Patching.

    /** A mid grey, a little blue: colour edges that subsampled chroma does not ring much at. */
    private static final int PAINT = 0xff7c8084;

    static Stream<String> patchPictures() {
        return Stream.of(
                "formats/coffee-444.jpg",
                "formats/coffee-gps.jpg",
                "formats/coffee-restart.jpg",
                "cjpeg-422.jpg",
                "cjpeg-440-odd.jpg",
                "cjpeg-progressive-420-restart3-odd.jpg",
                "cjpeg-progressive-grey-odd.jpg");
    }

    @ParameterizedTest
    @MethodSource("patchPictures")
    void aPatchInTheMiddleChangesOnlyTheMcusItTouches(String name) throws Exception {
        byte[] in = PICTURES.get(name);
        JpegImage image = JpegReader.read(in, NO_LIMIT);
        int w = image.width();
        int h = image.height();
        int[] window = JpegRegion.align(image, w / 4 + 5, h / 4 + 3, w / 2, h / 2);
        // Painted: a third of the window, in its middle.
        int rx = window[0] + window[2] / 3 + 3;
        int ry = window[1] + window[3] / 3 + 5;
        patch(name, in, image, window, new int[] {rx, ry, window[2] / 3, window[3] / 3});
    }

    @ParameterizedTest
    @ValueSource(strings = {"cjpeg-restart1B-odd.jpg", "cjpeg-440-odd.jpg", "cjpeg-444-odd.jpg"})
    void aPatchReachingThePictureEdgeFillsThePartialMcus(String name) throws Exception {
        byte[] in = PICTURES.get(name);
        JpegImage image = JpegReader.read(in, NO_LIMIT);
        int w = image.width();
        int h = image.height();
        assertThat(w % image.mcuWidth() != 0 || h % image.mcuHeight() != 0).isTrue();
        int[] window = JpegRegion.align(image, w / 2, h / 2, w - w / 2, h - h / 2);
        assertThat(window[0] + window[2]).isEqualTo(w);
        assertThat(window[1] + window[3]).isEqualTo(h);
        int rx = w / 2 + 21;
        int ry = h / 2 + 19;
        patch(name, in, image, window, new int[] {rx, ry, w - rx, h - ry});
    }

    /**
     * Paints {@code rect} (picture coordinates, inside the window) in {@link #PAINT}, encodes the
     * MCUs it touches, writes, and compares djpeg's decodes of input and output.
     */
    private static void patch(String name, byte[] in, JpegImage image, int[] window, int[] rect) {
        int x0 = window[0];
        int y0 = window[1];
        int ww = window[2];
        int wh = window[3];
        assertThat(x0 % image.mcuWidth()).isZero();
        assertThat(y0 % image.mcuHeight()).isZero();
        int[] argb = JpegRegion.decode(image, x0, y0, ww, wh);
        assertThat(argb).hasSize(ww * wh);
        float[] weights = new float[ww * wh];
        for (int y = rect[1]; y < rect[1] + rect[3]; y++) {
            for (int x = rect[0]; x < rect[0] + rect[2]; x++) {
                int i = (y - y0) * ww + x - x0;
                argb[i] = PAINT;
                weights[i] = 1f;
            }
        }
        boolean[] touched = JpegRegion.touched(image, x0, y0, ww, wh, weights);
        int mw = image.mcuWidth();
        int mh = image.mcuHeight();
        int mcusWide = image.mcusWide();
        boolean[] expected = new boolean[mcusWide * image.mcusHigh()];
        for (int my = rect[1] / mh; my <= (rect[1] + rect[3] - 1) / mh; my++) {
            for (int mx = rect[0] / mw; mx <= (rect[0] + rect[2] - 1) / mw; mx++) {
                expected[my * mcusWide + mx] = true;
            }
        }
        assertThat(touched).as("%s: touched MCUs", name).isEqualTo(expected);
        int count = 0;
        for (boolean t : touched) {
            count += t ? 1 : 0;
        }
        assertThat(JpegRegion.encode(image, x0, y0, ww, wh, argb, touched)).isEqualTo(count);
        byte[] out = JpegWriter.write(image, image.segments(), in.length);

        int w = image.width();
        int h = image.height();
        boolean grey = image.componentCount() == 1;
        int[] paint = {(PAINT >> 16) & 0xff, (PAINT >> 8) & 0xff, PAINT & 0xff};
        if (grey) {
            int luma = Math.round(0.299f * paint[0] + 0.587f * paint[1] + 0.114f * paint[2]);
            paint = new int[] {luma, luma, luma};
        }
        // Ringing of the rectangle's edges stays within the 8x8 blocks across them.
        int margin = 8;
        int[] before = pixels(cleanDjpeg(in, "-nosmooth"));
        int[] after = pixels(cleanDjpeg(out, "-nosmooth"));
        int changed = 0;
        int paintMax = 0;
        long paintSum = 0;
        long paintCount = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                if (!touched[(y / mh) * mcusWide + x / mw]) {
                    if (before[i] != after[i]) {
                        fail(
                                "%s: pixel %d,%d outside the touched MCUs changed from %06x to"
                                        + " %06x (djpeg -nosmooth)",
                                name, x, y, before[i] & 0xffffff, after[i] & 0xffffff);
                    }
                    continue;
                }
                changed += before[i] != after[i] ? 1 : 0;
                if (x >= rect[0] + margin
                        && x < rect[0] + rect[2] - margin
                        && y >= rect[1] + margin
                        && y < rect[1] + rect[3] - margin) {
                    for (int c = 0; c < 3; c++) {
                        int d = Math.abs(((after[i] >> (16 - 8 * c)) & 0xff) - paint[c]);
                        paintMax = Math.max(paintMax, d);
                        paintSum += d;
                        paintCount++;
                    }
                }
            }
        }
        System.out.printf(
                "patch %-40s %4d MCUs re-encoded, painted pixels off by max %d, mean %.3f%n",
                name, count, paintMax, (double) paintSum / paintCount);
        assertThat(paintCount).as("%s: painted pixels checked", name).isPositive();
        assertThat(changed).as("%s: pixels the patch changed", name).isPositive();
        assertThat(paintMax).as("%s: painted colour, largest error", name).isLessThanOrEqualTo(12);
        assertThat((double) paintSum / paintCount)
                .as("%s: painted colour, mean error", name)
                .isLessThan(2.0);

        // With fancy upsampling, chroma of a touched MCU reaches into its neighbours, no further.
        int[] fancyBefore = pixels(cleanDjpeg(in));
        int[] fancyAfter = pixels(cleanDjpeg(out));
        boolean upsampled = false;
        for (int c = 1; c < image.componentCount(); c++) {
            upsampled |= image.component(c).h != image.component(0).h;
            upsampled |= image.component(c).v != image.component(0).v;
        }
        int reach = upsampled ? 1 : 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int mx = x / mw;
                int my = y / mh;
                boolean near = false;
                for (int ny = Math.max(0, my - reach);
                        ny <= Math.min(image.mcusHigh() - 1, my + reach);
                        ny++) {
                    for (int nx = Math.max(0, mx - reach);
                            nx <= Math.min(mcusWide - 1, mx + reach);
                            nx++) {
                        near |= touched[ny * mcusWide + nx];
                    }
                }
                int i = y * w + x;
                if (!near && fancyBefore[i] != fancyAfter[i]) {
                    fail(
                            "%s: pixel %d,%d away from the touched MCUs changed from %06x to"
                                    + " %06x (djpeg, fancy upsampling)",
                            name, x, y, fancyBefore[i] & 0xffffff, fancyAfter[i] & 0xffffff);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"formats/coffee-444.jpg", "formats/coffee-gps.jpg"})
    void reEncodingUneditedPixelsChangesLittle(String name) throws Exception {
        byte[] in = PICTURES.get(name);
        JpegImage original = JpegReader.read(in, NO_LIMIT);
        JpegImage image = JpegReader.read(in, NO_LIMIT);
        int w = image.width();
        int h = image.height();
        boolean[] all = new boolean[image.mcusWide() * image.mcusHigh()];
        Arrays.fill(all, true);
        int[] argb = JpegRegion.decode(image, 0, 0, w, h);
        assertThat(JpegRegion.encode(image, 0, 0, w, h, argb, all)).isEqualTo(all.length);
        long coefficients = 0;
        long changed = 0;
        for (int c = 0; c < image.componentCount(); c++) {
            short[] a = original.component(c).coefficients;
            short[] b = image.component(c).coefficients;
            coefficients += a.length;
            for (int i = 0; i < a.length; i++) {
                changed += a[i] != b[i] ? 1 : 0;
            }
        }
        byte[] out = JpegWriter.write(image, image.segments(), in.length);
        double[] diff =
                difference(
                        pixels(cleanDjpeg(in, "-nosmooth")), pixels(cleanDjpeg(out, "-nosmooth")));
        System.out.printf(
                "re-encode %-36s %.3f%% of coefficients changed, pixels off by mean %.3f, max"
                        + " %.0f%n",
                name, 100.0 * changed / coefficients, diff[0], diff[1]);
        assertThat((double) changed / coefficients).isLessThan(0.03);
        assertThat(diff[0]).isLessThan(0.5);
    }

    // 3. Window decode accuracy.

    @ParameterizedTest
    @ValueSource(
            strings = {
                "formats/coffee-444.jpg",
                "formats/coffee-gps.jpg",
                "cjpeg-422.jpg",
                "cjpeg-440-odd.jpg",
                "cjpeg-progressive-grey-odd.jpg"
            })
    void aWindowDecodesAsDjpegDoes(String name) throws Exception {
        byte[] in = PICTURES.get(name);
        JpegImage image = JpegReader.read(in, NO_LIMIT);
        int w = image.width();
        int h = image.height();
        int[] whole = JpegRegion.decode(image, 0, 0, w, h);
        double[] diff = difference(whole, pixels(cleanDjpeg(in, "-nosmooth")));
        System.out.printf(
                "window decode %-32s against djpeg -nosmooth: mean %.4f, max %.0f%n",
                name, diff[0], diff[1]);
        assertThat(diff[0]).as("%s: mean absolute difference", name).isLessThan(0.25);
        assertThat(diff[1]).as("%s: largest difference", name).isLessThanOrEqualTo(6);

        // A window is the same pixels as that part of the whole.
        int[] window = JpegRegion.align(image, w / 3, h / 3, w / 3, h - h / 3);
        int[] part = JpegRegion.decode(image, window[0], window[1], window[2], window[3]);
        for (int y = 0; y < window[3]; y++) {
            for (int x = 0; x < window[2]; x++) {
                int expected = whole[(window[1] + y) * w + window[0] + x];
                if (part[y * window[2] + x] != expected) {
                    fail("%s: window pixel %d,%d differs from the whole decode", name, x, y);
                }
            }
        }
    }

    @Test
    void windowsAreWholeMcusAndMisalignedOnesAreRefused() throws Exception {
        JpegImage image = JpegReader.read(PICTURES.get("cjpeg-440-odd.jpg"), NO_LIMIT);
        assertThat(image.mcuWidth()).isEqualTo(8);
        assertThat(image.mcuHeight()).isEqualTo(16);
        assertThat(JpegRegion.align(image, 9, 17, 1, 1)).containsExactly(8, 16, 8, 16);
        assertThat(JpegRegion.align(image, 330, 210, 3, 7)).containsExactly(328, 208, 5, 9);
        assertThatThrownBy(() -> JpegRegion.decode(image, 4, 0, 8, 8))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JpegRegion.decode(image, 0, 0, 334, 8))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // 4. What the reader refuses, and damaged files.

    @Test
    void codingsTheReaderDoesNotHandleAreUnsupportedNotDamaged() throws Exception {
        assertUnsupported(resource("formats/coffee-cmyk.jpg"), "CMYK");

        Path source = dir.resolve("arithmetic-source.jpg");
        Files.write(source, PICTURES.get("cjpeg-422.jpg"));
        Path arithmetic = dir.resolve("arithmetic.jpg");
        DebianTools.stdout(
                LIBJPEG,
                "jpegtran",
                "-arithmetic",
                "-outfile",
                arithmetic.toString(),
                source.toString());
        byte[] arith = Files.readAllBytes(arithmetic);
        assertThat(frame(segments(arith)).marker).isEqualTo(0xC9);
        assertUnsupported(arith, "arithmetic");

        Path rgb = dir.resolve("rgb.jpg");
        DebianTools.stdout(
                LIBJPEG,
                "cjpeg",
                "-rgb",
                "-outfile",
                rgb.toString(),
                dir.resolve("odd.ppm").toString());
        assertUnsupported(Files.readAllBytes(rgb), "RGB");

        byte[] kite = PICTURES.get("kite.jpg");
        assertUnsupported(kite, 2560L * 1600 - 1, "above the pixel limit");
        assertThat(JpegReader.read(kite, 2560L * 1600).width()).isEqualTo(2560);
    }

    private static void assertUnsupported(byte[] jpeg, String what) {
        assertUnsupported(jpeg, NO_LIMIT, what);
    }

    private static void assertUnsupported(byte[] jpeg, long maxPixels, String what) {
        try {
            JpegReader.read(jpeg, maxPixels);
            fail("a " + what + " JPEG was read");
        } catch (UnpatchableJpeg e) {
            assertThat(e.damaged())
                    .as("%s: %s reported as damaged", what, e.getMessage())
                    .isFalse();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cjpeg-restart1B-odd.jpg", "cjpeg-progressive-420-restart3-odd.jpg"})
    void damagedFilesAreRefusedOrWrittenValid(String name) throws Exception {
        byte[] in = PICTURES.get(name);
        int truncatedRefused = 0;
        for (int k = 1; k <= 40; k++) {
            int length = (int) ((long) in.length * k / 41);
            byte[] truncated = Arrays.copyOf(in, length);
            try {
                JpegReader.read(truncated, NO_LIMIT);
                fail("%s truncated to %d bytes was read", name, length);
            } catch (UnpatchableJpeg e) {
                assertThat(e.damaged()).as("truncated to %d: %s", length, e.getMessage()).isTrue();
                truncatedRefused++;
            }
        }
        int dataStart = scanDataStart(in);
        Random random = new Random(20240611L);
        int refused = 0;
        int read = 0;
        int sameAsDjpeg = 0;
        int clamped = 0;
        int refusedByDjpeg = 0;
        for (int k = 0; k < 200; k++) {
            byte[] damaged = in.clone();
            int at = dataStart + random.nextInt(in.length - 2 - dataStart);
            byte value;
            do {
                value = (byte) random.nextInt(256);
            } while (value == damaged[at]);
            damaged[at] = value;
            String what = name + " with byte " + at + " set to " + (value & 0xff);
            JpegImage image;
            try {
                image = JpegReader.read(damaged, NO_LIMIT);
            } catch (UnpatchableJpeg e) {
                refused++;
                continue;
            }
            read++;
            byte[] out = JpegWriter.write(image, image.segments(), damaged.length);
            DebianTools.Output written = djpeg(out, "-nosmooth");
            assertThat(written.exitCode())
                    .as("%s: djpeg of the output: %s", what, written.stderr())
                    .isZero();
            assertThat(written.stderr()).as("%s: djpeg of the output", what).isEmpty();
            // Where libjpeg reads the damaged file (exit status 2: with warnings), it sees the same
            // picture, but for DC values the reader holds to an 8-bit file's range.
            DebianTools.Output original = djpeg(damaged, "-nosmooth");
            if (original.exitCode() == 0 || original.exitCode() == 2) {
                if (Arrays.equals(original.stdout(), written.stdout())) {
                    sameAsDjpeg++;
                } else {
                    assertDifferOnlyAtCodingLimit(
                            image, pixels(original.stdout()), pixels(written.stdout()), what);
                    clamped++;
                }
            } else {
                // djpeg refuses the file: a damaged header, which headersLibjpegRefusesAreDamaged
                // pins down; the output still has to be valid.
                refusedByDjpeg++;
            }
        }
        System.out.printf(
                "damaged %-34s truncations refused %d/40; corruptions refused %d, read %d (%d as"
                        + " djpeg reads them, %d but for MCUs at the coefficient limit, %d that djpeg"
                        + " refuses)%n",
                name, truncatedRefused, refused, read, sameAsDjpeg, clamped, refusedByDjpeg);
    }

    /**
     * Headers libjpeg refuses (djpeg exits with an error) are damage the reader must not read past:
     * it would otherwise patch a file the whole-picture path reports as damaged, and guess at what
     * the file means.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "a refinement scan whose Ah is not Al+1",
                "a scan naming Huffman tables 5",
                "a DC Huffman table holding symbol 27"
            })
    void headersLibjpegRefusesAreDamaged(String damage) throws Exception {
        String name =
                damage.startsWith("a refinement")
                        ? "cjpeg-progressive-420-restart3-odd.jpg"
                        : "cjpeg-422.jpg";
        byte[] jpeg = PICTURES.get(name).clone();
        List<Segment> segments = segments(jpeg);
        switch (damage) {
            case "a refinement scan whose Ah is not Al+1" -> {
                Segment refinement =
                        segments.stream()
                                .filter(s -> s.marker == 0xDA)
                                .filter(s -> (jpeg[successiveApproximation(jpeg, s)] & 0xf0) != 0)
                                .findFirst()
                                .orElseThrow();
                int at = successiveApproximation(jpeg, refinement);
                jpeg[at] += 0x20; // Ah two more: the scan refines a bit no earlier scan left out
            }
            case "a scan naming Huffman tables 5" -> {
                Segment scan = segments.stream().filter(s -> s.marker == 0xDA).findFirst().get();
                int at = scan.offset + 4 + 1 + 2 * 2 + 1; // the third component's tables
                assertThat(jpeg[at] & 0xff).isEqualTo(0x11);
                jpeg[at] = 0x55;
            }
            default -> {
                Segment dht = segments.stream().filter(s -> s.marker == 0xC4).findFirst().get();
                assertThat(jpeg[dht.offset + 4]).as("a DC table first").isZero();
                int symbols = 0;
                for (int l = 1; l <= 16; l++) {
                    symbols += jpeg[dht.offset + 4 + l] & 0xff;
                }
                int at = dht.offset + 4 + 17 + symbols - 1;
                assertThat(jpeg[at] & 0xff).isEqualTo(11);
                jpeg[at] = 27;
            }
        }
        DebianTools.Output libjpeg = djpeg(jpeg);
        assertThat(libjpeg.exitCode()).as("djpeg: %s", libjpeg.stderr()).isEqualTo(1);
        try {
            JpegReader.read(jpeg, NO_LIMIT);
            fail("%s with %s (djpeg: %s) was read", name, damage, libjpeg.stderr().trim());
        } catch (UnpatchableJpeg e) {
            assertThat(e.damaged()).as(e.getMessage()).isTrue();
        }
    }

    /** Where a scan header's Ah/Al byte is. */
    private static int successiveApproximation(byte[] jpeg, Segment scan) {
        int components = jpeg[scan.offset + 4] & 0xff;
        return scan.offset + 4 + 1 + 2 * components + 2;
    }

    /**
     * Fails unless every pixel that differs lies in an MCU with a coefficient at the limit of an
     * 8-bit file (a DC the reader clamped, where libjpeg keeps the damaged value).
     */
    private static void assertDifferOnlyAtCodingLimit(
            JpegImage image, int[] expected, int[] actual, String what) {
        boolean[] limit = new boolean[image.mcusWide() * image.mcusHigh()];
        for (JpegImage.Component c : image.components()) {
            for (int i = 0; i < c.coefficients.length; i++) {
                int v = c.coefficients[i];
                if (v >= 1023 || v <= -1023) {
                    int block = i / 64;
                    int mx = block % c.blocksWide / c.h;
                    int my = block / c.blocksWide / c.v;
                    limit[my * image.mcusWide() + mx] = true;
                }
            }
        }
        int w = image.width();
        for (int i = 0; i < expected.length; i++) {
            int mcu = i / w / image.mcuHeight() * image.mcusWide() + i % w / image.mcuWidth();
            if (expected[i] != actual[i] && !limit[mcu]) {
                fail(
                        "%s: pixel %d,%d of the output is %06x where djpeg reads %06x in the input",
                        what, i % w, i / w, actual[i] & 0xffffff, expected[i] & 0xffffff);
            }
        }
    }

    // 5. Segments kept.

    @Test
    void segmentsKeptDropTheMultiPictureIndexAndWithoutMetadataKeepOnlyWhatDecodingNeeds() {
        byte[] jfif = segment(0xE0, "JFIF\0", 1, 1, 0, 0, 1, 0, 1, 0, 0);
        byte[] jfxx = segment(0xE0, "JFXX\0", 0x10);
        byte[] exif = segment(0xE1, "Exif\0\0", 'M', 'M', 0, 42);
        byte[] xmp = segment(0xE1, "http://ns.adobe.com/xap/1.0/\0", '<', 'x', '/', '>');
        byte[] icc1 = segment(0xE2, "ICC_PROFILE\0", 1, 2, 9, 9, 9);
        byte[] mpf = segment(0xE2, "MPF\0", 'M', 'M', 0, 42, 0, 0, 0, 8);
        byte[] icc2 = segment(0xE2, "ICC_PROFILE\0", 2, 2, 7, 7);
        byte[] fpxr = segment(0xE2, "FPXR\0", 0, 1);
        byte[] emptyApp2 = segment(0xE2, "");
        byte[] notMpf = segment(0xE2, "MPFX", 0);
        // Photoshop resources: IPTC (1028, kept) and a thumbnail (1036, dropped): 8BIM, id, an
        // empty name padded to 2 bytes, a 4-byte size, data padded to even.
        int[] iptc = {'8', 'B', 'I', 'M', 0x04, 0x04, 0, 0, 0, 0, 0, 3, 0x1c, 2, 5, 0};
        int[] thumb = {'8', 'B', 'I', 'M', 0x04, 0x0C, 0, 0, 0, 0, 0, 2, 0xFF, 0xD8};
        byte[] photoshop = segment(0xED, "Photoshop 3.0\0", concat(iptc, thumb));
        byte[] photoshopIptc = segment(0xED, "Photoshop 3.0\0", iptc);
        byte[] comment = segment(0xFE, "made by hand");
        byte[] adobe = segment(0xEE, "Adobe", 0, 100, 0, 0, 0, 0, 1);
        byte[] mpfInApp1 = segment(0xE1, "MPF\0", 1);
        List<byte[]> segments =
                List.of(
                        jfif, jfxx, exif, xmp, icc1, mpf, icc2, fpxr, emptyApp2, notMpf, photoshop,
                        comment, adobe, mpfInApp1);
        List<byte[]> copy = new ArrayList<>(segments);

        // Previews are dropped (JFXX, FlashPix, Photoshop's thumbnail), the rest kept in order.
        List<byte[]> kept = JpegSegments.kept(segments, false);
        assertThat(kept).hasSize(11);
        assertThat(kept.get(7)).isEqualTo(photoshopIptc);
        assertThat(kept)
                .containsSubsequence(jfif, exif, xmp, icc1, icc2, emptyApp2, notMpf)
                .containsSubsequence(comment, adobe, mpfInApp1)
                .doesNotContain(jfxx, fpxr, mpf);
        // A JFIF thumbnail is cut off, its size set to 0x0.
        byte[] jfifThumb = segment(0xE0, "JFIF\0", 1, 1, 0, 0, 1, 0, 1, 2, 1, 255, 0, 0, 255, 0, 0);
        assertThat(JpegSegments.kept(List.of(jfifThumb), false).get(0)).isEqualTo(jfif);
        assertThat(JpegSegments.kept(segments, true)).containsExactly(jfif, icc1, icc2, adobe);
        assertThat(segments).containsExactlyElementsOf(copy);
        assertThat(JpegSegments.kept(List.of(mpf), false)).isEmpty();
        assertThat(JpegSegments.kept(List.of(), true)).isEmpty();
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** A whole segment: marker, length, identifier, then body bytes. */
    private static byte[] segment(int marker, String identifier, int... body) {
        byte[] id = identifier.getBytes(StandardCharsets.ISO_8859_1);
        int length = 2 + id.length + body.length;
        byte[] s = new byte[2 + length];
        s[0] = (byte) 0xFF;
        s[1] = (byte) marker;
        s[2] = (byte) (length >> 8);
        s[3] = (byte) length;
        System.arraycopy(id, 0, s, 4, id.length);
        for (int i = 0; i < body.length; i++) {
            s[4 + id.length + i] = (byte) body[i];
        }
        return s;
    }

    // 6. Huffman codes.

    @Test
    void optimalHuffmanCodesAreLimitedToSixteenBitsPrefixFreeAndNeverAllOnes() {
        Random random = new Random(7);
        List<int[]> tables = new ArrayList<>();
        tables.add(new int[256]); // nothing to code
        int[] one = new int[256];
        one[0xF0] = 1000;
        tables.add(one);
        int[] fibonacci = new int[256];
        int a = 1;
        int b = 1;
        for (int s = 0; s < 40; s++) {
            fibonacci[s * 3] = a;
            int next = a + b;
            a = b;
            b = next;
        }
        tables.add(fibonacci);
        for (int t = 0; t < 400; t++) {
            int[] frequency = new int[256];
            int symbols = t % 4 == 0 ? 201 + random.nextInt(56) : 1 + random.nextInt(256);
            double spread = 4 + random.nextInt(27); // counts up to 2^spread
            for (int k = 0; k < symbols; k++) {
                int s = random.nextInt(256);
                frequency[s] = 1 + (int) Math.pow(2, random.nextDouble() * spread);
            }
            tables.add(frequency);
        }
        int limited = 0;
        double worstLoss = 0;
        for (int[] frequency : tables) {
            HuffmanCode code = HuffmanCode.optimal(frequency);
            boolean any = Arrays.stream(frequency).anyMatch(f -> f > 0);
            int[] countOf = new int[17];
            List<Integer> coded = new ArrayList<>();
            long cost = 0;
            for (int s = 0; s < 256; s++) {
                int length = code.length[s];
                assertThat(length).as("length of symbol %d", s).isBetween(0, 16);
                if (frequency[s] > 0) {
                    assertThat(length).as("symbol %d occurs", s).isPositive();
                } else if (any) {
                    assertThat(length).as("symbol %d does not occur", s).isZero();
                }
                if (length > 0) {
                    countOf[length]++;
                    coded.add(s);
                    cost += (long) frequency[s] * length;
                    assertThat(code.code[s]).isBetween(0, (1 << length) - 2); // not all ones
                }
            }
            assertThat(coded).isNotEmpty();
            assertThat(Arrays.copyOfRange(code.counts, 1, 17))
                    .isEqualTo(Arrays.copyOfRange(countOf, 1, 17));
            assertThat(code.symbols).hasSize(coded.size());
            assertThat(Arrays.stream(code.symbols).sorted().boxed().toList()).isEqualTo(coded);
            for (int i = 1; i < code.symbols.length; i++) {
                int previous = code.symbols[i - 1];
                int current = code.symbols[i];
                assertThat(code.length[current]).isGreaterThanOrEqualTo(code.length[previous]);
            }
            for (int x : coded) {
                for (int y : coded) {
                    if (x != y && code.length[x] <= code.length[y]) {
                        int prefix = code.code[y] >>> (code.length[y] - code.length[x]);
                        assertThat(prefix)
                                .as("code of %d is a prefix of the code of %d", x, y)
                                .isNotEqualTo(code.code[x]);
                    }
                }
            }
            if (!any || coded.size() < 2) {
                continue;
            }
            long[] unlimited = huffman(frequency, false);
            long[] withReserved = huffman(frequency, true);
            assertThat(cost).isGreaterThanOrEqualTo(unlimited[0]);
            if (withReserved[1] <= 16) {
                assertThat(cost).isLessThanOrEqualTo(withReserved[0]);
            } else {
                limited++;
                worstLoss = Math.max(worstLoss, (double) cost / unlimited[0] - 1);
            }
        }
        System.out.printf(
                "Huffman: %d tables, %d needed lengths over 16; worst cost over the unlimited"
                        + " code %.3f%%%n",
                tables.size(), limited, 100 * worstLoss);
        assertThat(limited)
                .as("tables whose unlimited code is longer than 16 bits")
                .isGreaterThan(50);
        assertThat(worstLoss).isLessThan(0.05);
    }

    /**
     * The cost (sum of count times length) and the longest length of an unlimited Huffman code for
     * the symbols that occur, with or without JPEG's reserved symbol of count 1.
     */
    private static long[] huffman(int[] frequency, boolean reserved) {
        PriorityQueue<long[]> queue =
                new PriorityQueue<>(
                        (x, y) ->
                                x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
        for (int f : frequency) {
            if (f > 0) {
                queue.add(new long[] {f, 0});
            }
        }
        if (reserved) {
            queue.add(new long[] {1, 0});
        }
        long cost = 0;
        while (queue.size() > 1) {
            long[] x = queue.poll();
            long[] y = queue.poll();
            cost += x[0] + y[0];
            queue.add(new long[] {x[0] + y[0], Math.max(x[1], y[1]) + 1});
        }
        return new long[] {cost, queue.peek()[1]};
    }

    // Tools.

    private static DebianTools.Output djpeg(byte[] jpeg, String... options) {
        try {
            Path file = Files.createTempFile(dir, "djpeg", ".jpg");
            try {
                Files.write(file, jpeg);
                List<String> command = new ArrayList<>(List.of("djpeg"));
                command.addAll(List.of(options));
                command.add(file.toString());
                return DebianTools.run(LIBJPEG, command.toArray(String[]::new));
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** djpeg's PNM of a file it decodes without an error or a warning. */
    private static byte[] cleanDjpeg(byte[] jpeg, String... options) {
        DebianTools.Output output = djpeg(jpeg, options);
        assertThat(output.exitCode()).as("djpeg exit status: %s", output.stderr()).isZero();
        assertThat(output.stderr()).as("djpeg warnings").isEmpty();
        return output.stdout();
    }

    /** A binary PGM or PPM (8 bits) as opaque ARGB. */
    private static int[] pixels(byte[] pnm) {
        int[] at = {0};
        String magic = token(pnm, at);
        int width = Integer.parseInt(token(pnm, at));
        int height = Integer.parseInt(token(pnm, at));
        assertThat(token(pnm, at)).isEqualTo("255");
        int p = at[0] + 1;
        int[] argb = new int[width * height];
        for (int i = 0; i < argb.length; i++) {
            if (magic.equals("P5")) {
                argb[i] = 0xff000000 | (pnm[p++] & 0xff) * 0x010101;
            } else {
                assertThat(magic).isEqualTo("P6");
                argb[i] =
                        0xff000000
                                | (pnm[p] & 0xff) << 16
                                | (pnm[p + 1] & 0xff) << 8
                                | (pnm[p + 2] & 0xff);
                p += 3;
            }
        }
        return argb;
    }

    private static String token(byte[] b, int[] at) {
        while (Character.isWhitespace(b[at[0]])) {
            at[0]++;
        }
        int start = at[0];
        while (!Character.isWhitespace(b[at[0]])) {
            at[0]++;
        }
        return new String(b, start, at[0] - start, StandardCharsets.US_ASCII);
    }

    /** Mean and largest absolute difference of the RGB samples of two pictures. */
    private static double[] difference(int[] a, int[] b) {
        assertThat(a).hasSameSizeAs(b);
        long sum = 0;
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int shift = 0; shift < 24; shift += 8) {
                int d = Math.abs(((a[i] >> shift) & 0xff) - ((b[i] >> shift) & 0xff));
                sum += d;
                max = Math.max(max, d);
            }
        }
        return new double[] {(double) sum / (3.0 * a.length), max};
    }

    /** A marker of a JPEG file and where it is. */
    private record Segment(int marker, int offset) {}

    /** Every marker of a file, restart markers included, walking segments and scans. */
    private static List<Segment> segments(byte[] jpeg) {
        List<Segment> markers = new ArrayList<>();
        assertThat(jpeg[0] & 0xff).isEqualTo(0xFF);
        assertThat(jpeg[1] & 0xff).isEqualTo(0xD8);
        int p = 2;
        while (p + 1 < jpeg.length) {
            assertThat(jpeg[p] & 0xff).as("a marker at %d", p).isEqualTo(0xFF);
            int marker = jpeg[p + 1] & 0xff;
            markers.add(new Segment(marker, p));
            if (marker == 0xD9) {
                break;
            }
            int length = u16(jpeg, p + 2);
            p += 2 + length;
            if (marker != 0xDA) {
                continue;
            }
            while (p + 1 < jpeg.length) {
                if ((jpeg[p] & 0xff) != 0xFF) {
                    p++;
                    continue;
                }
                int next = jpeg[p + 1] & 0xff;
                if (next == 0) {
                    p += 2;
                } else if (next >= 0xD0 && next <= 0xD7) {
                    markers.add(new Segment(next, p));
                    p += 2;
                } else {
                    break;
                }
            }
        }
        return markers;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }

    private static Segment frame(List<Segment> segments) {
        return segments.stream()
                .filter(
                        s ->
                                s.marker >= 0xC0
                                        && s.marker <= 0xCF
                                        && s.marker != 0xC4
                                        && s.marker != 0xC8
                                        && s.marker != 0xCC)
                .findFirst()
                .orElseThrow();
    }

    /**
     * The restart interval of a file's first scan, 0 for none. (A progressive file may give each
     * scan its own: cjpeg's {@code -restart N} counts rows of MCUs, which are longer in a scan of
     * one component.)
     */
    private static int restartInterval(byte[] jpeg, List<Segment> segments) {
        int interval = 0;
        for (Segment s : segments) {
            if (s.marker == 0xDA) {
                break;
            }
            if (s.marker == 0xDD) {
                assertThat(u16(jpeg, s.offset + 2)).as("DRI length").isEqualTo(4);
                interval = u16(jpeg, s.offset + 4);
            }
        }
        return interval;
    }

    private static long restartMarkers(List<Segment> segments) {
        return segments.stream().filter(s -> s.marker >= 0xD0 && s.marker <= 0xD7).count();
    }

    private static List<byte[]> applicationSegments(byte[] jpeg, List<Segment> segments) {
        List<byte[]> out = new ArrayList<>();
        for (Segment s : segments) {
            if ((s.marker >= 0xE0 && s.marker <= 0xEF) || s.marker == 0xFE) {
                out.add(Arrays.copyOfRange(jpeg, s.offset, s.offset + 2 + u16(jpeg, s.offset + 2)));
            }
        }
        return out;
    }

    private static int scanDataStart(byte[] jpeg) {
        for (Segment s : segments(jpeg)) {
            if (s.marker == 0xDA) {
                return s.offset + 2 + u16(jpeg, s.offset + 2);
            }
        }
        throw new AssertionError("no scan");
    }
}
