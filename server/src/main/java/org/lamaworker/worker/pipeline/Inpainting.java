package org.lamaworker.worker.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.worker.config.Strategy;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.failure.JobFailure;
import org.lamaworker.worker.image.ColourProfile;
import org.lamaworker.worker.image.DecodedImage;
import org.lamaworker.worker.image.ImageCodec;
import org.lamaworker.worker.image.ImageEncoder;
import org.lamaworker.worker.image.ImageInfo;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.MaskOps;
import org.lamaworker.worker.image.MaskScaler;
import org.lamaworker.worker.image.OutputSettings;
import org.lamaworker.worker.image.Picture;
import org.lamaworker.worker.inference.BatchingRunner;
import org.lamaworker.worker.inference.InferenceInput;
import org.lamaworker.worker.inference.InpaintModel;

/**
 * The picture work of a job, in stages: {@link #decode} (pictures, mask processing, tiling), {@link
 * #tensors}, {@link #run} (the only stage that touches the model), {@link #composite} and {@link
 * #encode}. The job processor spreads them over its executors; {@link #inpaint} runs them all on
 * the calling thread for local use, tests and benchmarks.
 */
public final class Inpainting {
    private final InpaintModel model;
    private final WorkerConfig config;

    /** Work for the given model and configuration. */
    public Inpainting(InpaintModel model, WorkerConfig config) {
        this.model = model;
        this.config = config;
    }

    /**
     * A decoded job: the picture, what its file was, its processed mask, and the tiles to run
     * (empty when the mask is empty: the picture comes back unchanged without running the model).
     *
     * @param picture the decoded picture, in its own colour space and bit depth
     * @param info the input's format, quality, colour profile and metadata
     * @param modelView the picture in 8-bit sRGB, as the model sees it; {@code picture} itself when
     *     that is already sRGB or no tile is run
     * @param mask the mask after binarisation, hole filling and growth
     * @param tiles the model inputs to cut from the picture
     */
    public record Decoded(
            Picture picture, ImageInfo info, Picture modelView, Mask mask, List<Tile> tiles) {}

    /**
     * An encoded result.
     *
     * @param bytes the file
     * @param contentType its MIME type
     * @param width width in pixels
     * @param height height in pixels
     * @param settings how it was written: format, quality, profile and metadata
     */
    public record Encoded(
            byte[] bytes, String contentType, int width, int height, OutputSettings settings) {
        /** The output's format: {@code png}, {@code jpeg} or {@code webp}. */
        public String format() {
            return settings.format();
        }
    }

    /** Decodes both pictures, prepares the mask as the options ask, and plans the tiles. */
    public Decoded decode(byte[] imageBytes, byte[] maskBytes, JobOptions options) {
        WorkerConfig.Image limits = config.image();
        DecodedImage image = ImageCodec.decodeImage(imageBytes, "image", limits.maxPixels());
        Picture picture = image.picture();
        // A picture its output format cannot hold fails now, not after the model ran.
        settings(image.info(), options).checkFits(picture.width(), picture.height());
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
            return new Decoded(picture, image.info(), picture, mask, List.of());
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
        // Found once: the limit is checked here and the crop planner uses the same parts.
        List<MaskOps.Region> parts = MaskOps.components(mask, limits.maskMaxParts());
        if (parts.size() > limits.maskMaxParts()) {
            throw new JobFailure(
                    ErrorCode.MASK_TOO_COMPLEX,
                    "the mask has more than "
                            + limits.maskMaxParts()
                            + " separate parts (mask.maxParts); send strokes or filled shapes, not"
                            + " a picture or noise");
        }
        WorkerConfig.Inference inference = config.inference();
        Strategy strategy =
                options.strategy() != null
                        ? Strategy.parse(options.strategy())
                        : inference.defaultStrategy();
        List<Tile> tiles =
                TilePlanner.plan(
                        mask,
                        parts,
                        strategy,
                        model.info(),
                        new TilePlanner.Settings(
                                inference.maxPixels(),
                                inference.cropMarginPx(),
                                inference.cropMergeGapPx()));
        ColourProfile profile = image.info().profile();
        Picture modelView =
                profile != null && profile.converts() ? profile.toSrgb(picture) : picture;
        return new Decoded(picture, image.info(), modelView, mask, tiles);
    }

    /** Cuts and scales the model inputs. */
    public List<InferenceInput> tensors(Decoded decoded) {
        List<InferenceInput> inputs = new ArrayList<>(decoded.tiles().size());
        for (Tile tile : decoded.tiles()) {
            inputs.add(Inpainter.prepare(decoded.modelView(), decoded.mask(), tile));
        }
        return inputs;
    }

    /**
     * Runs the model on inputs grouped by tensor size, at most {@code inference.maxBatch} per run
     * for models with a batch axis, on the calling thread (which must be the only one running this
     * model).
     */
    public List<float[]> run(List<InferenceInput> inputs) {
        return BatchingRunner.runOnCallingThread(model, inputs, config.inference().maxBatch());
    }

    /**
     * Runs the inputs through the batching runner, one request per tensor size, so that other jobs'
     * crops of the same size can share a run.
     */
    public CompletableFuture<List<float[]>> run(
            List<InferenceInput> inputs, BatchingRunner runner) {
        return runner.submit(inputs);
    }

    /** Puts the model's outputs back into the picture: hole and seam only. */
    public Picture composite(Decoded decoded, List<float[]> outputs) {
        if (decoded.tiles().isEmpty()) {
            return decoded.picture();
        }
        float[] weights = Inpainter.blendWeights(decoded.mask(), config.image().seamPx());
        ColourProfile profile = decoded.info().profile();
        return Inpainter.composite(
                decoded.picture(),
                weights,
                decoded.tiles(),
                outputs,
                profile != null && profile.converts() ? profile : null);
    }

    /**
     * Encodes the result as the options ask, in the input's format for {@code auto}, keeping the
     * input's colour profile, bit depth (where the format has it) and metadata.
     */
    public Encoded encode(Picture picture, ImageInfo input, JobOptions options) {
        OutputSettings settings = settings(input, options);
        byte[] bytes = ImageEncoder.encode(picture, settings);
        return new Encoded(
                bytes, settings.contentType(), picture.width(), picture.height(), settings);
    }

    /** How the output of a picture is written, from the job's options and the worker's defaults. */
    private OutputSettings settings(ImageInfo input, JobOptions options) {
        WorkerConfig.Image image = config.image();
        return OutputSettings.choose(
                input, options, image.outputFormat(), image.jpegQuality(), image.stripMetadata());
    }

    /** Every stage on the calling thread. */
    public Encoded inpaint(byte[] imageBytes, byte[] maskBytes, JobOptions options) {
        Decoded decoded = decode(imageBytes, maskBytes, options);
        List<float[]> outputs = decoded.tiles().isEmpty() ? List.of() : run(tensors(decoded));
        return encode(composite(decoded, outputs), decoded.info(), options);
    }
}
