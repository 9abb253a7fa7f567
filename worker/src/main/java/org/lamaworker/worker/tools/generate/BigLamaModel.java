package org.lamaworker.worker.tools.generate;

import static org.lamaworker.worker.inference.reference.OnnxGraphBuilder.Attribute;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.lamaworker.worker.config.ModelContract;
import org.lamaworker.worker.inference.reference.ContractInputs;
import org.lamaworker.worker.inference.reference.OnnxGraphBuilder;

/**
 * A RANDOM-WEIGHT model with the exact architecture of big-lama (LaMa's {@code FFCResNetGenerator}
 * with the big-lama configuration), in any of the three I/O contracts of {@link ModelContract}. It
 * produces no sensible inpainting; it exists to measure the cost of the real network (time, memory,
 * size) and to exercise the worker with a graph of the real shape and operators, without pretrained
 * weights.
 *
 * <p>The network, with BatchNorm folded into conv biases as in the ONNX exports:
 *
 * <ul>
 *   <li>input: the masked picture {@code image * (1 - mask)} concatenated with the mask (4
 *       channels);
 *   <li>ReflectionPad(3), 7x7 conv 4 to {@code c} = 64 channels, ReLU;
 *   <li>three 3x3 stride-2 convs (reflect padding) to 2c, 4c and 8c = 512 channels, ReLU; the last
 *       one splits its output into 25% local (128) and 75% global (384) channels;
 *   <li>18 FFC residual blocks, each two FFC layers (conv + BN + ReLU on both branches) and a
 *       residual add. An FFC layer computes {@code local = l2l(local) + g2l(global)} and {@code
 *       global = l2g(local) + spectral(global)}, the three convs 3x3 with reflect padding. The
 *       spectral transform (global to global) is a 1x1 conv halving the channels + ReLU, a Fourier
 *       unit, and a 1x1 conv (no bias) back, applied to {@code x + fourier(x)}; the local Fourier
 *       unit is off, as in big-lama ({@code enable_lfu=False});
 *   <li>the Fourier unit: {@code rfft2} (norm "ortho", onesided) over the last two axes, real and
 *       imaginary parts as channels (interleaved per channel, like LaMa's stack/permute/view), a
 *       1x1 conv + ReLU, and the matching {@code irfft2} back to the unit's spatial size;
 *   <li>local and global concatenated, three 3x3 stride-2 ConvTranspose (output padding 1) to 4c,
 *       2c and c channels with ReLU, ReflectionPad(3), 7x7 conv to 3 channels and Sigmoid;
 *   <li>composited like {@code lama_fp32.onnx}: {@code image * (1 - mask) + prediction * mask},
 *       times 255 for contracts A and B (0..255), as is for contract C (0..1).
 * </ul>
 *
 * <p>At {@link #FULL} the model has 50,934,851 weights and biases (big-lama's 50.9 M). With a fixed
 * size (contracts A and C with {@code pixels > 0}) the Fourier transforms are matrix
 * multiplications with cos/sin matrices stored as float initializers, like {@code lama_fp32.onnx}:
 * no DFT operator. With a dynamic size (contract B, or C with {@code pixels == 0}) they are ONNX
 * {@code DFT} operators (opset 17), which the ONNX Runtime CPU provider implements. Dynamic inputs
 * must have sides that are multiples of 8 and at least 16 (reflect padding at the bottleneck needs
 * 2 pixels).
 *
 * <p>Weights are uniform random with He scaling from a fixed seed, so the same {@link Size} gives
 * the same weights in every contract: the contracts' outputs agree on the same picture.
 */
