package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.worker.image.ImageCodec;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.MaskOps;
import org.lamaworker.worker.testing.Corpus;
import org.lamaworker.worker.testing.DebianTools;
import org.lamaworker.worker.testing.InProcessWorker;
import org.lamaworker.worker.testing.ReferenceDecoder;
import org.lamaworker.worker.testing.ReferenceDecoder.Samples;

/**
 * What goes in comes back, except the edit: every picture of the corpus through a real worker,
 * checked with tools independent of the worker's code. The output keeps the input's format ({@code
 * format=auto}), bit depth, colour profile and metadata (ExifTool reads them); outside the grown
 * mask and seam its pixels are the reference decoder's (libwebp's {@code dwebp} for WebP,
 * libjpeg-turbo's {@code djpeg} for JPEG, the JDK's for PNG) exactly for lossless output and within
 * a re-encode's loss for lossy output; inside, the fill changed them.
 */
class FidelityIT {
    private static final String BUCKET = "fidelity-it";
    private static final Duration WAIT = Duration.ofMinutes(6);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The same for lossy WebP: libwebp's own {@code cwebp} re-encoding chelsea-alpha-lossy.webp's
     * decode at its quality loses 3.3 on visible pixels, coffee-lossy.webp's 2.3.
     */
    private static final double WEBP_LOSS = 3.6;

    /**
     * A CMYK JPEG's pixels are converted to RGB when decoded, so its JPEG output is a first encode
     * of new values, not a re-encode: the JDK's encoder at q92 4:4:4 loses 3.2 on it (and 3.6 on
     * coffee.png).
     */
    private static final double FIRST_JPEG_LOSS = 4.0;

    private static InProcessWorker worker;

    @BeforeAll
    static void startWorker() throws Exception {
        worker = InProcessWorker.start("fidelity", BUCKET, Map.of());
    }

    @AfterAll
    static void stopWorker() throws Exception {
        if (worker != null) {
            worker.close();
        }
    }

    /** Every picture of the corpus with the mask it takes. */
    private static Map<String, String> corpus() {
        Map<String, String> pictures = new LinkedHashMap<>();
        for (String picture : Corpus.PICTURES) {
            pictures.put(picture, Corpus.maskOf(picture));
        }
        pictures.putAll(new java.util.TreeMap<>(Corpus.FORMATS));
        return pictures;
    }

    @Test
    void everyPictureComesBackAsItWentInExceptTheEdit() throws Exception {
        Map<String, String> pictures = corpus();
        Map<String, InpaintJob> jobs = new LinkedHashMap<>();
        int n = 0;
        for (Map.Entry<String, String> entry : pictures.entrySet()) {
            String key = "in/" + entry.getKey();
            worker.put(key, Corpus.bytes(entry.getKey()));
            worker.put("masks/" + entry.getValue(), Corpus.bytes(entry.getValue()));
            for (String format : new String[] {"auto", "png"}) {
                String id = format + "-" + n;
                jobs.put(id, job(id, key, "masks/" + entry.getValue(), format, null));
            }
            n++;
        }
        Map<String, InpaintResult> results = run(jobs);
        n = 0;
        for (Map.Entry<String, String> entry : pictures.entrySet()) {
            String picture = entry.getKey();
            for (String format : new String[] {"auto", "png"}) {
                InpaintResult result = results.get(format + "-" + n);
                assertThat(result.status())
                        .as(picture + " " + format + ": " + result.error())
                        .isEqualTo(JobStatus.SUCCEEDED);
                byte[] output = read(result.output());
                checkFidelity(picture, entry.getValue(), format, output, result);
            }
            n++;
        }
    }

