package org.lamaworker.worker.inference;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.lamaworker.worker.config.ModelContract;

/**
 * Where a contract wants a batch of inputs in the tensors it is fed, and how its one output comes
 * back as a planar RGB array per input. Only arrays and shapes: turning them into ONNX Runtime
 * tensors is {@link ModelSession}'s job, so a new contract or a change of layout touches this class
 * alone.
 */
final class TensorLayout {
    /**
     * One tensor to feed the graph.
     *
     * @param name the graph input it goes to
     * @param values its values, row-major
     * @param shape its dimensions
     */
    record Feed(String name, float[] values, long[] shape) {}

    private final ModelContract contract;
    private final String packedInput;

    /**
     * The layout of one model.
     *
     * @param contract the model's layout
     * @param packedInput the name of contract c's only input (a and b name theirs image and mask)
     */
    TensorLayout(ModelContract contract, String packedInput) {
        this.contract = contract;
        this.packedInput = packedInput;
    }

    /** The tensors for one run of inputs of one tensor size, the batch along the first axis. */
    List<Feed> pack(List<InferenceInput> inputs) {
        InferenceInput first = inputs.get(0);
        int h = first.tensorHeight();
        int w = first.tensorWidth();
        int plane = h * w;
        int batch = inputs.size();
        if (contract == ModelContract.C) {
            // One tensor: the picture with its hole blacked out, then the mask as a fourth plane.
            float[] packed = new float[batch * 4 * plane];
            for (int b = 0; b < batch; b++) {
                InferenceInput in = inputs.get(b);
                int base = b * 4 * plane;
                for (int c = 0; c < 3; c++) {
                    for (int i = 0; i < plane; i++) {
                        packed[base + c * plane + i] =
                                in.image()[c * plane + i] * (1f - in.mask()[i]);
                    }
                }
                System.arraycopy(in.mask(), 0, packed, base + 3 * plane, plane);
            }
            return List.of(new Feed(packedInput, packed, new long[] {batch, 4, h, w}));
        }
        float[] images = new float[batch * 3 * plane];
        float[] masks = new float[batch * plane];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(inputs.get(b).image(), 0, images, b * 3 * plane, 3 * plane);
            System.arraycopy(inputs.get(b).mask(), 0, masks, b * plane, plane);
        }
        return List.of(
                new Feed("image", images, new long[] {batch, 3, h, w}),
                new Feed("mask", masks, new long[] {batch, 1, h, w}));
    }

    /** How many values the output of a run of these inputs holds: three planes each. */
    static int outputLength(List<InferenceInput> inputs) {
        InferenceInput first = inputs.get(0);
        return inputs.size() * 3 * first.tensorWidth() * first.tensorHeight();
    }

    /** The output of a run cut into one planar RGB array per input, in order. */
    static List<float[]> unpack(FloatBuffer output, List<InferenceInput> inputs) {
        int length = outputLength(inputs) / inputs.size();
        List<float[]> outputs = new ArrayList<>(inputs.size());
        for (int b = 0; b < inputs.size(); b++) {
            float[] values = new float[length];
            output.get(values);
            outputs.add(values);
        }
        return outputs;
    }

    /**
     * Brings outputs in a model's range (0..1 or 0..255) to 0..255 in place, which is what the
     * compositing expects whatever the export.
     */
    static void toFullRange(List<float[]> outputs, float outputScale) {
        if (outputScale == 255f) {
            return;
        }
        float factor = 255f / outputScale;
        for (float[] output : outputs) {
            for (int i = 0; i < output.length; i++) {
                output[i] *= factor;
            }
        }
    }
}