public final class BigLamaModel {
    /**
     * The network's size.
     *
     * @param pixels the fixed side of the square input, a multiple of 8 from 16 up; 0 for dynamic
     *     height and width (contract C only; contract B ignores it)
     * @param baseChannels channels after the first conv ({@code ngf}, 64 in big-lama); the
     *     bottleneck has 8 times as many
     * @param blocks the number of FFC residual blocks (18 in big-lama)
     */
    public record Size(int pixels, int baseChannels, int blocks) {
        /** Validates the numbers. */
        public Size {
            if (pixels < 0 || pixels % 8 != 0 || (pixels > 0 && pixels < 16)) {
                throw new IllegalArgumentException(
                        "big-lama size must be a multiple of 8 from 16 up (or 0 for dynamic): "
                                + pixels);
            }
            if (baseChannels < 1 || blocks < 0) {
                throw new IllegalArgumentException(
                        "big-lama needs at least 1 base channel and 0 or more blocks: "
                                + baseChannels
                                + ", "
                                + blocks);
            }
        }
    }

    /** big-lama itself: 512x512 input, 64 base channels, 18 residual blocks. */
    public static final Size FULL = new Size(512, 64, 18);

    /** A small variant for tests: 64x64 input, 8 base channels, 2 residual blocks. */
    public static final Size SMALL = new Size(64, 8, 2);

    private static final long SEED = 0x1a3a_b16_1a3aL;
    private static final int OPSET = 17;
    private static final float BIAS_RANGE = 0.02f;

    private BigLamaModel() {}

    /**
     * Builds the serialized ONNX model.
     *
     * @param contract A: inputs {@code image} [batch,3,S,S] and {@code mask} [batch,1,S,S], output
     *     {@code output} [batch,3,S,S] in 0..255; B: the same with dynamic height and width ({@code
     *     size.pixels()} ignored); C: input {@code input} [1,4,S,S] (masked RGB, then the mask),
     *     output {@code output} [1,3,S,S] in 0..1, dynamic height and width when {@code
     *     size.pixels()} is 0
     * @throws IllegalArgumentException for contract A with {@code pixels} 0
     */
    public static byte[] build(ModelContract contract, Size size) {
        boolean dynamic =
                switch (contract) {
                    case A -> {
                        if (size.pixels() == 0) {
                            throw new IllegalArgumentException(
                                    "contract a has a fixed size: pixels must be positive");
                        }
                        yield false;
                    }
                    case B -> true;
                    case C -> size.pixels() == 0;
                };
        Object height = dynamic ? "height" : (Object) size.pixels();
        Object width = dynamic ? "width" : (Object) size.pixels();
        OnnxGraphBuilder g = new OnnxGraphBuilder("big-lama-random", OPSET);
        String one = g.scalar(1f);
        ContractInputs inputs = ContractInputs.declare(g, contract, height, width);
        String picture = inputs.picture();
        String mask = inputs.mask();
        String masked = g.node("Mul", List.of(picture, g.node("Sub", List.of(one, mask))));
        String x = g.node("Concat", List.of(masked, mask), Attribute.of("axis", 1L));
        Network net = new Network(g, size, dynamic);
        String prediction = net.generator(x);
        String composite = g.node("Add", List.of(masked, g.node("Mul", List.of(prediction, mask))));
        if (contract == ModelContract.C) {
            g.output(composite, "output", 1, 3, height, width);
        } else {
            String scaled = g.node("Mul", List.of(composite, g.scalar(255f)));
            g.output(scaled, "output", "batch", 3, height, width);
        }
        return g.toBytes();
    }

    /**
     * A tiny graph for testing the Fourier unit's transforms alone: input {@code x} [batch,C,H,W],
     * outputs {@code spectrum} [batch,2C,H,W/2+1] ({@code rfft2}, norm "ortho", real and imaginary
     * parts interleaved per channel) and {@code output} [batch,C,H,W] ({@code irfft2} of the
     * spectrum). Matrix multiplications when {@code dynamic} is false (H and W fixed), DFT
     * operators with dynamic H and W otherwise.
     */
    static byte[] fourierRoundTrip(int channels, int height, int width, boolean dynamic) {
        OnnxGraphBuilder g = new OnnxGraphBuilder("fourier-round-trip", OPSET);
        Object h = dynamic ? "height" : (Object) height;
        Object w = dynamic ? "width" : (Object) width;
        String x = g.input("x", "batch", channels, h, w);
        Spectrum spectrum = dynamic ? new DftSpectrum(g, x) : new MatMulSpectrum(g, height, width);
        String z = spectrum.rfft2(x, channels);
        g.output(z, "spectrum", "batch", 2 * channels, h, dynamic ? "half_width" : width / 2 + 1);
        g.output(spectrum.irfft2(z, channels), "output", "batch", channels, h, w);
        return g.toBytes();
    }