    @Test
    void metadataIsStrippedOnRequestAndWebpIsWrittenFromAnyInput() throws Exception {
        worker.put("in/gps.jpg", Corpus.bytes("formats/coffee-gps.jpg"));
        worker.put("in/gps.webp", Corpus.bytes("formats/coffee-lossy.webp"));
        worker.put("in/coffee.png", Corpus.bytes("coffee.png"));
        worker.put("masks/coffee.mask.png", Corpus.bytes("coffee.mask.png"));
        Map<String, InpaintJob> jobs = new LinkedHashMap<>();
        jobs.put(
                "strip-jpeg", job("strip-jpeg", "in/gps.jpg", "masks/coffee.mask.png", null, true));
        jobs.put(
                "strip-webp",
                job("strip-webp", "in/gps.webp", "masks/coffee.mask.png", null, true));
        jobs.put(
                "jpeg-to-webp",
                job("jpeg-to-webp", "in/gps.jpg", "masks/coffee.mask.png", "webp", null));
        jobs.put(
                "png-to-webp",
                job("png-to-webp", "in/coffee.png", "masks/coffee.mask.png", "webp", null));
        Map<String, InpaintResult> results = run(jobs);

        for (String id : new String[] {"strip-jpeg", "strip-webp"}) {
            JsonNode tags = exif(read(results.get(id).output()));
            assertThat(tags.has("GPS:GPSLatitude")).as(id).isFalse();
            assertThat(tags.has("ExifIFD:DateTimeOriginal")).as(id).isFalse();
            assertThat(tags.has("XMP-dc:Title")).as(id).isFalse();
        }
        // The colour profile is not metadata: without it the colours would change.
        assertThat(
                        exif(read(results.get("strip-webp").output()))
                                .path("ICC_Profile:ProfileDescription")
                                .asText())
                .contains("Adobe RGB");

        InpaintResult webp = results.get("jpeg-to-webp");
        assertThat(webp.output().contentType()).isEqualTo("image/webp");
        assertThat(webp.output().key()).isEqualTo("results/jpeg-to-webp.webp");
        byte[] fromJpeg = read(webp.output());
        assertThat(isLossless(fromJpeg)).isFalse();
        assertThat(exif(fromJpeg).path("GPS:GPSLatitude").asText()).contains("48");
        assertOutside("formats/coffee-gps.jpg", "coffee.mask.png", fromJpeg, 4.0);

        byte[] fromPng = read(results.get("png-to-webp").output());
        assertThat(isLossless(fromPng)).isTrue();
        assertOutside("coffee.png", "coffee.mask.png", fromPng, 0);
    }

    private static InpaintJob job(
            String id, String image, String mask, String format, Boolean strip) {
        return new InpaintJob(
                InpaintJob.VERSION,
                id,
                worker.ref(image),
                worker.ref(mask),
                null,
                new JobOptions(null, null, null, null, null, format, null, strip),
                null,
                null);
    }

    private static Map<String, InpaintResult> run(Map<String, InpaintJob> jobs) throws Exception {
        return worker.run(jobs, WAIT);
    }

    private static byte[] read(org.lamaworker.protocol.OutputObject output) throws Exception {
        return worker.read(output);
    }

