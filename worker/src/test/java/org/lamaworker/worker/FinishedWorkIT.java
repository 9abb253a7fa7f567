package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.testing.Corpus;
import org.lamaworker.worker.testing.InProcessWorker;

/**
 * A job whose output already exists from the same image, mask, options and model is answered from
 * it without running the model, through a real worker against a real S3 server: a redelivery or a
 * duplicate costs HEAD requests. A changed input or {@code force=true} computes it again.
 */
class FinishedWorkIT {
    private static final String BUCKET = "finished-work-it";
    private static final Duration WAIT = Duration.ofMinutes(4);
    private static InProcessWorker worker;

    @BeforeAll
    static void startWorker() throws Exception {
        worker = InProcessWorker.start("finished", BUCKET, Map.of());
        worker.put("in/coffee.png", Corpus.bytes("coffee.png"));
        worker.put("in/kite.jpg", Corpus.bytes("kite.jpg"));
        worker.put("masks/coffee.mask.png", Corpus.bytes("coffee.mask.png"));
        worker.put("masks/kite.mask.png", Corpus.bytes("kite.mask.png"));
    }

    @AfterAll
    static void stopWorker() throws Exception {
        if (worker != null) {
            worker.close();
        }
    }

    private static InpaintJob job(String id, String image, String mask, String out, Boolean force) {
        return new InpaintJob(
                InpaintJob.VERSION,
                id,
                worker.ref(image),
                worker.ref(mask),
                out == null ? null : worker.ref(out),
                new JobOptions(null, null, null, null, null, null, null, null, null, force),
                null,
                null);
    }

    private static InpaintResult one(InpaintJob job) throws Exception {
        InpaintResult result = worker.run(Map.of(job.jobId(), job), WAIT).get(job.jobId());
        assertThat(result.status())
                .as(job.jobId() + ": " + result.error())
                .isEqualTo(JobStatus.SUCCEEDED);
        return result;
    }

    @Test
    void aJobWhoseOutputExistsIsAnsweredFromItWithoutRunningTheModel() throws Exception {
        InpaintResult first =
                one(job("first", "in/coffee.png", "masks/coffee.mask.png", "out/coffee.png", null));
        assertThat(first.output().reused()).isNull();
        assertThat(first.timings().inference()).isPositive();
        byte[] computed = worker.read(first.output());

        // The same job again (a redelivery): answered from the stored output. To tell that the
        // model did not run, the stored bytes are replaced (keeping what produced them): a
        // recomputation would write the real output back.
        ObjectRef out = worker.ref("out/coffee.png");
        byte[] marker = "made before".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        worker.copyWithMetadata(out, marker);
        InpaintResult again =
                one(job("first", "in/coffee.png", "masks/coffee.mask.png", "out/coffee.png", null));
        assertThat(again.output().reused()).isTrue();
        assertThat(again.output().key()).isEqualTo("out/coffee.png");
        assertThat(again.output().width()).isEqualTo(600);
        assertThat(again.output().height()).isEqualTo(400);
        assertThat(again.output().contentType()).isEqualTo("image/png");
        assertThat(again.timings().decode()).isZero();
        assertThat(again.timings().inference()).isZero();
        assertThat(again.timings().encode()).isZero();
        assertThat(worker.read(again.output())).isEqualTo(marker);

        // force=true computes it again.
        InpaintResult forced =
                one(
                        job(
                                "forced",
                                "in/coffee.png",
                                "masks/coffee.mask.png",
                                "out/coffee.png",
                                true));
        assertThat(forced.output().reused()).isNull();
        assertThat(worker.read(forced.output())).isEqualTo(computed);

        // A changed mask (another ETag) is another job.
        worker.copyWithMetadata(out, marker);
        worker.put("masks/coffee.mask.png", Corpus.bytes("formats/coffee.soft.mask.png"));
        InpaintResult changed =
                one(
                        job(
                                "changed",
                                "in/coffee.png",
                                "masks/coffee.mask.png",
                                "out/coffee.png",
                                null));
        assertThat(changed.output().reused()).isNull();
        assertThat(worker.read(changed.output())).isNotEqualTo(marker);
        worker.put("masks/coffee.mask.png", Corpus.bytes("coffee.mask.png"));
    }

    @Test
    void aDuplicateWithTheDefaultKeyFindsTheOutputInTheFormatItTook() throws Exception {
        InpaintResult first =
                one(job("kite-dup", "in/kite.jpg", "masks/kite.mask.png", null, null));
        assertThat(first.output().key()).isEqualTo("results/kite-dup.jpg");
        assertThat(first.output().jpegPatch()).isEqualTo("patched");
        InpaintResult duplicate =
                one(job("kite-dup", "in/kite.jpg", "masks/kite.mask.png", null, null));
        assertThat(duplicate.output().reused()).isTrue();
        assertThat(duplicate.output().key()).isEqualTo("results/kite-dup.jpg");
        assertThat(duplicate.output().jpegPatch()).isEqualTo("patched");
        assertThat(duplicate.output().bytes()).isEqualTo(first.output().bytes());
        assertThat(duplicate.timings().inference()).isZero();
    }
}