    /** rfft2 and irfft2 over the last two axes of [B,C,H,W] tensors, norm "ortho". */
    private interface Spectrum {
        /** [B,C,H,W] to [B,2C,H,W/2+1], channel 2c the real and 2c+1 the imaginary part of c. */
        String rfft2(String x, int channels);

        /** The inverse of {@link #rfft2}: [B,2C,H,W/2+1] to [B,C,H,W]. */
        String irfft2(String z, int channels);
    }

    /**
     * Fixed-size transforms as matrix multiplications. rfft2: {@code x @ [cos | -sin]} along W
     * gives [re | im] of the onesided row transforms; these are moved to the H axis and one
     * multiplication by {@code [[cos, sin], [-sin, cos]]} does the complex transform along H.
     * irfft2 reverses the steps; its W matrix weights the bins 1..W/2-1 twice (their conjugate
     * mirror images are not stored) and drops the imaginary parts of bin 0 and W/2, like a C2R
     * transform.
     */
    private static final class MatMulSpectrum implements Spectrum {
        private final OnnxGraphBuilder g;
        private final int h;
        private final int w;
        private final int half;
        private final String forwardW;
        private final String forwardH;
        private final String inverseH;
        private final String inverseW;
        private final Map<List<Long>, String> shapes = new HashMap<>();

        MatMulSpectrum(OnnxGraphBuilder g, int h, int w) {
            this.g = g;
            this.h = h;
            this.w = w;
            this.half = w / 2 + 1;
            double sw = Math.sqrt(w);
            double sh = Math.sqrt(h);
            float[] fw = new float[w * 2 * half];
            float[] iw = new float[2 * half * w];
            for (int x = 0; x < w; x++) {
                for (int l = 0; l < half; l++) {
                    double angle = 2 * Math.PI * ((long) l * x % w) / w;
                    double c = Math.cos(angle) / sw;
                    double s = Math.sin(angle) / sw;
                    fw[x * 2 * half + l] = (float) c;
                    fw[x * 2 * half + half + l] = (float) -s;
                    double weight = (l == 0 || 2 * l == w) ? 1 : 2;
                    iw[l * w + x] = (float) (weight * c);
                    iw[(half + l) * w + x] = (float) (-weight * s);
                }
            }
            float[] fh = new float[4 * h * h];
            float[] ih = new float[4 * h * h];
            for (int k = 0; k < h; k++) {
                for (int y = 0; y < h; y++) {
                    double angle = 2 * Math.PI * ((long) k * y % h) / h;
                    float c = (float) (Math.cos(angle) / sh);
                    float s = (float) (Math.sin(angle) / sh);
                    // forward [[C, S], [-S, C]], inverse [[C, -S], [S, C]]; row k, column y
                    set(fh, h, k, y, c, s, -s, c);
                    set(ih, h, k, y, c, -s, s, c);
                }
            }
            forwardW = g.floats(fw, w, 2L * half);
            forwardH = g.floats(fh, 2L * h, 2L * h);
            inverseH = g.floats(ih, 2L * h, 2L * h);
            inverseW = g.floats(iw, 2L * half, w);
        }

        private static void set(
                float[] m, int n, int row, int col, float a, float b, float c, float d) {
            m[row * 2 * n + col] = a;
            m[row * 2 * n + n + col] = b;
            m[(n + row) * 2 * n + col] = c;
            m[(n + row) * 2 * n + n + col] = d;
        }

