package org.lamaworker.worker.job;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.protocol.OutputObject;
import org.lamaworker.protocol.Timings;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.image.ImageCodec;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.MaskOps;
import org.lamaworker.worker.image.MaskScaler;
import org.lamaworker.worker.image.Picture;
import org.lamaworker.worker.inference.InferenceInput;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.inference.Inpainter;
import org.lamaworker.worker.inference.Strategy;
import org.lamaworker.worker.inference.Tile;
import org.lamaworker.worker.inference.TilePlanner;
import org.lamaworker.worker.storage.ObjectStore;

/**
 * Runs one job through its stages: download, decode, inference, encode, upload. Storage calls are
 * asynchronous; decoding, tensor packing, compositing and encoding run on the I/O-and-CPU pool; the
 * model runs only on the inference executor. The returned future always succeeds, with a SUCCEEDED
 * or a FAILED result: a job never ends without one.
 */
public final class JobProcessor {
    private final ObjectStore store;
    private final InpaintModel model;
    private final WorkerExecutor cpu;
    private final WorkerExecutor inference;
    private final WorkerConfig config;

    /** Wires the stages. */
    public JobProcessor(
            ObjectStore store,
            InpaintModel model,
            WorkerExecutor cpu,
            WorkerExecutor inference,
            WorkerConfig config) {
        this.store = store;
        this.model = model;
        this.cpu = cpu;
        this.inference = inference;
        this.config = config;
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
     * What decoding produced: the picture, its processed mask, and the plan (null when the mask is
     * empty and there is nothing to fill).
     */
    private record Decoded(Picture picture, Mask mask, List<Tile> tiles) {}

    /** What encoding produced. */
    private record Encoded(byte[] bytes, String contentType, int width, int height) {}

    /**
     * Processes a job.
     *
     * @param queuedMillis how long the job waited before work started
     * @param attempt the attempt number reported on the result
     */
    public Future<InpaintResult> process(InpaintJob job, long queuedMillis, int attempt) {
        Clock clock = new Clock();
        ObjectRef output = job.outputOrDefault();
        JobOptions options = job.options();
        return checkDeadline(job)
                .compose(v -> download(job))
                .compose(
                        bytes -> {
                            clock.download = clock.lap();
                            return cpu.executeBlocking(
                                    () -> decode(bytes[0], bytes[1], options), false);
                        })
                .compose(
                        decoded -> {
                            clock.decode = clock.lap();
                            return checkDeadline(job).compose(v -> infer(decoded));
                        })
                .compose(
                        picture -> {
                            clock.inference = clock.lap();
                            return cpu.executeBlocking(() -> encode(picture, options), false);
                        })
                .compose(
                        encoded -> {
                            clock.encode = clock.lap();
                            return store.put(output, encoded.bytes(), encoded.contentType())
                                    .map(
                                            size -> {
                                                clock.upload = clock.lap();
                                                return InpaintResult.succeeded(
                                                        job.jobId(),
                                                        new OutputObject(
                                                                output.bucket(),
                                                                output.key(),
                                                                encoded.width(),
                                                                encoded.height(),
                                                                encoded.contentType(),
                                                                size),
                                                        job.attributes(),
                                                        attempt,
                                                        clock.timings(queuedMillis));
                                            });
                        })
                .recover(
                        failure ->
                                Future.succeededFuture(
                                        InpaintResult.failed(
                                                job.jobId(),
                                                Failures.toError(failure),
                                                job.attributes(),
                                                attempt,
                                                clock.timings(queuedMillis))));
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

    /** Fetches image and mask together; the image's failure is reported first. */
    private Future<byte[][]> download(InpaintJob job) {
        Future<byte[]> image = store.get(job.image(), ErrorCode.IMAGE_NOT_FOUND);
        Future<byte[]> mask = store.get(job.mask(), ErrorCode.MASK_NOT_FOUND);
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

    private Decoded decode(byte[] imageBytes, byte[] maskBytes, JobOptions options) {
        WorkerConfig.Image limits = config.image();
        Picture picture = ImageCodec.decode(imageBytes, "image", limits.maxPixels());
        Picture maskPicture = ImageCodec.decode(maskBytes, "mask", limits.maxPixels());
        int threshold =
                options.maskThreshold() != null ? options.maskThreshold() : limits.maskThreshold();
        Mask mask = ImageCodec.binarize(maskPicture, threshold);
        if (mask.width() != picture.width() || mask.height() != picture.height()) {
            if (!Boolean.TRUE.equals(options.resizeMask())) {
                throw new JobFailure(
                        ErrorCode.MASK_SIZE_MISMATCH,
                        "the mask is "
                                + mask.width()
                                + "x"
                                + mask.height()
                                + " but the image is "
                                + picture.width()
                                + "x"
                                + picture.height()
                                + "; send a mask of the image's size or set options.resizeMask=true");
            }
            mask = MaskScaler.nearest(mask, picture.width(), picture.height());
        }
        if (mask.holeCount() == 0) {
            // An empty mask asks for no change: the model does not run.
            return new Decoded(picture, mask, null);
        }
        if (options.fillHoles() != null ? options.fillHoles() : limits.fillHoles()) {
            mask = MaskOps.fillHoles(mask);
        }
        mask =
                MaskOps.dilate(
                        mask,
                        options.maskDilatePx() != null
                                ? options.maskDilatePx()
                                : limits.maskDilatePx());
        WorkerConfig.Inference inference = config.inference();
        Strategy strategy =
                options.strategy() != null
                        ? Strategy.parse(options.strategy())
                        : inference.defaultStrategy();
        List<Tile> tiles =
                TilePlanner.plan(
                        mask,
                        strategy,
                        model.info(),
                        new TilePlanner.Settings(
                                inference.maxPixels(),
                                inference.cropMarginPx(),
                                inference.cropMergeGapPx()));
        return new Decoded(picture, mask, tiles);
    }

    /**
     * Prepares, runs and composites the tiles: tensors are packed on the CPU pool, the model runs
     * on the inference executor in batches of one tensor size, and results are composited back on
     * the CPU pool.
     */
    private Future<Picture> infer(Decoded decoded) {
        if (decoded.tiles() == null) {
            return Future.succeededFuture(decoded.picture());
        }
        List<Tile> tiles = decoded.tiles();
        return cpu.executeBlocking(
                        () -> {
                            List<InferenceInput> inputs = new ArrayList<>(tiles.size());
                            for (Tile tile : tiles) {
                                inputs.add(
                                        Inpainter.prepare(decoded.picture(), decoded.mask(), tile));
                            }
                            return inputs;
                        },
                        false)
                .compose(inputs -> inference.executeBlocking(() -> runBatches(inputs), false))
                .compose(
                        outputs ->
                                cpu.executeBlocking(
                                        () ->
                                                Inpainter.composite(
                                                        decoded.picture(),
                                                        Inpainter.blendWeights(
                                                                decoded.mask(),
                                                                config.image().seamPx()),
                                                        tiles,
                                                        outputs),
                                        false));
    }

    /** Runs inputs grouped by tensor size, at most {@code inference.maxBatch} per run. */
    private List<float[]> runBatches(List<InferenceInput> inputs) {
        float[][] outputs = new float[inputs.size()][];
        Map<Long, List<Integer>> bySize = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            InferenceInput in = inputs.get(i);
            bySize.computeIfAbsent(
                            ((long) in.tensorWidth() << 32) | in.tensorHeight(),
                            k -> new ArrayList<>())
                    .add(i);
        }
        int maxBatch = model.info().batchAxis() ? config.inference().maxBatch() : 1;
        for (List<Integer> group : bySize.values()) {
            for (int start = 0; start < group.size(); start += maxBatch) {
                List<Integer> chunk =
                        group.subList(start, Math.min(group.size(), start + maxBatch));
                List<float[]> results = model.run(chunk.stream().map(inputs::get).toList());
                for (int k = 0; k < chunk.size(); k++) {
                    outputs[chunk.get(k)] = results.get(k);
                }
            }
        }
        return List.of(outputs);
    }

    private Encoded encode(Picture picture, JobOptions options) {
        String format = options.format() != null ? options.format() : "png";
        int quality = options.quality() != null ? options.quality() : config.image().jpegQuality();
        byte[] bytes = ImageCodec.encode(picture, format, quality);
        return new Encoded(
                bytes, ImageCodec.contentType(format), picture.width(), picture.height());
    }
}
