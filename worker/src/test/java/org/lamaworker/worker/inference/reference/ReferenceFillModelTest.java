package org.lamaworker.worker.inference.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ReferenceFillModelTest {
    private static OrtEnvironment env;
    private static OrtSession session;

    @BeforeAll
    static void load() throws OrtException {
        env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            session = env.createSession(ReferenceFillModel.build(), options);
        }
    }

    @AfterAll
    static void close() throws OrtException {
        session.close();
    }

    private static float[] run(float[] image, float[] mask, int batch, int h, int w)
            throws OrtException {
        try (OnnxTensor i =
                        OnnxTensor.createTensor(
                                env, FloatBuffer.wrap(image), new long[] {batch, 3, h, w});
                OnnxTensor m =
                        OnnxTensor.createTensor(
                                env, FloatBuffer.wrap(mask), new long[] {batch, 1, h, w});
                OrtSession.Result result = session.run(Map.of("image", i, "mask", m))) {
            OnnxTensor out = (OnnxTensor) result.get("output").orElseThrow();
            assertThat(out.getInfo().getShape()).containsExactly(batch, 3, h, w);
            FloatBuffer buffer = out.getFloatBuffer();
            float[] values = new float[buffer.remaining()];
            buffer.get(values);
            return values;
        }
    }

    /** A smooth picture: a diagonal gradient plus a gentle wave, different per channel. */
    private static float[] smooth(int h, int w) {
        float[] image = new float[3 * h * w];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double v =
                            0.15
                                    + 0.5 * (x + (c + 1) * 0.5 * y) / (w + 1.5 * h)
                                    + 0.1 * Math.sin(x * 0.03 + c) * Math.cos(y * 0.02);
                    image[(c * h + y) * w + x] = (float) v;
                }
            }
        }
        return image;
    }

    private static float[] centredSquare(int h, int w, double areaFraction) {
        float[] mask = new float[h * w];
        int side = (int) Math.round(Math.sqrt(areaFraction * h * w));
        int y0 = (h - side) / 2;
        int x0 = (w - side) / 2;
        for (int y = y0; y < y0 + side; y++) {
            for (int x = x0; x < x0 + side; x++) {
                mask[y * w + x] = 1f;
            }
        }
        return mask;
    }

    @Test
    void hasTheTwoInputLamaContractWithDynamicSizes() throws OrtException {
        TensorInfo image = (TensorInfo) session.getInputInfo().get("image").getInfo();
        TensorInfo mask = (TensorInfo) session.getInputInfo().get("mask").getInfo();
        TensorInfo output = (TensorInfo) session.getOutputInfo().get("output").getInfo();
        assertThat(image.getShape()).containsExactly(-1, 3, -1, -1);
        assertThat(mask.getShape()).containsExactly(-1, 1, -1, -1);
        assertThat(output.getShape()).containsExactly(-1, 3, -1, -1);
    }

    @Test
    void quarterHoleIsFilledContinuouslyAndNotFlat() throws OrtException {
        int h = 256;
        int w = 256;
        float[] image = smooth(h, w);
        float[] mask = centredSquare(h, w, 0.25);
        float[] out = run(image, mask, 1, h, w);
        double fillError = 0;
        double flatError = 0;
        double borderSum = 0;
        int borderCount = 0;
        double fillMean = 0;
        double truthMean = 0;
        int holes = 0;
        // Mean of the known pixels on the hole's border: the best flat patch a naive fill gives.
        for (int c = 0; c < 3; c++) {
            for (int y = 1; y < h - 1; y++) {
                for (int x = 1; x < w - 1; x++) {
                    int i = y * w + x;
                    if (mask[i] == 0
                            && (mask[i - 1] + mask[i + 1] + mask[i - w] + mask[i + w]) > 0) {
                        borderSum += image[c * h * w + i];
                        borderCount++;
                    }
                }
            }
        }
        double flat = borderSum / borderCount;
        double maxJump = 0;
        for (int c = 0; c < 3; c++) {
            for (int y = 1; y < h - 1; y++) {
                for (int x = 1; x < w - 1; x++) {
                    int i = y * w + x;
                    int p = c * h * w + i;
                    float truth = image[p];
                    if (mask[i] == 1) {
                        float fill = out[p] / 255f;
                        fillError += Math.abs(fill - truth);
                        flatError += Math.abs(flat - truth);
                        fillMean += fill;
                        truthMean += truth;
                        holes++;
                        if (mask[i - 1] == 0) {
                            maxJump = Math.max(maxJump, Math.abs(fill - image[p - 1]));
                        }
                    } else {
                        assertThat(out[p]).isCloseTo(truth * 255f, within(1e-3f));
                    }
                }
            }
        }
        fillError /= holes;
        flatError /= holes;
        fillMean /= holes;
        truthMean /= holes;
        double fillVariance = 0;
        double truthVariance = 0;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < h * w; i++) {
                if (mask[i] == 1) {
                    fillVariance += Math.pow(out[c * h * w + i] / 255f - fillMean, 2);
                    truthVariance += Math.pow(image[c * h * w + i] - truthMean, 2);
                }
            }
        }
        assertThat(fillError)
                .as("fill error vs flat-fill error %s", flatError)
                .isLessThan(0.75 * flatError);
        assertThat(maxJump).as("largest step across the hole's left border").isLessThan(0.06);
        assertThat(Math.sqrt(fillVariance / truthVariance))
                .as("fill spread relative to the truth's")
                .isGreaterThan(0.5);
    }

    @Test
    void oddSizesBatchesAndEdgeMasks() throws OrtException {
        int h = 300;
        int w = 451;
        float[] image = new float[2 * 3 * h * w];
        float[] one = smooth(h, w);
        System.arraycopy(one, 0, image, 0, one.length);
        System.arraycopy(one, 0, image, one.length, one.length);
        float[] mask = new float[2 * h * w];
        java.util.Arrays.fill(mask, 0, h * w, 1f); // first picture: all hole
        // second picture: empty mask
        float[] out = run(image, mask, 2, h, w);
        for (float v : out) {
            assertThat(v).isBetween(0f, 255f);
        }
        for (int p = 0; p < one.length; p++) {
            assertThat(out[one.length + p]).isCloseTo(one[p] * 255f, within(1e-3f));
        }
        // Tiny sizes run too.
        float[] tiny = run(smooth(5, 7), centredSquare(5, 7, 0.3), 1, 5, 7);
        assertThat(tiny).hasSize(3 * 5 * 7).doesNotContain(Float.NaN);
        assertThat(run(new float[] {0.2f, 0.4f, 0.6f}, new float[] {1f}, 1, 1, 1))
                .doesNotContain(Float.NaN);
    }
}