        private String reshape(String x, long... dims) {
            List<Long> key = java.util.Arrays.stream(dims).boxed().toList();
            String shape = shapes.computeIfAbsent(key, k -> g.longs(dims, dims.length));
            return g.node("Reshape", List.of(x, shape));
        }

        @Override
        public String rfft2(String x, int channels) {
            String rows = g.node("MatMul", List.of(x, forwardW)); // [B,C,H,2*half]
            String split = reshape(rows, -1, channels, h, 2, half);
            String moved =
                    g.node("Transpose", List.of(split), Attribute.of("perm", 0L, 1L, 3L, 2L, 4L));
            String stacked = reshape(moved, -1, channels, 2L * h, half); // [re; im] along H
            String full = g.node("MatMul", List.of(forwardH, stacked));
            return reshape(full, -1, 2L * channels, h, half);
        }

        @Override
        public String irfft2(String z, int channels) {
            String stacked = reshape(z, -1, channels, 2L * h, half);
            String rows = g.node("MatMul", List.of(inverseH, stacked));
            String split = reshape(rows, -1, channels, 2, h, half);
            String moved =
                    g.node("Transpose", List.of(split), Attribute.of("perm", 0L, 1L, 3L, 2L, 4L));
            String joined = reshape(moved, -1, channels, h, 2L * half); // [re | im] along W
            return g.node("MatMul", List.of(joined, inverseW));
        }
    }

    /**
     * Dynamic-size transforms with the ONNX {@code DFT} operator: a onesided real transform along
     * W, a complex one along H, and back: a complex inverse along H, then an inverse along W of the
     * weighted onesided bins zero-padded to W (the real part of which is the C2R transform). The
     * scale factors and weights are computed once from the shape of a reference tensor of the
     * transforms' spatial size.
     */
    private static final class DftSpectrum implements Spectrum {
        private final OnnxGraphBuilder g;
        private final String width;
        private final String forwardScale;
        private final String inverseScale;
        private final String binWeights;
        private final String lastAxis;
        private final String zero;

        DftSpectrum(OnnxGraphBuilder g, String reference) {
            this.g = g;
            String shape = g.node("Shape", List.of(reference));
            String height = g.node("Gather", List.of(shape, g.longs(new long[] {2})));
            width = g.node("Gather", List.of(shape, g.longs(new long[] {3})));
            String area = g.node("Cast", List.of(g.node("Mul", List.of(height, width))), toFloat());
            String root = g.node("Sqrt", List.of(area));
            forwardScale = g.node("Reciprocal", List.of(root));
            // ORT's inverse DFT divides by the length; "ortho" wants 1/sqrt(H*W) overall.
            inverseScale = root;
            String zeroL = g.longs(new long[] {0});
            String oneL = g.longs(new long[] {1});
            String twoL = g.longs(new long[] {2});
            String half = g.node("Add", List.of(g.node("Div", List.of(width, twoL)), oneL));
            String bins = g.node("Range", List.of(zeroL, half, oneL));
            String dc = g.node("Cast", List.of(g.node("Equal", List.of(bins, zeroL))), toFloat());
            String nyquist =
                    g.node(
                            "Cast",
                            List.of(
                                    g.node(
                                            "Equal",
                                            List.of(g.node("Mul", List.of(bins, twoL)), width))),
                            toFloat());
            String weights =
                    g.node(
                            "Sub",
                            List.of(g.node("Sub", List.of(g.scalar(2f), dc)), nyquist)); // [half]
            binWeights = g.node("Unsqueeze", List.of(weights, g.longs(new long[] {1}, 1)));
            lastAxis = g.longs(new long[] {-1}, 1);
            zero = zeroL;
        }

        private static Attribute toFloat() {
            return Attribute.of("to", 1L);
        }

