package org.lamaworker.worker.job;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Instant;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.protocol.OutputObject;
import org.lamaworker.protocol.Timings;
import org.lamaworker.worker.admission.Admission;
import org.lamaworker.worker.admission.CostModel;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.failure.Failures;
import org.lamaworker.worker.failure.JobFailure;
import org.lamaworker.worker.image.Picture;
import org.lamaworker.worker.inference.BatchingRunner;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.pipeline.Inpainting;
import org.lamaworker.worker.pipeline.JpegEdit;
import org.lamaworker.worker.storage.ObjectStore;
import org.lamaworker.worker.storage.StorageRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one job through its stages: download, decode, inference, encode, upload. Storage calls are
 * asynchronous (their blocking parts on the storage pool); decoding, tensor packing, compositing
 * and encoding run on the pipeline pool; the model runs only on its batching runner's threads. The
 * returned future always succeeds, with a SUCCEEDED or a FAILED result: a job never ends without
 * one.
 */
public final class JobProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(JobProcessor.class);

    private final ObjectStore store;
    private final Inpainting work;
    private final WorkerExecutor pipeline;
    private final BatchingRunner runner;
    private final AccessPolicy policy;
    private final StorageRetry retry;
    private final FinishedWork finished;

    /** Wires the stages. */
    public JobProcessor(
            ObjectStore store,
            InpaintModel model,
            WorkerExecutor pipeline,
            BatchingRunner runner,
            WorkerConfig config,
            StorageRetry retry) {
        this.store = store;
        this.work = new Inpainting(model, config);
        this.pipeline = pipeline;
        this.runner = runner;
        this.policy = new AccessPolicy(config.storage());
        this.retry = retry;
        this.finished = new FinishedWork(store, model.id() + " " + model.info(), config);
    }

    /** Milliseconds per stage, filled in as the job advances; touched by one stage at a time. */
    private static final class Clock {
        final long start = System.nanoTime();
        long mark = start;
        long download;
        long decode;
        long inference;
        long encode;
        long upload;

        long lap() {
            long now = System.nanoTime();
            long ms = (now - mark) / 1_000_000;
            mark = now;
            return ms;
        }

        Timings timings(long queued) {
            return new Timings(
                    queued,
                    download,
                    decode,
                    inference,
                    encode,
                    upload,
                    (System.nanoTime() - start) / 1_000_000);
        }
    }

    /**
     * Processes a job.
     *
     * @param queuedMillis how long the job waited before work started
     * @param attempt the attempt number reported on the result
     * @param ticket the job's admission, priced once the picture is decoded and its tiles planned
     */
    public Future<InpaintResult> process(
            InpaintJob job, long queuedMillis, int attempt, Admission.Ticket ticket) {
        Clock clock = new Clock();
        AccessPolicy.OutputLocation output;
        try {
            output = policy.check(job);
        } catch (JobFailure refused) {
            return Future.succeededFuture(failed(job, refused, attempt, clock, queuedMillis));
        }
        return checkDeadline(job)
                .compose(v -> finished.lookup(job, output))
                .compose(
                        lookup -> {
                            if (lookup.existing() == null) {
                                return compute(
                                        job, output, lookup, clock, ticket, attempt, queuedMillis);
                            }
                            // Made before from the same inputs, options and model: the job is
                            // answered from it (a redelivery after a crash, or a duplicate).
                            clock.download = clock.lap();
                            return Future.succeededFuture(
                                    InpaintResult.succeeded(
                                            job.jobId(),
                                            lookup.existing(),
                                            job.attributes(),
                                            attempt,
                                            clock.timings(queuedMillis)));
                        })
                .recover(
                        failure ->
                                Future.succeededFuture(
                                        failed(job, failure, attempt, clock, queuedMillis)));
    }

    /** Downloads, decodes, runs, encodes and uploads a job whose output is not there yet. */
    private Future<InpaintResult> compute(
            InpaintJob job,
            AccessPolicy.OutputLocation output,
            FinishedWork.Lookup lookup,
            Clock clock,
            Admission.Ticket ticket,
            int attempt,
            long queuedMillis) {
        JobOptions options = job.options();
        String recipe = lookup.recipe();
        return download(job, lookup)
                .compose(
                        bytes -> {
                            clock.download = clock.lap();
                            return pipeline.executeBlocking(
                                    () -> work.decode(bytes[0], bytes[1], options), false);
                        })
                .compose(
                        decoded -> {
                            clock.decode = clock.lap();
                            JpegEdit jpeg = decoded.jpeg();
                            if (jpeg != null && jpeg.reason() != null) {
                                LOG.info(
                                        "job {}: JPEG written whole ({}): {}",
                                        job.jobId(),
                                        jpeg.path(),
                                        jpeg.reason());
                            }
                            ticket.priceJob(
                                    decoded.picture().pixels(),
                                    extraBytesPerPixel(decoded),
                                    decoded.tiles());
                            return checkDeadline(job)
                                    .compose(v -> infer(job, decoded))
                                    .compose(
                                            picture -> {
                                                clock.inference = clock.lap();
                                                return pipeline.executeBlocking(
                                                        () ->
                                                                work.encode(
                                                                        picture, decoded, options),
                                                        false);
                                            });
                        })
                .compose(
                        encoded -> {
                            clock.encode = clock.lap();
                            ObjectRef target = output.resolve(encoded.format());
                            return retry.call(
                                            () ->
                                                    store.put(
                                                            target,
                                                            encoded.bytes(),
                                                            encoded.contentType(),
                                                            FinishedWork.metadata(recipe, encoded)),
                                            job.deadline(),
                                            "upload of " + target)
                                    .map(
                                            size -> {
                                                clock.upload = clock.lap();
                                                return InpaintResult.succeeded(
                                                        job.jobId(),
                                                        new OutputObject(
                                                                target.bucket(),
                                                                target.key(),
                                                                encoded.width(),
                                                                encoded.height(),
                                                                encoded.contentType(),
                                                                size,
                                                                encoded.jpegPatch(),
                                                                null),
                                                        job.attributes(),
                                                        attempt,
                                                        clock.timings(queuedMillis));
                                            });
                        })
                .recover(
                        failure ->
                                Future.succeededFuture(
                                        failed(job, failure, attempt, clock, queuedMillis)));
    }

    /**
     * What a picture costs per pixel beyond an 8-bit sRGB one; for a patched JPEG, whose decoded
     * picture is only a window, the coefficients and full-size mask held beside it are spread over
     * the window's pixels.
     */
    private static double extraBytesPerPixel(Inpainting.Decoded decoded) {
        double extra = 0;
        if (decoded.jpeg() != null) {
            extra += (double) decoded.jpeg().heldBytes() / decoded.picture().pixels();
        }
        if (decoded.picture().bitDepth() == 16) {
            extra += CostModel.DEEP_BYTES_PER_PIXEL;
        }
        if (decoded.modelView() != decoded.picture()) {
            extra += CostModel.PROFILE_BYTES_PER_PIXEL;
        }
        return extra;
    }

    private static InpaintResult failed(
            InpaintJob job, Throwable failure, int attempt, Clock clock, long queuedMillis) {
        return InpaintResult.failed(
                job.jobId(),
                Failures.toError(failure),
                job.attributes(),
                attempt,
                clock.timings(queuedMillis));
    }

    private static Future<Void> checkDeadline(InpaintJob job) {
        if (job.deadline() != null && Instant.now().isAfter(job.deadline())) {
            return Future.failedFuture(
                    new JobFailure(
                            ErrorCode.DEADLINE_EXCEEDED,
                            "the job's deadline " + job.deadline() + " passed before it finished"));
        }
        return Future.succeededFuture();
    }

    /**
     * Fetches image and mask together, without asking again what the lookup's HEAD requests said of
     * them; the image's failure is reported first.
     */
    private Future<byte[][]> download(InpaintJob job, FinishedWork.Lookup lookup) {
        Future<byte[]> image =
                retry.call(
                        () -> store.get(job.image(), ErrorCode.IMAGE_NOT_FOUND, lookup.image()),
                        job.deadline(),
                        "download of " + job.image());
        Future<byte[]> mask =
                retry.call(
                        () -> store.get(job.mask(), ErrorCode.MASK_NOT_FOUND, lookup.mask()),
                        job.deadline(),
                        "download of " + job.mask());
        return Future.join(image, mask)
                .transform(
                        done -> {
                            if (image.failed()) {
                                return Future.failedFuture(image.cause());
                            }
                            if (mask.failed()) {
                                return Future.failedFuture(mask.cause());
                            }
                            return Future.succeededFuture(
                                    new byte[][] {image.result(), mask.result()});
                        });
    }

    /**
     * Packs tensors on the CPU pool, runs the model on its batching runner (which may batch them
     * with other jobs' crops of the same size), and composites on the CPU pool again, so the
     * model's thread does nothing but run the model.
     */
    private Future<Picture> infer(InpaintJob job, Inpainting.Decoded decoded) {
        if (decoded.tiles().isEmpty()) {
            return Future.succeededFuture(decoded.picture());
        }
        return pipeline.executeBlocking(() -> work.tensors(decoded), false)
                .compose(
                        inputs -> {
                            LOG.atDebug()
                                    .addKeyValue("jobId", job.jobId())
                                    .log(
                                            "Job {} goes to the model: {} crops",
                                            job.jobId(),
                                            decoded.tiles().size());
                            return Future.fromCompletionStage(
                                    work.run(inputs, runner), Vertx.currentContext());
                        })
                .compose(
                        outputs ->
                                pipeline.executeBlocking(
                                        () -> work.composite(decoded, outputs), false));
    }
}
