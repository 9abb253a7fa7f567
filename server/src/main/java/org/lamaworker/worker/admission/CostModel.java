package org.lamaworker.worker.admission;

import java.util.List;
import org.lamaworker.worker.inference.ModelInfo;
import org.lamaworker.worker.pipeline.Tile;

/**
 * Estimates a job's peak memory from the shapes it will run: the picture's pixels on the host
 * (decoded picture, result, mask, seam weights, encoder buffers) plus the model's peak for the
 * largest run (fixed bytes plus bytes per tensor pixel, batch x height x width).
 *
 * @param modelFixedBytes the model's memory independent of input size (weights, runtime)
 * @param modelBytesPerTensorPixel extra model memory per input pixel of one run
 * @param hostBytesPerPixel host memory per picture pixel while a job is worked on
 */
public record CostModel(
        long modelFixedBytes, double modelBytesPerTensorPixel, double hostBytesPerPixel) {
    /** Host bytes per picture pixel measured for the pipeline's buffers (see BENCHMARKS.md). */
    public static final double HOST_BYTES_PER_PIXEL = 32;

    /**
     * Host bytes a 16-bit picture adds per pixel: its 16-bit samples and the result's (8 bytes
     * each) and the decoder's 16-bit raster (8). Counted from the arrays' sizes, not measured.
     */
    public static final double DEEP_BYTES_PER_PIXEL = 24;

    /** Host bytes a picture with a colour profile adds per pixel: the sRGB view the model reads. */
    public static final double PROFILE_BYTES_PER_PIXEL = 4;

    /**
     * The built-in reference fill model: {@code model calibrate} measured 87 bytes per input pixel
     * on CPU (see BENCHMARKS.md); 128 leaves a margin.
     */
    public static CostModel referenceFill() {
        return new CostModel(0, 128, HOST_BYTES_PER_PIXEL);
    }

    /**
     * A conservative default when a model has not been calibrated: activations of a big-lama-like
     * network at 512x512 take about 1 GiB on CPU, about 4 KiB per input pixel.
     */
    public static CostModel uncalibrated() {
        return new CostModel(0, 4096, HOST_BYTES_PER_PIXEL);
    }

    /** A job of an 8-bit sRGB picture of {@code picturePixels}. */
    public long jobBytes(long picturePixels, List<Tile> tiles, int maxBatch) {
        return jobBytes(picturePixels, 0, tiles, maxBatch);
    }

    /**
     * A job of {@code picturePixels} whose tiles run at most {@code maxBatch} at a time.
     *
     * @param extraBytesPerPixel what the picture adds to {@link #hostBytesPerPixel}: {@link
     *     #DEEP_BYTES_PER_PIXEL} for 16 bits, {@link #PROFILE_BYTES_PER_PIXEL} for a colour profile
     */
    public long jobBytes(
            long picturePixels, double extraBytesPerPixel, List<Tile> tiles, int maxBatch) {
        long largestRun = 0;
        if (!tiles.isEmpty()) {
            long largestTile = 0;
            int sameSize = 0;
            for (Tile tile : tiles) {
                long pixels = (long) tile.tensorWidth() * tile.tensorHeight();
                largestTile = Math.max(largestTile, pixels);
            }
            for (Tile tile : tiles) {
                if ((long) tile.tensorWidth() * tile.tensorHeight() == largestTile) {
                    sameSize++;
                }
            }
            largestRun = largestTile * Math.min(sameSize, maxBatch);
        }
        return (long)
                (picturePixels * (hostBytesPerPixel + extraBytesPerPixel)
                        + largestRun * modelBytesPerTensorPixel);
    }

    /**
     * The most any job can need: the largest picture accepted, 16-bit and with a colour profile,
     * and the largest run possible.
     */
    public long worstCaseBytes(
            long maxPicturePixels, ModelInfo model, long maxDynamicPixels, int maxBatch) {
        long run =
                model.shape().dynamic()
                        ? maxDynamicPixels
                        : (long) model.shape().fixedWidth()
                                * model.shape().fixedHeight()
                                * (model.batchAxis() ? maxBatch : 1);
        double perPixel = hostBytesPerPixel + DEEP_BYTES_PER_PIXEL + PROFILE_BYTES_PER_PIXEL;
        return (long) (maxPicturePixels * perPixel + run * modelBytesPerTensorPixel);
    }
}
