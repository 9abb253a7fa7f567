package org.lamaworker.worker.inference;

/**
 * Tensors ready for one model run (batch 1) and the geometry to map the output back.
 *
 * @param image planar RGB in 0..1, {@code [3][tensorHeight][tensorWidth]}
 * @param mask {@code [tensorHeight][tensorWidth]}, 1 = hole
 * @param width width of the picture's area inside the tensor
 * @param height height of the picture's area inside the tensor
 * @param tensorWidth tensor width (width plus padding)
 * @param tensorHeight tensor height (height plus padding)
 */
public record InferenceInput(
        float[] image, float[] mask, int width, int height, int tensorWidth, int tensorHeight) {
    /** Validates the array sizes. */
    public InferenceInput {
        int plane = tensorWidth * tensorHeight;
        if (image.length != 3 * plane
                || mask.length != plane
                || width > tensorWidth
                || height > tensorHeight) {
            throw new IllegalArgumentException("inconsistent inference input");
        }
    }
}
