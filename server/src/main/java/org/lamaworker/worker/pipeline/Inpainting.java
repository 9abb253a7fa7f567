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
import org.lamaworker.worker.image.ExifOrientation;
import org.lamaworker.worker.image.ImageCodec;
import org.lamaworker.worker.image.ImageEncoder;
import org.lamaworker.worker.image.ImageInfo;
import org.lamaworker.worker.image.Mask;
import org.lamaworker.worker.image.MaskOps;
import org.lamaworker.worker.image.MaskScaler;
import org.lamaworker.worker.image.OutputSettings;
import org.lamaworker.worker.image.Picture;
import org.lamaworker.worker.image.jpeg.JpegImage;
import org.lamaworker.worker.image.jpeg.JpegReader;
import org.lamaworker.worker.image.jpeg.JpegRegion;
import org.lamaworker.worker.image.jpeg.JpegSegments;
import org.lamaworker.worker.image.jpeg.JpegWriter;
import org.lamaworker.worker.image.jpeg.UnpatchableJpeg;
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
     * @param jpeg for a JPEG written as JPEG, how it is edited; {@code null} otherwise. When
     *     patched, {@code picture}, {@code mask} and {@code tiles} cover only its window of whole
     *     MCUs, in the stored pixel grid
     */
    public record Decoded(
            Picture picture,
            ImageInfo info,
            Picture modelView,
            Mask mask,
            List<Tile> tiles,
            JpegEdit jpeg) {
        /** A decoded picture that is not a JPEG edited as JPEG. */
        public Decoded(
                Picture picture, ImageInfo info, Picture modelView, Mask mask, List<Tile> tiles) {
            this(picture, info, modelView, mask, tiles, null);
        }
    }

    /**
     * An encoded result.
     *
     * @param bytes the file
     * @param contentType its MIME type
     * @param width width in pixels
     * @param height height in pixels
     * @param settings how it was written: format, quality, profile and metadata
     * @param jpegPatch for a JPEG input written as JPEG: {@code patched}, {@code reencoded} or
     *     {@code fallback} ({@link JpegEdit#path}); {@code null} otherwise
     */
    public record Encoded(
            byte[] bytes,
            String contentType,
            int width,
            int height,
            OutputSettings settings,
            String jpegPatch) {
        /** The output's format: {@code png}, {@code jpeg} or {@code webp}. */
        public String format() {
            return settings.format();
        }
    }

    /**
     * Decodes both pictures, prepares the mask as the options ask, and plans the tiles. A JPEG
     * written as JPEG is read as coefficients and only the window its tiles need is decoded to
     * pixels, unless the job asks for a whole re-encode or the file's coding cannot be patched.
     */
    public Decoded decode(byte[] imageBytes, byte[] maskBytes, JobOptions options) {
        JpegEdit jpeg = null;
        if (ImageCodec.isJpeg(imageBytes) && writesJpeg(options)) {
            boolean strip =
                    options.stripMetadata() != null
                            ? options.stripMetadata()
                            : config.image().stripMetadata();
            if (Boolean.FALSE.equals(options.jpegPatch()) || options.quality() != null) {
                jpeg = JpegEdit.reencoded();
            } else {
                try {
                    JpegReader reader = JpegReader.open(imageBytes, config.image().maxPixels());
                    ImageInfo info =
                            ImageCodec.jpegInfo(imageBytes, reader.image().componentCount() == 1);
                    if (strip && info.orientation() > ExifOrientation.NORMAL) {
                        // Without its EXIF the stored grid would show turned: turn the pixels.
                        jpeg = JpegEdit.fallback("metadata stripped from a turned picture");
                    } else {
                        return decodePatch(reader, info, imageBytes, maskBytes, options, strip);
                    }
                } catch (UnpatchableJpeg e) {
                    jpeg = JpegEdit.fallback(e.getMessage());
                }
            }
        }
        WorkerConfig.Image limits = config.image();
        DecodedImage image = ImageCodec.decodeImage(imageBytes, "image", limits.maxPixels());
        Picture picture = image.picture();
        // A picture its output format cannot hold fails now, not after the model ran.
        settings(image.info(), options).checkFits(picture.width(), picture.height());
        Mask mask = readMask(maskBytes, options, picture.width(), picture.height());
        Plan plan = plan(mask, options);
        if (plan.tiles().isEmpty()) {
            // An empty mask asks for no change: the model does not run.
            return new Decoded(picture, image.info(), picture, plan.mask(), List.of(), jpeg);
        }
        ColourProfile profile = image.info().profile();
        Picture modelView =
                profile != null && profile.converts() ? profile.toSrgb(picture) : picture;
        return new Decoded(picture, image.info(), modelView, plan.mask(), plan.tiles(), jpeg);
    }

    /** Whether the job's output is a JPEG, given a JPEG input. */
    private boolean writesJpeg(JobOptions options) {
        String format = options.format() != null ? options.format() : config.image().outputFormat();
        return format.equals("jpeg") || format.equals("auto");
    }

    /**
     * The patch path's decode: the mask mapped onto the stored grid, the tiles planned there, and
     * only the window of whole MCUs that the tiles and the seam reach decoded to pixels.
     */
    private Decoded decodePatch(
            JpegReader reader,
            ImageInfo info,
            byte[] imageBytes,
            byte[] maskBytes,
            JobOptions options,
            boolean strip)
            throws UnpatchableJpeg {
        JpegImage jpeg = reader.image();
        int orientation = info.orientation();
        boolean swap = ExifOrientation.swapsSides(orientation);
        int width = swap ? jpeg.height() : jpeg.width();
        int height = swap ? jpeg.width() : jpeg.height();
        Mask displayed = readMask(maskBytes, options, width, height);
        Plan plan = plan(ExifOrientation.toStored(displayed, orientation), options);
        Rect need = new Rect(0, 0, 1, 1);
        if (!plan.tiles().isEmpty()) {
            int seam = config.image().seamPx();
            need = null;
            for (Tile tile : plan.tiles()) {
                need = need == null ? tile.region() : need.union(tile.region());
            }
            for (MaskOps.Region part : plan.parts()) {
                Rect holes = new Rect(part.x(), part.y(), part.width(), part.height());
                need = need.union(holes.expand(seam, jpeg.width(), jpeg.height()));
            }
        }
        int[] aligned = JpegRegion.align(jpeg, need.x(), need.y(), need.width(), need.height());
        Rect window = new Rect(aligned[0], aligned[1], aligned[2], aligned[3]);
        if (reader.copyable()) {
            // Coefficients are read for the window's MCUs and for each MCU after one (whose DC
            // may be coded again); every other MCU is only stepped over, then copied.
            boolean[] full = new boolean[jpeg.mcusWide() * jpeg.mcusHigh()];
            int mx0 = window.x() / jpeg.mcuWidth();
            int my0 = window.y() / jpeg.mcuHeight();
            int mx1 = (window.right() + jpeg.mcuWidth() - 1) / jpeg.mcuWidth();
            int my1 = (window.bottom() + jpeg.mcuHeight() - 1) / jpeg.mcuHeight();
            for (int my = my0; my < my1; my++) {
                for (int mx = mx0; mx < mx1; mx++) {
                    int m = my * jpeg.mcusWide() + mx;
                    full[m] = true;
                    if (m + 1 < full.length) {
                        full[m + 1] = true;
                    }
                }
            }
            try {
                reader.readSelected(full);
            } catch (UnpatchableJpeg e) {
                if (e.damaged()) {
                    throw e;
                }
                jpeg = JpegReader.read(imageBytes, config.image().maxPixels());
            }
        } else {
            reader.readAll();
        }
        Picture picture =
                new Picture(
                        window.width(),
                        window.height(),
                        JpegRegion.decode(
                                jpeg, window.x(), window.y(), window.width(), window.height()),
                        false);
        Mask mask = crop(plan.mask(), window);
        List<Tile> tiles = new ArrayList<>(plan.tiles().size());
        for (Tile tile : plan.tiles()) {
            tiles.add(
                    new Tile(
                            shift(tile.region(), window),
                            shift(tile.core(), window),
                            tile.width(),
                            tile.height(),
                            tile.tensorWidth(),
                            tile.tensorHeight()));
        }
        ColourProfile profile = info.profile();
        Picture modelView =
                !tiles.isEmpty() && profile != null && profile.converts()
                        ? profile.toSrgb(picture)
                        : picture;
        JpegEdit edit =
                new JpegEdit(
                        "patched",
                        null,
                        jpeg,
                        window,
                        JpegSegments.kept(jpeg.segments(), strip),
                        imageBytes,
                        width,
                        height);
        return new Decoded(picture, info, modelView, mask, tiles, edit);
    }

    private static Rect shift(Rect r, Rect window) {
        return new Rect(r.x() - window.x(), r.y() - window.y(), r.width(), r.height());
    }

    private static Mask crop(Mask mask, Rect window) {
        boolean[] hole = new boolean[window.width() * window.height()];
        for (int y = 0; y < window.height(); y++) {
            System.arraycopy(
                    mask.hole(),
                    (window.y() + y) * mask.width() + window.x(),
                    hole,
                    y * window.width(),
                    window.width());
        }
        return new Mask(window.width(), window.height(), hole);
    }

    /** A mask after hole filling and growth, its parts, and the tiles planned over them. */
    private record Plan(Mask mask, List<MaskOps.Region> parts, List<Tile> tiles) {}

    /** Decodes and binarises the mask, checked against (or scaled to) the picture's size. */
    private Mask readMask(byte[] maskBytes, JobOptions options, int width, int height) {
        WorkerConfig.Image limits = config.image();
        int threshold =
                options.maskThreshold() != null ? options.maskThreshold() : limits.maskThreshold();
        Mask mask = ImageCodec.decodeMask(maskBytes, limits.maxPixels(), threshold);
        if (mask.width() != width || mask.height() != height) {
            if (!Boolean.TRUE.equals(options.resizeMask())) {
                throw new JobFailure(
                        ErrorCode.MASK_SIZE_MISMATCH,
                        "the mask is "
                                + mask.width()
                                + "x"
                                + mask.height()
                                + " but the image is "
                                + width
                                + "x"
                                + height
                                + "; send a mask of the image's size or set options.resizeMask=true");
            }
            mask = MaskScaler.nearest(mask, width, height);
        }
        return mask;
    }

    /** Fills and grows the mask as the options ask and plans the tiles; none for an empty mask. */
    private Plan plan(Mask mask, JobOptions options) {
        WorkerConfig.Image limits = config.image();
        if (mask.holeCount() == 0) {
            return new Plan(mask, List.of(), List.of());
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
        return new Plan(mask, parts, tiles);
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
     * input's colour profile, bit depth (where the format has it) and metadata. A patched JPEG gets
     * new coefficients for the MCUs the edit reaches and keeps every other block's.
     *
     * @param picture the composited picture (the window, for a patched JPEG)
     */
    public Encoded encode(Picture picture, Decoded decoded, JobOptions options) {
        OutputSettings settings = settings(decoded.info(), options);
        JpegEdit jpeg = decoded.jpeg();
        if (jpeg != null && jpeg.patched()) {
            JpegImage coefficients = jpeg.coefficients();
            boolean[] touched = new boolean[coefficients.mcusWide() * coefficients.mcusHigh()];
            if (!decoded.tiles().isEmpty()) {
                Rect window = jpeg.window();
                float[] weights = Inpainter.blendWeights(decoded.mask(), config.image().seamPx());
                touched =
                        JpegRegion.touched(
                                coefficients,
                                window.x(),
                                window.y(),
                                window.width(),
                                window.height(),
                                weights);
                JpegRegion.encode(
                        coefficients,
                        window.x(),
                        window.y(),
                        window.width(),
                        window.height(),
                        picture.argb(),
                        touched);
            }
            byte[] bytes = write(coefficients, jpeg, touched, picture);
            return new Encoded(
                    bytes, "image/jpeg", jpeg.width(), jpeg.height(), settings, jpeg.path());
        }
        byte[] bytes = ImageEncoder.encode(picture, settings);
        return new Encoded(
                bytes,
                settings.contentType(),
                picture.width(),
                picture.height(),
                settings,
                jpeg == null ? null : jpeg.path());
    }

    /**
     * Writes a patched JPEG: by copying the untouched MCUs' bits when the file was read for it,
     * else (or when the file's own Huffman tables cannot code the new MCUs) by coding every block
     * again with tables made for them.
     */
    private byte[] write(JpegImage coefficients, JpegEdit jpeg, boolean[] touched, Picture window) {
        if (coefficients.copyable()) {
            byte[] copied =
                    JpegWriter.writeCopy(coefficients, jpeg.segments(), jpeg.inputBytes(), touched);
            if (copied != null) {
                return copied;
            }
            try {
                coefficients = JpegReader.read(jpeg.input(), config.image().maxPixels());
            } catch (UnpatchableJpeg e) {
                throw new IllegalStateException("a JPEG read once cannot be read again", e);
            }
            Rect w = jpeg.window();
            JpegRegion.encode(
                    coefficients, w.x(), w.y(), w.width(), w.height(), window.argb(), touched);
        }
        return JpegWriter.write(coefficients, jpeg.segments(), jpeg.inputBytes());
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
        return encode(composite(decoded, outputs), decoded, options);
    }
}
