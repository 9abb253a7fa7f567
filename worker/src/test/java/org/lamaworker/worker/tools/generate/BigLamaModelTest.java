package org.lamaworker.worker.tools.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.config.ModelContract;

class BigLamaModelTest {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    private static final int S = BigLamaModel.SMALL.pixels();

    private static OrtSession session(byte[] model) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            return ENV.createSession(model, options);
        }
    }

    private static long[] shape(Map<String, ai.onnxruntime.NodeInfo> infos, String name) {
        assertThat(infos).containsKey(name);
        return ((TensorInfo) infos.get(name).getInfo()).getShape();
    }

    private static float[] values(OrtSession.Result result, String name, long... shape)
            throws OrtException {
        OnnxTensor out = (OnnxTensor) result.get(name).orElseThrow();
        assertThat(out.getInfo().getShape()).containsExactly(shape);
        FloatBuffer buffer = out.getFloatBuffer();
        float[] values = new float[buffer.remaining()];
        buffer.get(values);
        return values;
    }

    /** A deterministic random picture in 0..1, [batch,3,h,w]. */
    private static float[] picture(int batch, int h, int w, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] image = new float[batch * 3 * h * w];
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) random.nextDouble();
        }
        return image;
    }

    /** A rectangular hole per picture, shifted per batch element, [batch,1,h,w]. */
    private static float[] holes(int batch, int h, int w) {
        float[] mask = new float[batch * h * w];
        for (int b = 0; b < batch; b++) {
            for (int y = h / 4 + b; y < h / 2 + b; y++) {
                for (int x = w / 3; x < w * 3 / 4; x++) {
                    mask[(b * h + y) * w + x] = 1f;
                }
            }
        }
        return mask;
    }

    private static float[] runTwoInputs(
            OrtSession session, float[] image, float[] mask, int batch, int h, int w)
            throws OrtException {
        try (OnnxTensor i =
                        OnnxTensor.createTensor(
                                ENV, FloatBuffer.wrap(image), new long[] {batch, 3, h, w});
                OnnxTensor m =
                        OnnxTensor.createTensor(
                                ENV, FloatBuffer.wrap(mask), new long[] {batch, 1, h, w});
                OrtSession.Result result = session.run(Map.of("image", i, "mask", m))) {
            return values(result, "output", batch, 3, h, w);
        }
    }

    /** Runs a contract-C model on the first picture of {@code image}/{@code mask}. */
    private static float[] runSingleInput(
            OrtSession session, float[] image, float[] mask, int h, int w) throws OrtException {
        int plane = h * w;
        float[] input = new float[4 * plane];
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < plane; p++) {
                input[c * plane + p] = image[c * plane + p] * (1 - mask[p]);
            }
        }
        System.arraycopy(mask, 0, input, 3 * plane, plane);
        try (OnnxTensor t =
                        OnnxTensor.createTensor(
                                ENV, FloatBuffer.wrap(input), new long[] {1, 4, h, w});
                OrtSession.Result result = session.run(Map.of("input", t))) {
            return values(result, "output", 1, 3, h, w);
        }
    }

    private static void assertComposited(
            float[] out, float[] image, float[] mask, int batch, int h, int w, float scale) {
        int plane = h * w;
        int holes = 0;
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < plane; p++) {
                    int i = (b * 3 + c) * plane + p;
                    assertThat(out[i]).isFinite().isBetween(0f, scale);
                    if (mask[b * plane + p] == 0) {
                        assertThat(out[i]).isCloseTo(image[i] * scale, within(1e-3f));
                    } else {
                        holes++;
                        min = Math.min(min, out[i]);
                        max = Math.max(max, out[i]);
                    }
                }
            }
        }
        assertThat(holes).isPositive();
        assertThat(max - min).as("the fill varies").isGreaterThan(1e-3 * scale);
    }

    private static void assertClose(float[] actual, float[] expected, float tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).as("element %d", i).isCloseTo(expected[i], within(tolerance));
        }
    }

    @Test
    void contractAHasFixedSizeDynamicBatchAndCompositesIn0To255() throws OrtException {
        try (OrtSession session =
                session(BigLamaModel.build(ModelContract.A, BigLamaModel.SMALL))) {
            assertThat(session.getInputNames()).containsExactlyInAnyOrder("image", "mask");
            assertThat(session.getOutputNames()).containsExactly("output");
            assertThat(shape(session.getInputInfo(), "image")).containsExactly(-1, 3, S, S);
            assertThat(shape(session.getInputInfo(), "mask")).containsExactly(-1, 1, S, S);
            assertThat(shape(session.getOutputInfo(), "output")).containsExactly(-1, 3, S, S);
            float[] image = picture(2, S, S, 1);
            float[] mask = holes(2, S, S);
            float[] out = runTwoInputs(session, image, mask, 2, S, S);
            assertComposited(out, image, mask, 2, S, S, 255f);
            // Batch elements are independent: the first alone gives the same result.
            float[] single =
                    runTwoInputs(
                            session,
                            java.util.Arrays.copyOf(image, 3 * S * S),
                            java.util.Arrays.copyOf(mask, S * S),
                            1,
                            S,
                            S);
            assertClose(single, java.util.Arrays.copyOf(out, 3 * S * S), 1e-3f);
        }
    }

    @Test
    void contractCHasOneInputAndAgreesWithContractA() throws OrtException {
        float[] image = picture(1, S, S, 2);
        float[] mask = holes(1, S, S);
        float[] a;
        try (OrtSession session =
                session(BigLamaModel.build(ModelContract.A, BigLamaModel.SMALL))) {
            a = runTwoInputs(session, image, mask, 1, S, S);
        }
        try (OrtSession session =
                session(BigLamaModel.build(ModelContract.C, BigLamaModel.SMALL))) {
            assertThat(session.getInputNames()).containsExactly("input");
            assertThat(session.getOutputNames()).containsExactly("output");
            assertThat(shape(session.getInputInfo(), "input")).containsExactly(1, 4, S, S);
            assertThat(shape(session.getOutputInfo(), "output")).containsExactly(1, 3, S, S);
            float[] c = runSingleInput(session, image, mask, S, S);
            assertComposited(c, image, mask, 1, S, S, 1f);
            for (int i = 0; i < c.length; i++) {
                c[i] *= 255f;
            }
            assertClose(c, a, 1e-3f);
        }
    }

    @Test
    void dynamicContractsUseDftAndAgreeWithTheMatMulTransforms() throws OrtException {
        float[] image = picture(1, S, S, 3);
        float[] mask = holes(1, S, S);
        float[] a;
        try (OrtSession session =
                session(BigLamaModel.build(ModelContract.A, BigLamaModel.SMALL))) {
            a = runTwoInputs(session, image, mask, 1, S, S);
        }
        try (OrtSession session =
                session(BigLamaModel.build(ModelContract.B, BigLamaModel.SMALL))) {
            assertThat(shape(session.getInputInfo(), "image")).containsExactly(-1, 3, -1, -1);
            assertThat(shape(session.getInputInfo(), "mask")).containsExactly(-1, 1, -1, -1);
            assertThat(shape(session.getOutputInfo(), "output")).containsExactly(-1, 3, -1, -1);
            assertClose(runTwoInputs(session, image, mask, 1, S, S), a, 2e-2f);
            // Other sizes, odd bottleneck widths and batches run too.
            for (int[] hw : new int[][] {{48, 80}, {40, 56}, {16, 24}}) {
                int h = hw[0];
                int w = hw[1];
                float[] other = picture(2, h, w, h);
                float[] otherMask = holes(2, h, w);
                assertComposited(
                        runTwoInputs(session, other, otherMask, 2, h, w),
                        other,
                        otherMask,
                        2,
                        h,
                        w,
                        255f);
            }
        }
        try (OrtSession session =
                session(BigLamaModel.build(ModelContract.C, new BigLamaModel.Size(0, 8, 2)))) {
            assertThat(shape(session.getInputInfo(), "input")).containsExactly(1, 4, -1, -1);
            assertThat(shape(session.getOutputInfo(), "output")).containsExactly(1, 3, -1, -1);
            float[] c = runSingleInput(session, image, mask, S, S);
            for (int i = 0; i < c.length; i++) {
                c[i] *= 255f;
            }
            assertClose(c, a, 2e-2f);
        }
    }

    /** rfft2 with norm "ortho", onesided, real and imaginary parts interleaved per channel. */
    private static double[] naiveRfft2(float[] x, int batch, int channels, int h, int w) {
        int half = w / 2 + 1;
        double[] out = new double[batch * 2 * channels * h * half];
        double norm = Math.sqrt((double) h * w);
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < channels; c++) {
                int in = (b * channels + c) * h * w;
                for (int k = 0; k < h; k++) {
                    for (int l = 0; l < half; l++) {
                        double re = 0;
                        double im = 0;
                        for (int y = 0; y < h; y++) {
                            for (int v = 0; v < w; v++) {
                                double angle =
                                        -2 * Math.PI * ((double) k * y / h + (double) l * v / w);
                                re += x[in + y * w + v] * Math.cos(angle);
                                im += x[in + y * w + v] * Math.sin(angle);
                            }
                        }
                        int reAt = ((b * 2 * channels + 2 * c) * h + k) * half + l;
                        out[reAt] = re / norm;
                        out[reAt + h * half] = im / norm;
                    }
                }
            }
        }
        return out;
    }

    @Test
    void fourierTransformsMatchRfft2AndRoundTrip() throws OrtException {
        int batch = 2;
        int channels = 3;
        for (boolean dynamic : new boolean[] {false, true}) {
            for (int[] hw : new int[][] {{6, 8}, {5, 7}, {8, 8}}) {
                int h = hw[0];
                int w = hw[1];
                float[] x = picture(batch, h, w, 7);
                x = java.util.Arrays.copyOf(x, batch * channels * h * w);
                double[] expected = naiveRfft2(x, batch, channels, h, w);
                try (OrtSession session =
                                session(BigLamaModel.fourierRoundTrip(channels, h, w, dynamic));
                        OnnxTensor t =
                                OnnxTensor.createTensor(
                                        ENV,
                                        FloatBuffer.wrap(x),
                                        new long[] {batch, channels, h, w});
                        OrtSession.Result result = session.run(Map.of("x", t))) {
                    float[] spectrum =
                            values(result, "spectrum", batch, 2 * channels, h, w / 2 + 1);
                    for (int i = 0; i < spectrum.length; i++) {
                        assertThat((double) spectrum[i])
                                .as("%s %dx%d spectrum %d", dynamic ? "DFT" : "MatMul", h, w, i)
                                .isCloseTo(expected[i], within(1e-4));
                    }
                    float[] back = values(result, "output", batch, channels, h, w);
                    for (int i = 0; i < back.length; i++) {
                        assertThat(back[i])
                                .as("%s %dx%d round trip %d", dynamic ? "DFT" : "MatMul", h, w, i)
                                .isCloseTo(x[i], within(1e-4f));
                    }
                }
            }
        }
    }

    @Test
    void fullSizeHasBigLamasParameterCount() throws InvalidProtocolBufferException {
        byte[] model = BigLamaModel.build(ModelContract.A, BigLamaModel.FULL);
        OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(model);
        long parameters = 0;
        for (OnnxMl.TensorProto t : proto.getGraph().getInitializerList()) {
            if (t.getDataType() == OnnxMl.TensorProto.DataType.FLOAT.getNumber()) {
                long n = 1;
                for (long d : t.getDimsList()) {
                    n *= d;
                }
                parameters += n;
            }
        }
        // Weights and biases: 50,934,851; the shared DFT matrices add 41,216 and scalars a few.
        assertThat(parameters).isCloseTo(50_900_000L, within(1_018_000L));
        assertThat(proto.getGraph().getNodeList())
                .noneMatch(n -> n.getOpType().equals("DFT"))
                .anyMatch(n -> n.getOpType().equals("MatMul"));
        assertThat(proto.getGraph().getInputList())
                .extracting(OnnxMl.ValueInfoProto::getName)
                .containsExactly("image", "mask");
    }

    @Test
    void refusesUnusableSizes() {
        assertThatThrownBy(() -> new BigLamaModel.Size(100, 8, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 8");
        assertThatThrownBy(
                        () -> BigLamaModel.build(ModelContract.A, new BigLamaModel.Size(0, 8, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fixed size");
    }
}
