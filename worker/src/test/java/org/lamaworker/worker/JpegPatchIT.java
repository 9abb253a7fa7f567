package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.worker.testing.Corpus;
import org.lamaworker.worker.testing.DebianTools;
import org.lamaworker.worker.testing.InProcessWorker;
import org.lamaworker.worker.testing.ReferenceDecoder;
import org.lamaworker.worker.testing.ReferenceDecoder.Samples;

/**
 * JPEG-to-JPEG jobs through a real worker, beyond what {@link FidelityIT} checks on the corpus: the
 * options that ask for a whole re-encode, the fallback for metadata stripped from a turned picture,
 * an empty mask, and damaged files, which fail with the codes they always had or come back as a
 * file every decoder reads, while the worker keeps serving.
 */
class JpegPatchIT {
    private static final String BUCKET = "jpeg-patch-it";
    private static final Duration WAIT = Duration.ofMinutes(6);
    private static final String PICTURE = "formats/coffee-gps.jpg";

    private static InProcessWorker worker;

    @BeforeAll
    static void startWorker() throws Exception {
        worker = InProcessWorker.start("jpeg-patch", BUCKET, Map.of());
        worker.put("masks/coffee.mask.png", Corpus.bytes("coffee.mask.png"));
        worker.put("masks/empty.png", emptyMask(600, 400));
        worker.put("in/gps.jpg", Corpus.bytes(PICTURE));
        worker.put("in/exif6.jpg", Corpus.bytes("formats/coffee-exif6.jpg"));
    }

    @AfterAll
    static void stopWorker() throws Exception {
        if (worker != null) {
            worker.close();
        }
    }

    private static InpaintJob job(
            String id, String image, String mask, Integer quality, Boolean strip, Boolean patch) {
        return new InpaintJob(
                InpaintJob.VERSION,
                id,
                worker.ref(image),
                worker.ref(mask),
                null,
                new JobOptions(null, null, null, null, null, null, quality, strip, patch),
                null,
                null);
    }

    @Test
    void optionsChooseTheWholeReEncodeAndAnEmptyMaskCopiesThePicture() throws Exception {
        Map<String, InpaintJob> jobs = new LinkedHashMap<>();
        jobs.put("off", job("off", "in/gps.jpg", "masks/coffee.mask.png", null, null, false));
        jobs.put("quality", job("quality", "in/gps.jpg", "masks/coffee.mask.png", 70, null, null));
        jobs.put(
                "turned", job("turned", "in/exif6.jpg", "masks/coffee.mask.png", null, true, null));
        jobs.put("empty", job("empty", "in/gps.jpg", "masks/empty.png", null, null, null));
        Map<String, InpaintResult> results = worker.run(jobs, WAIT);
        for (InpaintResult result : results.values()) {
            assertThat(result.status())
                    .as(result.jobId() + ": " + result.error())
                    .isEqualTo(JobStatus.SUCCEEDED);
        }
        byte[] input = Corpus.bytes(PICTURE);
        Samples original = ReferenceDecoder.decodeJpeg(input, true);

        // Asked for: the whole picture re-encoded, so pixels far from the edit move too.
        InpaintResult off = results.get("off");
        assertThat(off.output().jpegPatch()).isEqualTo("reencoded");
        Samples whole = ReferenceDecoder.decodeJpeg(worker.read(off.output()), true);
        assertThat(differingPixelsInTopRows(original, whole, 64))
                .as("pixels of the top 64 rows (far from the mask) that moved")
                .isGreaterThan(1000);

        InpaintResult quality = results.get("quality");
        assertThat(quality.output().jpegPatch()).isEqualTo("reencoded");
        assertThat(identifyQuality(worker.read(quality.output()))).isEqualTo("70");

        // Without its EXIF a turned picture's stored grid would show sideways: written whole,
        // turned, its orientation tag gone with the rest of the metadata.
        InpaintResult turned = results.get("turned");
        assertThat(turned.output().jpegPatch()).isEqualTo("fallback");
        // coffee-exif6.jpg is stored 400x600, shown 600x400.
        assertThat(turned.output().width()).isEqualTo(600);
        assertThat(turned.output().height()).isEqualTo(400);
        Samples turnedPixels = ReferenceDecoder.decodeJpeg(worker.read(turned.output()), true);
        assertThat(turnedPixels.width()).isEqualTo(600);

        // Nothing to fill: the coded picture is copied, every pixel as it was.
        InpaintResult empty = results.get("empty");
        assertThat(empty.output().jpegPatch()).isEqualTo("patched");
        byte[] copy = worker.read(empty.output());
        assertThat(differingPixelsInTopRows(original, ReferenceDecoder.decodeJpeg(copy, true), 400))
                .isZero();
        assertThat((double) copy.length / input.length).isBetween(0.99, 1.01);
    }

