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

    /** A job of {@code picturePixels} whose tiles run at most {@code maxBatch} at a time. */
    public long jobBytes(long picturePixels, List<Tile> tiles, int maxBatch) {
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
        return (long) (picturePixels * hostBytesPerPixel + largestRun * modelBytesPerTensorPixel);
    }

    /** The most any job can need: the largest picture accepted, the largest run possible. */
    public long worstCaseBytes(
            long maxPicturePixels, ModelInfo model, long maxDynamicPixels, int maxBatch) {
        long run =
                model.shape().dynamic()
                        ? maxDynamicPixels
                        : (long) model.shape().fixedWidth()
                                * model.shape().fixedHeight()
                                * (model.batchAxis() ? maxBatch : 1);
        return (long) (maxPicturePixels * hostBytesPerPixel + run * modelBytesPerTensorPixel);
    }
}
