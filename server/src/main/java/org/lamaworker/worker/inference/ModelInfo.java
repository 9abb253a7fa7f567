package org.lamaworker.worker.inference;

import java.util.Objects;
import org.lamaworker.worker.config.ModelContract;

/**
 * What the worker learned about a loaded model: its contract, input geometry, whether it takes
 * batches, and the range of its output.
 *
 * @param contract the I/O layout
 * @param shape fixed or dynamic spatial size, and the multiple dynamic sizes are padded to
 * @param batchAxis whether several inputs of one size can share a run
 * @param outputScale the value the output uses for full intensity: 255 or 1
 */
public record ModelInfo(
        ModelContract contract, ModelShape shape, boolean batchAxis, float outputScale) {
    /** Validates the scale. */
    public ModelInfo {
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(shape, "shape");
        if (outputScale != 1f && outputScale != 255f) {
            throw new IllegalArgumentException("output scale must be 1 or 255, got " + outputScale);
        }
    }

    @Override
    public String toString() {
        return "contract "
                + contract.name().toLowerCase(java.util.Locale.ROOT)
                + ", "
                + (shape.dynamic()
                        ? "dynamic size (multiple of " + shape.multiple() + ")"
                        : shape.fixedWidth() + "x" + shape.fixedHeight())
                + (batchAxis ? ", batched" : ", batch 1")
                + ", output 0.."
                + (int) outputScale;
    }
}