    private static void checkFidelity(
            String picture, String mask, String format, byte[] output, InpaintResult result)
            throws Exception {
        byte[] input = Corpus.bytes(picture);
        String inputFormat = formatOf(input);
        String expected =
                format.equals("png") ? "png" : inputFormat.equals("tiff") ? "png" : inputFormat;
        String what = picture + " (" + format + ")";
        assertThat(formatOf(output)).as(what + " format").isEqualTo(expected);
        assertThat(result.output().contentType()).as(what).isEqualTo("image/" + expected);
        assertThat(result.output().key())
                .as(what)
                .endsWith("." + (expected.equals("jpeg") ? "jpg" : expected));

        JsonNode in = exif(input);
        JsonNode out = exif(output);
        // Colour profile: the same RGB profile, except where the decoder converted the pixels
        // (CMYK becomes sRGB, and then carries none).
        String profile = in.path("ICC_Profile:ProfileDescription").asText("");
        boolean rgbProfile =
                !profile.isEmpty()
                        && !in.path("ICC_Profile:ColorSpaceData").asText().contains("CMYK");
        assertThat(out.path("ICC_Profile:ProfileDescription").asText(""))
                .as(what + " profile")
                .isEqualTo(rgbProfile ? profile : "");
        // Metadata: EXIF and XMP kept, the orientation reset as the pixels were turned.
        for (String tag :
                new String[] {
                    "GPS:GPSLatitude", "ExifIFD:DateTimeOriginal", "IFD0:Make", "XMP-dc:Title"
                }) {
            assertThat(out.path(tag).asText(""))
                    .as(what + " " + tag)
                    .isEqualTo(in.path(tag).asText(""));
        }
        // A JPEG written as JPEG is patched (its coefficients edited, its stored grid and
        // orientation tag kept), unless its coding cannot be (CMYK).
        boolean cmyk = in.path("File:ColorComponents").asInt() == 4;
        boolean patched = inputFormat.equals("jpeg") && expected.equals("jpeg") && !cmyk;
        assertThat(result.output().jpegPatch())
                .as(what + " jpegPatch")
                .isEqualTo(
                        patched
                                ? "patched"
                                : inputFormat.equals("jpeg") && expected.equals("jpeg")
                                        ? "fallback"
                                        : null);
        if (in.has("IFD0:Orientation")) {
            assertThat(out.path("IFD0:Orientation").asText())
                    .as(what)
                    .isEqualTo(
                            patched ? in.path("IFD0:Orientation").asText() : "Horizontal (normal)");
        }

        boolean lossless;
        switch (expected) {
            case "jpeg" -> {
                lossless = false;
                assertThat(identify(output, "%[jpeg:sampling-factor]"))
                        .as(what + " subsampling")
                        .isEqualTo(
                                identify(input, "%[jpeg:sampling-factor]")
                                        .replace(
                                                ",1x1,1x1,1x1", ",1x1,1x1")); // CMYK comes back RGB
                assertThat(identify(output, "%Q"))
                        .as(what + " quality")
                        .isEqualTo(identify(input, "%Q"));
            }
            case "webp" -> {
                lossless = chunkAfterHeader(input).equals("VP8L") || isLosslessExtended(input);
                assertThat(isLossless(output)).as(what + " lossless").isEqualTo(lossless);
            }
            default -> lossless = true;
        }
        Samples reference = ReferenceDecoder.decode(input);
        if (reference.depth() == 16) {
            assertThat(ReferenceDecoder.decode(output).depth())
                    .as(what + " bit depth")
                    .isEqualTo(16);
        }
        if (patched) {
            assertPatched(picture, mask, output);
            return;
        }
        double loss;
        if (lossless) {
            loss = 0;
        } else if (expected.equals("webp")) {
            loss = WEBP_LOSS;
        } else {
            loss = FIRST_JPEG_LOSS;
        }
        assertOutside(picture, mask, output, loss);
    }

