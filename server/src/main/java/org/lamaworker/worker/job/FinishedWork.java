package org.lamaworker.worker.job;

import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.protocol.OutputObject;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.pipeline.Inpainting;
import org.lamaworker.worker.storage.ObjectStore;

/**
 * Work a job would repeat: a job whose output already exists, made from the same image and mask
 * (their ETags), the same options and worker settings and the same model, is answered from that
 * output, so a job redelivered after a crash or submitted twice costs a few HEAD requests instead
 * of a model run. Each output carries what produced it as S3 user metadata: a digest of all of that
 * (its recipe), and the width, height and JPEG path its result reports.
 */
final class FinishedWork {
    static final String RECIPE = "lama-recipe";
    static final String WIDTH = "lama-width";
    static final String HEIGHT = "lama-height";
    static final String JPEG_PATCH = "lama-jpeg-patch";

    /** Changes when a release changes what the same recipe produces. */
    private static final String VERSION = "lama-worker-output-2";

    private final ObjectStore store;
    private final String producer;

    /**
     * @param modelId the model's id (its name and content hash) and what the worker read it as
     *     (contract, shape, output scale)
     * @param config the settings that shape outputs: image and mask handling, crop planning
     */
    FinishedWork(ObjectStore store, String modelId, WorkerConfig config) {
        this.store = store;
        WorkerConfig.Inference inference = config.inference();
        this.producer =
                VERSION
                        + "\n"
                        + modelId
                        + "\n"
                        + config.image()
                        + "\n"
                        + inference.defaultStrategy()
                        + " "
                        + inference.maxPixels()
                        + " "
                        + inference.cropMarginPx()
                        + " "
                        + inference.cropMergeGapPx();
    }

    /**
     * What a lookup found: the job's recipe ({@code null} when its inputs could not be asked
     * about), the existing output made by it, if any, and what storage said of the image and the
     * mask ({@code null} where it could not say), which their download then need not ask again.
     */
    record Lookup(
            String recipe,
            OutputObject existing,
            ObjectStore.StoredObject image,
            ObjectStore.StoredObject mask) {}

    /**
     * Asks storage for the job's inputs' ETags and for an output at the places the job may write to
     * that carries the same recipe. Never fails: what cannot be asked is left to the job's own
     * download, which reports it.
     */
    Future<Lookup> lookup(InpaintJob job, AccessPolicy.OutputLocation output) {
        Future<ObjectStore.StoredObject> image = store.stat(job.image(), ErrorCode.IMAGE_NOT_FOUND);
        Future<ObjectStore.StoredObject> mask = store.stat(job.mask(), ErrorCode.MASK_NOT_FOUND);
        return Future.join(image, mask)
                .compose(
                        both -> {
                            if (image.result().etag().isBlank() || mask.result().etag().isBlank()) {
                                // Without ETags a changed picture at the same key looks the same.
                                return Future.succeededFuture(
                                        new Lookup(null, null, image.result(), mask.result()));
                            }
                            String recipe =
                                    recipe(job, image.result().etag(), mask.result().etag());
                            if (Boolean.TRUE.equals(job.options().force())) {
                                return Future.succeededFuture(
                                        new Lookup(recipe, null, image.result(), mask.result()));
                            }
                            return find(candidates(job, output), 0, recipe)
                                    .map(
                                            found ->
                                                    new Lookup(
                                                            recipe,
                                                            found,
                                                            image.result(),
                                                            mask.result()));
                        })
                .recover(
                        failure ->
                                Future.succeededFuture(
                                        new Lookup(
                                                null,
                                                null,
                                                image.succeeded() ? image.result() : null,
                                                mask.succeeded() ? mask.result() : null)));
    }

    /** The user metadata to store with a fresh output. */
    static Map<String, String> metadata(String recipe, Inpainting.Encoded encoded) {
        if (recipe == null) {
            return Map.of();
        }
        Map<String, String> metadata = new java.util.HashMap<>();
        metadata.put(RECIPE, recipe);
        metadata.put(WIDTH, Integer.toString(encoded.width()));
        metadata.put(HEIGHT, Integer.toString(encoded.height()));
        if (encoded.jpegPatch() != null) {
            metadata.put(JPEG_PATCH, encoded.jpegPatch());
        }
        return metadata;
    }

    /** The digest of everything that decides a job's output. */
    String recipe(InpaintJob job, String imageEtag, String maskEtag) {
        JobOptions o = job.options();
        JobOptions shaping =
                new JobOptions(
                        o.strategy(),
                        o.maskThreshold(),
                        o.maskDilatePx(),
                        o.fillHoles(),
                        o.resizeMask(),
                        o.format(),
                        o.quality(),
                        o.stripMetadata(),
                        o.jpegPatch(),
                        null);
        String text =
                producer
                        + "\n"
                        + job.image()
                        + " "
                        + imageEtag
                        + "\n"
                        + job.mask()
                        + " "
                        + maskEtag
                        + "\n"
                        + new String(JsonCodec.encode(shaping), StandardCharsets.UTF_8);
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-256")
                                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Where the job's output may be: the one place it names, or one per format it may take. */
    private static List<ObjectRef> candidates(InpaintJob job, AccessPolicy.OutputLocation output) {
        List<ObjectRef> places = new ArrayList<>();
        String format = job.options().format();
        if (output.given() != null || (format != null && !format.equals("auto"))) {
            places.add(output.resolve(format == null ? "png" : format));
        } else {
            for (String f : new String[] {"jpeg", "png", "webp"}) {
                places.add(output.resolve(f));
            }
        }
        return places;
    }

    private Future<OutputObject> find(List<ObjectRef> places, int index, String recipe) {
        if (index >= places.size()) {
            return Future.succeededFuture(null);
        }
        ObjectRef place = places.get(index);
        return store.stat(place, ErrorCode.IMAGE_NOT_FOUND)
                .map(stat -> matching(place, stat, recipe))
                .otherwise(failure -> null)
                .compose(
                        found ->
                                found != null
                                        ? Future.succeededFuture(found)
                                        : find(places, index + 1, recipe));
    }

    private static OutputObject matching(
            ObjectRef place, ObjectStore.StoredObject stat, String recipe) {
        Map<String, String> m = stat.metadata();
        if (!recipe.equals(m.get(RECIPE)) || !m.containsKey(WIDTH) || !m.containsKey(HEIGHT)) {
            return null;
        }
        try {
            return new OutputObject(
                    place.bucket(),
                    place.key(),
                    Integer.parseInt(m.get(WIDTH)),
                    Integer.parseInt(m.get(HEIGHT)),
                    stat.contentType(),
                    stat.size(),
                    m.get(JPEG_PATCH),
                    true);
        } catch (RuntimeException e) {
            return null; // metadata someone else wrote: not ours to trust
        }
    }
}