        @Override
        public String rfft2(String x, int channels) {
            String complexIn = g.node("Unsqueeze", List.of(x, lastAxis)); // [B,C,H,W,1]
            String rows =
                    g.node(
                            "DFT",
                            List.of(complexIn),
                            Attribute.of("axis", 3L),
                            Attribute.of("onesided", 1L)); // [B,C,H,half,2]
            String full = g.node("DFT", List.of(rows), Attribute.of("axis", 2L));
            String scaled = g.node("Mul", List.of(full, forwardScale));
            String channelsLast =
                    g.node(
                            "Transpose",
                            List.of(scaled),
                            Attribute.of("perm", 0L, 2L, 3L, 1L, 4L)); // [B,H,half,C,2]
            String merged =
                    g.node("Reshape", List.of(channelsLast, g.longs(new long[] {0, 0, 0, -1}, 4)));
            return g.node("Transpose", List.of(merged), Attribute.of("perm", 0L, 3L, 1L, 2L));
        }

        @Override
        public String irfft2(String z, int channels) {
            String channelsLast =
                    g.node("Transpose", List.of(z), Attribute.of("perm", 0L, 2L, 3L, 1L));
            String split =
                    g.node(
                            "Reshape",
                            List.of(channelsLast, g.longs(new long[] {0, 0, 0, channels, 2}, 5)));
            String complexIn =
                    g.node(
                            "Transpose",
                            List.of(split),
                            Attribute.of("perm", 0L, 3L, 1L, 2L, 4L)); // [B,C,H,half,2]
            String columns =
                    g.node(
                            "DFT",
                            List.of(complexIn),
                            Attribute.of("axis", 2L),
                            Attribute.of("inverse", 1L));
            String weighted = g.node("Mul", List.of(columns, binWeights));
            String rows =
                    g.node(
                            "DFT",
                            List.of(weighted, width),
                            Attribute.of("axis", 3L),
                            Attribute.of("inverse", 1L)); // [B,C,H,W,2]
            String real = g.node("Gather", List.of(rows, zero), Attribute.of("axis", 4L));
            return g.node("Mul", List.of(real, inverseScale));
        }
    }

    /** The generator's layers, weights drawn in a fixed order from one seeded generator. */
    private static final class Network {
        private final OnnxGraphBuilder g;
        private final Size size;
        private final boolean dynamic;
        private final SplittableRandom random = new SplittableRandom(SEED);
        private final Map<Integer, String> reflectPads = new HashMap<>();
        private Spectrum spectrum;

        Network(OnnxGraphBuilder g, Size size, boolean dynamic) {
            this.g = g;
            this.size = size;
            this.dynamic = dynamic;
        }

        /** [B,4,H,W] in, [B,3,H,W] sigmoid prediction out. */
        String generator(String input) {
            int c = size.baseChannels();
            String x = relu(conv(pad(input, 3), 4, c, 7, 1, 4 * 49, true, 1));
            x = relu(conv(pad(x, 1), c, 2 * c, 3, 2, c * 9, true, 1));
            x = relu(conv(pad(x, 1), 2 * c, 4 * c, 3, 2, 2 * c * 9, true, 1));
            int bottleneck = 8 * c;
            int global = bottleneck * 3 / 4;
            int local = bottleneck - global;
            String padded = pad(x, 1);
            String xl = relu(conv(padded, 4 * c, local, 3, 2, 4 * c * 9, true, 1));
            String xg = relu(conv(padded, 4 * c, global, 3, 2, 4 * c * 9, true, 1));
            spectrum =
                    dynamic
                            ? new DftSpectrum(g, xl)
                            : new MatMulSpectrum(g, size.pixels() / 8, size.pixels() / 8);
            // The residual branches start small so that 18 additions keep activations moderate.
            double branchGain = 1 / Math.sqrt(2.0 * Math.max(1, size.blocks()));
            for (int b = 0; b < size.blocks(); b++) {
                String[] y = ffc(xl, xg, local, global, 1);
                y = ffc(y[0], y[1], local, global, branchGain);
                xl = g.node("Add", List.of(xl, y[0]));
                xg = g.node("Add", List.of(xg, y[1]));
            }
            x = g.node("Concat", List.of(xl, xg), Attribute.of("axis", 1L));
            x = relu(convTranspose(x, 8 * c, 4 * c));
            x = relu(convTranspose(x, 4 * c, 2 * c));
            x = relu(convTranspose(x, 2 * c, c));
            String out = conv(pad(x, 3), c, 3, 7, 1, c * 49, true, 0.05);
            return g.node("Sigmoid", List.of(out));
        }