    /**
     * A patched JPEG, decoded by {@code djpeg} as stored (EXIF orientation not applied): every
     * pixel identical to the input's decode outside the MCUs the mask's reach touches and the ring
     * of MCUs around them (djpeg's chroma upsampling blends a sample with its neighbour's, so an
     * edge pixel next to a re-encoded MCU may move); with {@code -nosmooth}, which upsamples within
     * each MCU, identical outside the touched MCUs themselves; and most hole pixels changed.
     */
    private static void assertPatched(String picture, String maskName, byte[] output)
            throws Exception {
        byte[] input = Corpus.bytes(picture);
        Mask mask =
                ImageCodec.binarize(
                        ImageCodec.decode(Corpus.bytes(maskName), "mask", Long.MAX_VALUE), 128);
        int orientation = org.lamaworker.worker.image.ExifOrientation.of(exifTiff(input));
        mask = org.lamaworker.worker.image.ExifOrientation.toStored(mask, orientation);
        Mask reach = MaskOps.dilate(MaskOps.fillHoles(mask), Corpus.DEFAULT_REACH_PX);
        int[] mcu = mcuSize(input);
        for (boolean smooth : new boolean[] {true, false}) {
            Samples in = ReferenceDecoder.decodeJpeg(input, smooth);
            Samples out = ReferenceDecoder.decodeJpeg(output, smooth);
            assertThat(out.width()).as(picture).isEqualTo(in.width());
            assertThat(out.height()).as(picture).isEqualTo(in.height());
            int w = in.width();
            int mcusWide = (w + mcu[0] - 1) / mcu[0];
            int mcusHigh = (in.height() + mcu[1] - 1) / mcu[1];
            boolean[] touched = new boolean[mcusWide * mcusHigh];
            for (int i = 0; i < w * in.height(); i++) {
                if (reach.hole()[i]) {
                    touched[(i / w / mcu[1]) * mcusWide + (i % w) / mcu[0]] = true;
                }
            }
            int ring = smooth ? 1 : 0;
            int holes = 0;
            int changed = 0;
            int compared = 0;
            for (int i = 0; i < w * in.height(); i++) {
                int mx = (i % w) / mcu[0];
                int my = (i / w) / mcu[1];
                boolean near = false;
                for (int dy = -ring; dy <= ring && !near; dy++) {
                    for (int dx = -ring; dx <= ring && !near; dx++) {
                        int x = mx + dx;
                        int y = my + dy;
                        near =
                                x >= 0
                                        && y >= 0
                                        && x < mcusWide
                                        && y < mcusHigh
                                        && touched[y * mcusWide + x];
                    }
                }
                int difference = 0;
                for (int c = 0; c < 3; c++) {
                    difference =
                            Math.max(difference, Math.abs(in.sample8(i, c) - out.sample8(i, c)));
                }
                if (mask.hole()[i]) {
                    holes++;
                    changed += difference > 0 ? 1 : 0;
                }
                if (!near) {
                    compared++;
                    if (difference != 0) {
                        throw new AssertionError(
                                picture
                                        + (smooth ? "" : " (djpeg -nosmooth)")
                                        + ": pixel ("
                                        + i % w
                                        + ","
                                        + i / w
                                        + ") outside the edit's MCUs differs by "
                                        + difference);
                    }
                }
            }
            assertThat(compared)
                    .as(picture + " pixels compared")
                    .isGreaterThan(w * in.height() / 2);
            assertThat((double) changed / holes)
                    .as(picture + " hole pixels changed")
                    .isGreaterThan(0.5);
        }
    }

    /** The EXIF TIFF block of a JPEG, or {@code null}: what the worker reads orientation from. */
    private static byte[] exifTiff(byte[] jpeg) {
        for (int p = 2; p + 10 < jpeg.length; ) {
            if ((jpeg[p] & 0xff) != 0xff) {
                return null;
            }
            int marker = jpeg[p + 1] & 0xff;
            int length = ((jpeg[p + 2] & 0xff) << 8) | (jpeg[p + 3] & 0xff);
            if (marker == 0xE1
                    && new String(jpeg, p + 4, 6, StandardCharsets.ISO_8859_1).equals("Exif\0\0")) {
                return java.util.Arrays.copyOfRange(jpeg, p + 10, p + 2 + length);
            }
            if (marker == 0xDA) {
                return null;
            }
            p += 2 + length;
        }
        return null;
    }

    /** A JPEG's MCU size in pixels, from its frame's largest sampling factors. */
    private static int[] mcuSize(byte[] jpeg) throws Exception {
        String[] factors = identify(jpeg, "%[jpeg:sampling-factor]").split(",");
        int h = 1;
        int v = 1;
        if (factors.length > 1) {
            for (String f : factors) {
                String[] hv = f.split("x");
                h = Math.max(h, Integer.parseInt(hv[0].trim()));
                v = Math.max(v, Integer.parseInt(hv[1].trim()));
            }
        }
        return new int[] {8 * h, 8 * v};
    }

