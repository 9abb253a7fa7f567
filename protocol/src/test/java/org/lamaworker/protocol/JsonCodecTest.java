package org.lamaworker.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonCodecTest {
    private static final String VALID =
            """
            {"version":1,"jobId":"job-1","image":{"bucket":"photos","key":"in/cat.jpg"},
             "mask":{"bucket":"photos","key":"in/cat.mask.png"}}
            """;

    private static ProtocolException refusal(String json) {
        try {
            JsonCodec.decodeJob(json.getBytes(UTF_8));
        } catch (ProtocolException e) {
            return e;
        }
        throw new AssertionError("accepted: " + json);
    }

    @Test
    void decodesMinimalJobWithDefaults() {
        InpaintJob job = JsonCodec.decodeJob(VALID.getBytes(UTF_8));
        assertThat(job.jobId()).isEqualTo("job-1");
        assertThat(job.image()).isEqualTo(new ObjectRef("photos", "in/cat.jpg"));
        assertThat(job.options()).isEqualTo(JobOptions.DEFAULTS);
        assertThat(job.attributes()).isEmpty();
        assertThat(job.outputOrDefault("png"))
                .isEqualTo(new ObjectRef("photos", "results/job-1.png"));
    }

    @Test
    void jobRoundTripsWithEveryField() {
        InpaintJob job =
                new InpaintJob(
                        1,
                        "a.B_9-z",
                        new ObjectRef("in-bucket", "a/b.png"),
                        new ObjectRef("in-bucket", "a/b.mask.png"),
                        new ObjectRef("out.bucket", "x/y.jpg"),
                        new JobOptions("crop", 200, 5, false, true, "jpeg", 80, true),
                        Instant.parse("2026-11-24T10:15:30Z"),
                        Map.of("tenant", "t1"));
        byte[] json = JsonCodec.encode(job);
        assertThat(new String(json, UTF_8)).contains("\"deadline\":\"2026-11-24T10:15:30Z\"");
        assertThat(JsonCodec.decodeJob(json)).isEqualTo(job);
    }

    @Test
    void jpegJobDefaultsToJpgKey() {
        InpaintJob job =
                new InpaintJob(
                        1,
                        "j",
                        new ObjectRef("bkt", "i"),
                        new ObjectRef("bkt", "m"),
                        null,
                        new JobOptions(null, null, null, null, null, "JPG", null),
                        null,
                        null);
        assertThat(job.options().format()).isEqualTo("jpeg");
        assertThat(job.outputOrDefault(job.options().format()).key()).isEqualTo("results/j.jpg");
    }

    @Test
    void qualityGoesWithEveryLossyOrAutoFormat() {
        for (String format : new String[] {null, "auto", "jpeg", "webp"}) {
            JobOptions options = new JobOptions(null, null, null, null, null, format, 75, false);
            assertThat(options.quality()).isEqualTo(75);
        }
        assertThat(new JobOptions(null, null, null, null, null, "AUTO", null).format())
                .isEqualTo("auto");
        InpaintJob job =
                JsonCodec.decodeJob(
                        ("{\"version\":1,\"jobId\":\"w\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},"
                                        + "\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},"
                                        + "\"options\":{\"format\":\"webp\",\"stripMetadata\":true}}")
                                .getBytes(UTF_8));
        assertThat(job.options().stripMetadata()).isTrue();
        assertThat(job.outputOrDefault("webp").key()).isEqualTo("results/w.webp");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"version\":1,\"jobId\":\"bad id!\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"}}|jobId",
                "{\"version\":1,\"jobId\":\"j\",\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"}}|image",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"Photos_X\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"}}|image.bucket",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"}}|image.key",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"options\":{\"colour\":\"red\"}}|options.colour",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"options\":{\"maskThreshold\":300}}|options.maskThreshold",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"options\":{\"maskThreshold\":\"12\"}}|options.maskThreshold",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"deadline\":\"tomorrow\"}|deadline",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"options\":{\"strategy\":\"tile\"}}|options.strategy",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"options\":{\"maskDilatePx\":65}}|options.maskDilatePx",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"extra\":1}|extra",
                "{\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"}}|version",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"options\":{\"format\":\"gif\"}}|options.format",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"options\":{\"format\":\"png\",\"quality\":80}}|options.quality",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"options\":{\"stripMetadata\":\"yes\"}}|options.stripMetadata",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"options\":{\"jpegPatch\":\"no\"}}|options.jpegPatch",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"options\":{\"jpegPatch\":\"false\"}}|options.jpegPatch",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"options\":{\"jpegPatch\":0}}|options.jpegPatch",
                "{\"version\":1,\"jobId\":\"j\",\"image\":{\"bucket\":\"photos\",\"key\":\"a\"},\"mask\":{\"bucket\":\"photos\",\"key\":\"b\"},\"options\":{\"jpegPatch\":[true]}}|options.jpegPatch",
            })
    void namesTheBadField(String json, String field) {
        ProtocolException e = refusal(json);
        assertThat(e.reason()).isEqualTo(ProtocolException.Reason.INVALID_FIELD);
        assertThat(e.field()).contains(field);
        assertThat(e.getMessage()).startsWith(field + ": ");
    }

    @Test
    void keepsJobIdOfAnInvalidJobWhenReadable() {
        ProtocolException e =
                refusal("{\"version\":1,\"jobId\":\"keep-me\",\"image\":{\"bucket\":\"photos\"}}");
        assertThat(e.jobId()).contains("keep-me");
    }

    @Test
    void refusesOtherVersionsBeforeLookingAtFields() {
        ProtocolException e = refusal("{\"version\":2,\"jobId\":\"j\",\"newField\":true}");
        assertThat(e.reason()).isEqualTo(ProtocolException.Reason.UNSUPPORTED_VERSION);
        assertThat(e.getMessage()).contains("version 2").contains("version 1");
        assertThat(e.jobId()).contains("j");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {"{not json", "[1,2]", "42", "{\"version\":1} trailing", "\"text\""})
    void refusesWhatIsNotAJsonObject(String json) {
        ProtocolException e = refusal(json);
        assertThat(e.reason()).isEqualTo(ProtocolException.Reason.MALFORMED);
        assertThat(e.jobId()).isEmpty();
    }

    @Test
    void refusesEmptyAndOversizedRecords() {
        assertThatThrownBy(() -> JsonCodec.decodeJob(new byte[0]))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("no value");
        byte[] huge = ("{\"jobId\":\"" + "x".repeat(70_000) + "\"}").getBytes(UTF_8);
        assertThat(refusal(new String(huge, UTF_8)).getMessage()).contains("at most");
    }

    @Test
    void resultRoundTripsAndIgnoresUnknownFieldsWhenRead() {
        InpaintResult ok =
                InpaintResult.succeeded(
                        "j1",
                        new OutputObject("photos", "results/j1.png", 451, 300, "image/png", 1234),
                        Map.of("k", "v"),
                        1,
                        new Timings(1, 2, 3, 4, 5, 6, 21));
        assertThat(JsonCodec.decodeResult(JsonCodec.encode(ok))).isEqualTo(ok);

        InpaintResult failed =
                InpaintResult.failed(
                        "j2", JobError.of(ErrorCode.IMAGE_NOT_FOUND, "no such key"), null, 2, null);
        String json = new String(JsonCodec.encode(failed), UTF_8);
        assertThat(json).doesNotContain("\"output\"").contains("\"retryable\":false");
        String newer = json.replaceFirst("\\{", "{\"addedLater\":true,");
        assertThat(JsonCodec.decodeResult(newer.getBytes(UTF_8))).isEqualTo(failed);
    }

    @Test
    void resultStatusMustAgreeWithOutputAndError() {
        assertThatThrownBy(
                        () ->
                                new InpaintResult(
                                        1, "j", JobStatus.SUCCEEDED, null, null, null, 1, null))
                .isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith("output");
        assertThatThrownBy(
                        () ->
                                new InpaintResult(
                                        1,
                                        "j",
                                        JobStatus.FAILED,
                                        new OutputObject("bkt", "k", 1, 1, "image/png", 1),
                                        JobError.of(ErrorCode.INTERNAL_ERROR, "x"),
                                        null,
                                        1,
                                        null))
                .isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith("output");
    }

    @Test
    void eventRoundTrips() {
        LatencyEvent event =
                new LatencyEvent(
                        1,
                        "j",
                        JobStatus.FAILED,
                        "IMAGE_NOT_FOUND",
                        "worker-a",
                        "reference-fill@abc",
                        3,
                        42L,
                        Timings.ZERO,
                        Instant.parse("2026-11-24T00:00:00Z"));
        assertThat(JsonCodec.decodeEvent(JsonCodec.encode(event))).isEqualTo(event);
    }

    private static InpaintJob jobWithOptions(String options) {
        return JsonCodec.decodeJob(
                ("{\"version\":1,\"jobId\":\"jp\",\"image\":{\"bucket\":\"photos\",\"key\":\"a.jpg\"},"
                                + "\"mask\":{\"bucket\":\"photos\",\"key\":\"b.png\"},"
                                + "\"options\":"
                                + options
                                + "}")
                        .getBytes(UTF_8));
    }

    @Test
    void jpegPatchOptionIsReadAsGiven() {
        assertThat(jobWithOptions("{\"jpegPatch\":false}").options().jpegPatch()).isFalse();
        assertThat(jobWithOptions("{\"jpegPatch\":true}").options().jpegPatch()).isTrue();
        assertThat(jobWithOptions("{\"format\":\"jpeg\"}").options().jpegPatch()).isNull();
        JobOptions both = jobWithOptions("{\"jpegPatch\":false,\"quality\":90}").options();
        assertThat(both.jpegPatch()).isFalse();
        assertThat(both.quality()).isEqualTo(90);
        // The constructors from before the option leave it to the worker.
        assertThat(new JobOptions("crop", 200, 5, false, true, "jpeg", 80, true).jpegPatch())
                .isNull();
        assertThat(new JobOptions("crop", 200, 5, false, true, "jpeg", 80).jpegPatch()).isNull();
        assertThat(new JobOptions("crop", 200, 5, false, true, "jpeg", 80).stripMetadata())
                .isNull();
        assertThat(JobOptions.DEFAULTS.jpegPatch()).isNull();
    }

    @Test
    void jobWithJpegPatchRoundTrips() {
        InpaintJob job =
                new InpaintJob(
                        1,
                        "jp",
                        new ObjectRef("photos", "a.jpg"),
                        new ObjectRef("photos", "b.png"),
                        null,
                        new JobOptions(null, null, null, null, null, "jpeg", null, null, false),
                        null,
                        null);
        byte[] json = JsonCodec.encode(job);
        assertThat(new String(json, UTF_8)).contains("\"jpegPatch\":false");
        assertThat(JsonCodec.decodeJob(json)).isEqualTo(job);
        assertThat(JsonCodec.decodeJob(json).options().jpegPatch()).isFalse();
        String unset = new String(JsonCodec.encode(JobOptions.DEFAULTS), UTF_8);
        assertThat(unset).doesNotContain("jpegPatch");
    }

    @Test
    void resultJpegPatchRoundTripsAndIsOmittedWhenAbsent() {
        for (String path : new String[] {"patched", "reencoded", "fallback"}) {
            InpaintResult ok =
                    InpaintResult.succeeded(
                            "j1",
                            new OutputObject(
                                    "photos", "results/j1.jpg", 451, 300, "image/jpeg", 1234, path),
                            Map.of(),
                            1,
                            new Timings(1, 2, 3, 4, 5, 6, 21));
            byte[] json = JsonCodec.encode(ok);
            assertThat(new String(json, UTF_8)).contains("\"jpegPatch\":\"" + path + "\"");
            InpaintResult back = JsonCodec.decodeResult(json);
            assertThat(back).isEqualTo(ok);
            assertThat(back.output().jpegPatch()).isEqualTo(path);
        }
        InpaintResult png =
                InpaintResult.succeeded(
                        "j2",
                        new OutputObject("photos", "results/j2.png", 451, 300, "image/png", 1234),
                        null,
                        1,
                        null);
        byte[] json = JsonCodec.encode(png);
        assertThat(new String(json, UTF_8)).doesNotContain("jpegPatch");
        assertThat(JsonCodec.decodeResult(json).output().jpegPatch()).isNull();
    }

    @Test
    void outputJpegPatchMustBeAKnownPath() {
        for (String bad : new String[] {"bogus", "", "Patched", "fallback "}) {
            assertThatThrownBy(
                            () -> new OutputObject("photos", "r.jpg", 1, 1, "image/jpeg", 1, bad))
                    .as("'%s'", bad)
                    .isInstanceOf(ProtocolException.class)
                    .hasMessageStartingWith("jpegPatch: ");
        }
        String json =
                new String(
                                JsonCodec.encode(
                                        InpaintResult.succeeded(
                                                "j3",
                                                new OutputObject(
                                                        "photos",
                                                        "r.jpg",
                                                        1,
                                                        1,
                                                        "image/jpeg",
                                                        1,
                                                        "patched"),
                                                null,
                                                1,
                                                null)),
                                UTF_8)
                        .replace("\"patched\"", "\"bogus\"");
        assertThatThrownBy(() -> JsonCodec.decodeResult(json.getBytes(UTF_8)))
                .isInstanceOf(ProtocolException.class)
                .satisfies(
                        e ->
                                assertThat(((ProtocolException) e).field())
                                        .contains("output.jpegPatch"));
    }
}
