package org.lamaworker.worker.inference.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.config.ModelContract;

/** The reference model in the fixed-size and single-input contracts. */
class ReferenceFillModelContractsTest {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    private static OrtSession session(byte[] model) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            return ENV.createSession(model, options);
        }
    }

    private static long[] shape(Map<String, ai.onnxruntime.NodeInfo> infos, String name) {
        assertThat(infos).containsKey(name);
        return ((TensorInfo) infos.get(name).getInfo()).getShape();
    }

    private static float[] output(OrtSession.Result result, long... shape) throws OrtException {
        OnnxTensor out = (OnnxTensor) result.get("output").orElseThrow();
        assertThat(out.getInfo().getShape()).containsExactly(shape);
        FloatBuffer buffer = out.getFloatBuffer();
        float[] values = new float[buffer.remaining()];
        buffer.get(values);
        return values;
    }

    private static float[] picture(int h, int w) {
        float[] image = new float[3 * h * w];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    image[(c * h + y) * w + x] =
                            (float) (0.2 + 0.6 * (x + (c + 1) * y) / (w + 3.0 * h));
                }
            }
        }
        return image;
    }

    private static float[] hole(int h, int w) {
        float[] mask = new float[h * w];
        for (int y = h / 4; y < h / 2; y++) {
            for (int x = w / 3; x < w * 2 / 3; x++) {
                mask[y * w + x] = 1f;
            }
        }
        return mask;
    }

    private static float[] runA(OrtSession session, float[] image, float[] mask, int h, int w)
            throws OrtException {
        try (OnnxTensor i =
                        OnnxTensor.createTensor(
                                ENV, FloatBuffer.wrap(image), new long[] {1, 3, h, w});
                OnnxTensor m =
                        OnnxTensor.createTensor(
                                ENV, FloatBuffer.wrap(mask), new long[] {1, 1, h, w});
                OrtSession.Result result = session.run(Map.of("image", i, "mask", m))) {
            return output(result, 1, 3, h, w);
        }
    }

    private static float[] runC(OrtSession session, float[] image, float[] mask, int h, int w)
            throws OrtException {
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
            return output(result, 1, 3, h, w);
        }
    }

    @Test
    void contractCTakesMaskedPictureAndMaskAndAgreesWithTheTwoInputModel() throws OrtException {
        int h = 48;
        int w = 72;
        float[] image = picture(h, w);
        float[] mask = hole(h, w);
        float[] a;
        try (OrtSession session = session(ReferenceFillModel.build(ModelContract.B, 0))) {
            a = runA(session, image, mask, h, w);
        }
        try (OrtSession session = session(ReferenceFillModel.build(ModelContract.C, 0))) {
            assertThat(session.getInputNames()).containsExactly("input");
            assertThat(session.getOutputNames()).containsExactly("output");
            assertThat(shape(session.getInputInfo(), "input")).containsExactly(1, 4, -1, -1);
            assertThat(shape(session.getOutputInfo(), "output")).containsExactly(1, 3, -1, -1);
            float[] c = runC(session, image, mask, h, w);
            for (int i = 0; i < c.length; i++) {
                assertThat(c[i]).isBetween(0f, 1f);
                if (mask[i % (h * w)] == 0) {
                    assertThat(c[i]).isCloseTo(image[i], within(1e-6f));
                }
                assertThat(c[i] * 255f).isCloseTo(a[i], within(1e-3f));
            }
        }
    }

    @Test
    void fixedSizesForContractsAAndC() throws OrtException {
        try (OrtSession session = session(ReferenceFillModel.build(ModelContract.C, 64))) {
            assertThat(shape(session.getInputInfo(), "input")).containsExactly(1, 4, 64, 64);
            assertThat(shape(session.getOutputInfo(), "output")).containsExactly(1, 3, 64, 64);
            float[] out = runC(session, picture(64, 64), hole(64, 64), 64, 64);
            for (float v : out) {
                assertThat(v).isBetween(0f, 1f);
            }
        }
        try (OrtSession session = session(ReferenceFillModel.build(ModelContract.A, 32))) {
            assertThat(shape(session.getInputInfo(), "image")).containsExactly(-1, 3, 32, 32);
            assertThat(shape(session.getInputInfo(), "mask")).containsExactly(-1, 1, 32, 32);
            assertThat(shape(session.getOutputInfo(), "output")).containsExactly(-1, 3, 32, 32);
        }
        try (OrtSession session = session(ReferenceFillModel.build(ModelContract.B, 32))) {
            assertThat(shape(session.getInputInfo(), "image")).containsExactly(-1, 3, -1, -1);
        }
        assertThatThrownBy(() -> ReferenceFillModel.build(ModelContract.A, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ReferenceFillModel.build(ModelContract.C, -8))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