    @Test
    void theExifThumbnailWhichShowsThePictureBeforeTheEditIsRemoved() throws Exception {
        Path dir = Files.createTempDirectory("thumbnail");
        Path thumb = dir.resolve("thumb.jpg");
        Path photo = dir.resolve("photo.jpg");
        DebianTools.stdout(
                "imagemagick", "convert", "-size", "160x120", "xc:red", thumb.toString());
        Files.write(photo, Corpus.bytes(PICTURE));
        DebianTools.stdout(
                "libimage-exiftool-perl",
                "exiftool",
                "-q",
                "-overwrite_original",
                "-ThumbnailImage<=" + thumb,
                photo.toString());
        assertThat(exifTool(Files.readAllBytes(photo))).contains("ThumbnailLength");
        worker.put("in/thumbnail.jpg", Files.readAllBytes(photo));
        Map<String, InpaintJob> jobs = new LinkedHashMap<>();
        jobs.put(
                "thumb-patched",
                job(
                        "thumb-patched",
                        "in/thumbnail.jpg",
                        "masks/coffee.mask.png",
                        null,
                        null,
                        null));
        jobs.put(
                "thumb-whole",
                job("thumb-whole", "in/thumbnail.jpg", "masks/coffee.mask.png", null, null, false));
        Map<String, InpaintResult> results = worker.run(jobs, WAIT);
        byte[] thumbnail = Files.readAllBytes(thumb);
        for (InpaintResult result : results.values()) {
            byte[] output = worker.read(result.output());
            String tags = exifTool(output);
            assertThat(tags)
                    .as(result.jobId())
                    .doesNotContain("ThumbnailLength")
                    .doesNotContain("ThumbnailOffset");
            assertThat(tags)
                    .as(result.jobId() + ": the rest of EXIF stays")
                    .contains("Lama Test Optics")
                    .contains("GPSLatitude");
            assertThat(indexOf(output, java.util.Arrays.copyOfRange(thumbnail, 0, 64)))
                    .as(result.jobId() + ": the thumbnail's bytes are gone")
                    .isNegative();
        }
    }

