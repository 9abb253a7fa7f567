package org.lamaworker.worker.inference.reference;

import static org.lamaworker.worker.inference.reference.OnnxGraphBuilder.Attribute;

import java.util.List;
import org.lamaworker.worker.config.ModelContract;

/**
 * The reference fill model: the I/O contract of {@code lama_fp32.onnx} (inputs {@code image}
 * [B,3,H,W] in 0..1 and {@code mask} [B,1,H,W] with 1 = hole; output {@code output} [B,3,H,W] in
 * 0..255, known pixels copied through) with dynamic height and width, and a smooth multi-scale fill
 * instead of a neural network. {@link #build(ModelContract, int)} also gives the fixed-size and the
 * single-input layouts of {@link ModelContract}. It is NOT LaMa: it exists so the pipeline can run
 * and be tested anywhere without pretrained weights.
 *
 * <p>The fill is push-pull interpolation: image-times-known and the known fraction are averaged
 * down a pyramid of 2x2 pools; from the coarsest level up, each level's known average is blended
 * with the upsampled, slightly blurred coarser fill by how much of the cell was known. A hole thus
 * receives a fill that is continuous with its border and varies smoothly inside.
 */
public final class ReferenceFillModel {
    /** Pyramid depth: 2^13 = 8192 covers the largest accepted side. */
    private static final int LEVELS = 13;

    /** How sharply a partly known cell prefers its own average over the coarser fill. */
    private static final float KNOWN_WEIGHT = 2f;

    private ReferenceFillModel() {}

    /** Builds the serialized ONNX model with dynamic height and width (opset 17, CPU operators). */
    public static byte[] build() {
        return build(0);
    }

    /**
     * Builds the model with a fixed square input size, like {@code lama_fp32.onnx}'s 512, or with
     * dynamic height and width when {@code size} is 0: contract A or B.
     */
    public static byte[] build(int size) {
        return build(size > 0 ? ModelContract.A : ModelContract.B, size);
    }

    /**
     * Builds the model in the given I/O contract.
     *
     * @param contract A: inputs {@code image} [batch,3,S,S] and {@code mask} [batch,1,S,S], output
     *     {@code output} [batch,3,S,S] in 0..255; B: the same with dynamic height and width ({@code
     *     size} ignored); C: input {@code input} [1,4,S,S], the picture with the hole zeroed then
     *     the mask, output {@code output} [1,3,S,S] in 0..1, dynamic height and width when {@code
     *     size} is 0. All outputs are composited: known pixels come through.
     * @param size the fixed side S for contracts A and C
     * @throws IllegalArgumentException when {@code size} is negative, or 0 for contract A
     */
    public static byte[] build(ModelContract contract, int size) {
        if (size < 0 || (contract == ModelContract.A && size == 0)) {
            throw new IllegalArgumentException(
                    "reference model size must be positive (or 0 for dynamic contract c): " + size);
        }
        boolean dynamic = contract == ModelContract.B || size == 0;
        Object height = dynamic ? "height" : (Object) size;
        Object width = dynamic ? "width" : (Object) size;
        OnnxGraphBuilder g = new OnnxGraphBuilder("reference-fill", 17);
        ContractInputs inputs = ContractInputs.declare(g, contract, height, width);
        String image = inputs.picture();
        String mask = inputs.mask();
        String one = g.scalar(1f);
        String zero = g.scalar(0f);
        String epsilon = g.scalar(1e-6f);
        String weight = g.scalar(KNOWN_WEIGHT);
        String splitSizes = g.longs(new long[] {3, 1}, 2);
        String edgePads = g.longs(new long[] {0, 0, 1, 1, 0, 0, 1, 1}, 8);
        float[] binomial = new float[3 * 9];
        float[] taps = {1, 2, 1, 2, 4, 2, 1, 2, 1};
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 9; i++) {
                binomial[c * 9 + i] = taps[i] / 16f;
            }
        }
        String blurKernel = g.floats(binomial, 3, 1, 3, 3);

        String known = g.node("Sub", List.of(one, mask));
        String weighted = g.node("Mul", List.of(image, known));
        // Channels 0-2: sum of known colour; channel 3: known fraction. Pooled together.
        String[] levels = new String[LEVELS + 1];
        levels[0] = g.node("Concat", List.of(weighted, known), Attribute.of("axis", 1L));
        for (int l = 1; l <= LEVELS; l++) {
            levels[l] =
                    g.node(
                            "AveragePool",
                            List.of(levels[l - 1]),
                            Attribute.of("kernel_shape", 2L, 2L),
                            Attribute.of("strides", 2L, 2L),
                            Attribute.of("ceil_mode", 1L));
        }
        String fill = null;
        for (int l = LEVELS; l >= 0; l--) {
            List<String> parts =
                    g.node("Split", List.of(levels[l], splitSizes), 2, Attribute.of("axis", 1L));
            String colour = parts.get(0);
            String fraction = parts.get(1);
            String average =
                    g.node("Div", List.of(colour, g.node("Max", List.of(fraction, epsilon))));
            if (fill == null) {
                fill = average;
                continue;
            }
            String up =
                    g.node(
                            "Resize",
                            List.of(fill, "", "", g.node("Shape", List.of(colour))),
                            Attribute.of("mode", "linear"),
                            Attribute.of("coordinate_transformation_mode", "half_pixel"));
            String padded = g.node("Pad", List.of(up, edgePads), Attribute.of("mode", "edge"));
            String smooth = g.node("Conv", List.of(padded, blurKernel), Attribute.of("group", 3L));
            String alpha =
                    g.node("Clip", List.of(g.node("Mul", List.of(fraction, weight)), zero, one));
            // fill = smooth + alpha * (average - smooth)
            fill =
                    g.node(
                            "Add",
                            List.of(
                                    smooth,
                                    g.node(
                                            "Mul",
                                            List.of(
                                                    alpha,
                                                    g.node("Sub", List.of(average, smooth))))));
        }
        // Composite: known pixels exactly as given, the fill in the hole.
        String composite =
                g.node(
                        "Add",
                        List.of(
                                g.node("Mul", List.of(image, known)),
                                g.node("Mul", List.of(fill, mask))));
        if (contract == ModelContract.C) {
            String clipped = g.node("Clip", List.of(composite, zero, one));
            g.output(clipped, "output", 1, 3, height, width);
        } else {
            String scaled = g.node("Mul", List.of(composite, g.scalar(255f)));
            String clipped = g.node("Clip", List.of(scaled, zero, g.scalar(255f)));
            g.output(clipped, "output", "batch", 3, height, width);
        }
        return g.toBytes();
    }
}