    /**
     * Compares an output with the reference decode of its input: outside the mask's reach every
     * sample equal (at 16 bits for 16-bit pictures) when {@code lossyMean} is 0, else a mean
     * difference of at most {@code lossyMean}; alpha equal everywhere for lossless output; and most
     * mask pixels changed.
     */
    private static void assertOutside(
            String picture, String maskName, byte[] output, double lossyMean) {
        byte[] input = Corpus.bytes(picture);
        Samples in = ReferenceDecoder.decode(input);
        if (picture.contains("exif6")) {
            in = in.turnedClockwise();
        }
        Samples out = ReferenceDecoder.decode(output);
        assertThat(out.width()).as(picture).isEqualTo(in.width());
        assertThat(out.height()).as(picture).isEqualTo(in.height());
        Mask mask =
                ImageCodec.binarize(
                        ImageCodec.decode(Corpus.bytes(maskName), "mask", Long.MAX_VALUE), 128);
        Mask reach = MaskOps.dilate(MaskOps.fillHoles(mask), Corpus.DEFAULT_REACH_PX);
        boolean deep = in.depth() == 16 && out.depth() == 16;
        long sum = 0;
        long outside = 0;
        int holes = 0;
        int changed = 0;
        for (int i = 0; i < in.width() * in.height(); i++) {
            int difference = 0;
            for (int c = 0; c < 3; c++) {
                int a = deep ? in.sample16(i, c) : in.sample8(i, c);
                int b = deep ? out.sample16(i, c) : out.sample8(i, c);
                difference = Math.max(difference, Math.abs(a - b));
            }
            if (mask.hole()[i]) {
                holes++;
                changed += difference > 0 ? 1 : 0;
            } else if (!reach.hole()[i] && (lossyMean == 0 || in.alpha8(i) > 0)) {
                // Lossy coders may change the colour under fully transparent pixels, unseen.
                outside++;
                sum += deep ? difference / 257 : difference;
                if (lossyMean == 0 && difference != 0) {
                    throw new AssertionError(
                            picture
                                    + ": pixel ("
                                    + i % in.width()
                                    + ","
                                    + i / in.width()
                                    + ") outside the edit differs by "
                                    + difference
                                    + (deep ? " of 65535" : " of 255"));
                }
            }
            if (lossyMean == 0 && in.channels() == 4) {
                assertThat(out.alpha8(i)).as(picture + " alpha").isEqualTo(in.alpha8(i));
            }
        }
        assertThat((double) sum / outside)
                .as(picture + " mean difference outside")
                .isLessThanOrEqualTo(lossyMean);
        assertThat((double) changed / holes)
                .as(picture + " hole pixels changed")
                .isGreaterThan(0.5);
    }

    private static String formatOf(byte[] b) {
        if ((b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8) {
            return "jpeg";
        }
        if (b[0] == (byte) 0x89 && b[1] == 'P') {
            return "png";
        }
        if (new String(b, 8, 4, StandardCharsets.ISO_8859_1).equals("WEBP")) {
            return "webp";
        }
        return "tiff";
    }

    /** The first chunk of a WebP file: VP8, VP8L or VP8X. */
    private static String chunkAfterHeader(byte[] webp) {
        return new String(webp, 12, 4, StandardCharsets.ISO_8859_1);
    }

    private static boolean isLosslessExtended(byte[] webp) {
        return new String(webp, StandardCharsets.ISO_8859_1).contains("VP8L");
    }

    private static boolean isLossless(byte[] webp) {
        return chunkAfterHeader(webp).equals("VP8L") || isLosslessExtended(webp);
    }

    /** ExifTool's reading of a file, with group names ({@code -G1}). */
    private static JsonNode exif(byte[] bytes) throws Exception {
        Path file = Files.createTempFile("fidelity", ".bin");
        try {
            Files.write(file, bytes);
            byte[] json =
                    DebianTools.stdout(
                            "libimage-exiftool-perl",
                            "exiftool",
                            "-j",
                            "-a",
                            "-G1",
                            file.toString());
            return JSON.readTree(json).get(0);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** What ImageMagick's {@code identify} says of a JPEG: quality, sampling factors. */
    private static String identify(byte[] jpeg, String format) throws Exception {
        Path file = Files.createTempFile("fidelity", ".jpg");
        try {
            Files.write(file, jpeg);
            return new String(
                            DebianTools.stdout(
                                    "imagemagick", "identify", "-format", format, file.toString()),
                            StandardCharsets.US_ASCII)
                    .trim();
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