    private static String exifTool(byte[] jpeg) throws Exception {
        Path file = Files.createTempFile("exif", ".jpg");
        try {
            Files.write(file, jpeg);
            return new String(
                    DebianTools.stdout(
                            "libimage-exiftool-perl", "exiftool", "-s", "-a", file.toString()),
                    StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void damagedJpegsFailWithTheirCodesOrComeBackReadable() throws Exception {
        byte[] input = Corpus.bytes(PICTURE);
        int scan = scanData(input);
        Random random = new Random(14);
        Map<String, InpaintJob> jobs = new LinkedHashMap<>();
        Map<String, byte[]> damaged = new LinkedHashMap<>();
        // Cut inside the headers, and at ten places of the picture data.
        int[] cuts = {20, scan - 40, scan + 1};
        for (int cut : cuts) {
            damaged.put("cut-" + cut, java.util.Arrays.copyOf(input, cut));
        }
        for (int i = 1; i <= 10; i++) {
            int cut = scan + (int) ((long) (input.length - scan) * i / 11);
            damaged.put("cut-" + cut, java.util.Arrays.copyOf(input, cut));
        }
        // Bytes of the picture data overwritten: one to eight at a time.
        for (int i = 0; i < 20; i++) {
            byte[] bad = input.clone();
            int count = 1 + random.nextInt(8);
            for (int k = 0; k < count; k++) {
                bad[scan + random.nextInt(input.length - scan - 2)] = (byte) random.nextInt(256);
            }
            damaged.put("flip-" + i, bad);
        }
        for (Map.Entry<String, byte[]> entry : damaged.entrySet()) {
            worker.put("damaged/" + entry.getKey() + ".jpg", entry.getValue());
            jobs.put(
                    entry.getKey(),
                    job(
                            entry.getKey(),
                            "damaged/" + entry.getKey() + ".jpg",
                            "masks/coffee.mask.png",
                            null,
                            null,
                            null));
        }
        jobs.put("after", job("after", "in/gps.jpg", "masks/coffee.mask.png", null, null, null));
        Map<String, InpaintResult> results = worker.run(jobs, WAIT);

        int failed = 0;
        int patched = 0;
        for (String id : damaged.keySet()) {
            InpaintResult result = results.get(id);
            if (result.status() == JobStatus.FAILED) {
                failed++;
                assertThat(result.error().code())
                        .as(id + ": " + result.error().message())
                        .isIn(
                                ErrorCode.IMAGE_DECODE_FAILED.name(),
                                ErrorCode.UNSUPPORTED_IMAGE_FORMAT.name());
                continue;
            }
            patched += "patched".equals(result.output().jpegPatch()) ? 1 : 0;
            byte[] output = worker.read(result.output());
            DebianTools.Output decoded = djpeg(output);
            assertThat(decoded.exitCode()).as(id + " output decodes").isZero();
            assertThat(decoded.stderr()).as(id + " output decodes without warnings").isEmpty();
        }
        System.out.printf(
                "damaged JPEGs: %d failed, %d patched, %d written whole%n",
                failed, patched, damaged.size() - failed - patched);
        // Every cut in the picture data is a truncation the worker reports, patching or not.
        for (int i = 1; i <= 10; i++) {
            int cut = scan + (int) ((long) (input.length - scan) * i / 11);
            InpaintResult result = results.get("cut-" + cut);
            assertThat(result.status()).as("cut at " + cut).isEqualTo(JobStatus.FAILED);
            assertThat(result.error().code()).isEqualTo(ErrorCode.IMAGE_DECODE_FAILED.name());
        }
        assertThat(results.get("after").status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(results.get("after").output().jpegPatch()).isEqualTo("patched");
    }

    /** Offset of the first scan's entropy-coded data. */
    private static int scanData(byte[] jpeg) {
        int p = 2;
        while (p + 4 < jpeg.length) {
            int marker = jpeg[p + 1] & 0xff;
            int length = ((jpeg[p + 2] & 0xff) << 8) | (jpeg[p + 3] & 0xff);
            if (marker == 0xDA) {
                return p + 2 + length;
            }
            p += 2 + length;
        }
        throw new AssertionError("no scan");
    }

    private static int differingPixelsInTopRows(Samples a, Samples b, int rows) {
        int count = 0;
        for (int i = 0; i < a.width() * rows; i++) {
            for (int c = 0; c < 3; c++) {
                if (a.sample8(i, c) != b.sample8(i, c)) {
                    count++;
                    break;
                }
            }
        }
        return count;
    }

    private static DebianTools.Output djpeg(byte[] jpeg) throws Exception {
        Path file = Files.createTempFile("patched", ".jpg");
        try {
            Files.write(file, jpeg);
            return DebianTools.run(
                    "libjpeg-turbo-progs",
                    "djpeg",
                    "-pnm",
                    "-outfile",
                    "/dev/null",
                    file.toString());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static String identifyQuality(byte[] jpeg) throws Exception {
        Path file = Files.createTempFile("patched", ".jpg");
        try {
            Files.write(file, jpeg);
            return new String(
                            DebianTools.stdout(
                                    "imagemagick", "identify", "-format", "%Q", file.toString()),
                            StandardCharsets.US_ASCII)
                    .trim();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static byte[] emptyMask(int width, int height) throws Exception {
        BufferedImage black = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(black, "png", png);
        return png.toByteArray();
    }
}