        /** One FFC_BN_ACT layer with 3x3 convs: returns {local, global}. */
        private String[] ffc(String xl, String xg, int local, int global, double gain) {
            int fanIn = (local + global) * 9;
            String pl = pad(xl, 1);
            String pg = pad(xg, 1);
            String l2l = conv(pl, local, local, 3, 1, fanIn, true, gain);
            String g2l = conv(pg, global, local, 3, 1, fanIn, false, gain);
            String l2g = conv(pl, local, global, 3, 1, fanIn, true, gain);
            String g2g = spectralTransform(xg, global, gain);
            return new String[] {
                relu(g.node("Add", List.of(l2l, g2l))), relu(g.node("Add", List.of(l2g, g2g)))
            };
        }

        /** SpectralTransform without LFU: conv1 (1x1, halve, BN, ReLU), Fourier unit, conv2. */
        private String spectralTransform(String x, int channels, double gain) {
            int half = channels / 2;
            String y = relu(conv(x, channels, half, 1, 1, channels, true, 1));
            String fourier = fourierUnit(y, half);
            String sum = g.node("Add", List.of(y, fourier));
            return conv(sum, half, channels, 1, 1, half, false, gain);
        }

        /** FourierUnit: rfft2, 1x1 conv over real and imaginary channels, BN, ReLU, irfft2. */
        private String fourierUnit(String x, int channels) {
            String z = spectrum.rfft2(x, channels);
            z = relu(conv(z, 2 * channels, 2 * channels, 1, 1, 2 * channels, true, 1));
            return spectrum.irfft2(z, channels);
        }

        private String relu(String x) {
            return g.node("Relu", List.of(x));
        }

        private String pad(String x, int p) {
            String pads =
                    reflectPads.computeIfAbsent(
                            p, k -> g.longs(new long[] {0, 0, p, p, 0, 0, p, p}, 8));
            return g.node("Pad", List.of(x, pads), Attribute.of("mode", "reflect"));
        }

        private String conv(
                String x,
                int in,
                int out,
                int kernel,
                int stride,
                int fanIn,
                boolean bias,
                double gain) {
            String weight = weights(new long[] {out, in, kernel, kernel}, fanIn, gain);
            List<String> inputs = bias ? List.of(x, weight, biases(out)) : List.of(x, weight);
            return g.node(
                    "Conv",
                    inputs,
                    Attribute.of("kernel_shape", (long) kernel, kernel),
                    Attribute.of("strides", (long) stride, stride));
        }

        /** 3x3 stride-2 transposed conv, padding 1, output padding 1: doubles H and W. */
        private String convTranspose(String x, int in, int out) {
            String weight = weights(new long[] {in, out, 3, 3}, in * 9 / 4, 1);
            return g.node(
                    "ConvTranspose",
                    List.of(x, weight, biases(out)),
                    Attribute.of("kernel_shape", 3L, 3L),
                    Attribute.of("strides", 2L, 2L),
                    Attribute.of("pads", 1L, 1L, 1L, 1L),
                    Attribute.of("output_padding", 1L, 1L));
        }

        /** Uniform He initialization: variance {@code gain^2 * 2 / fanIn}. */
        private String weights(long[] dims, int fanIn, double gain) {
            int n = 1;
            for (long d : dims) {
                n = Math.multiplyExact(n, (int) d);
            }
            double range = gain * Math.sqrt(3 * 2.0 / Math.max(1, fanIn));
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = (float) ((random.nextDouble() * 2 - 1) * range);
            }
            return g.floats(values, dims);
        }

        private String biases(int n) {
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = (float) ((random.nextDouble() * 2 - 1) * BIAS_RANGE);
            }
            return g.floats(values, n);
        }
    }
}
