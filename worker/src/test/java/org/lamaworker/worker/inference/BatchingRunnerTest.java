package org.lamaworker.worker.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.inference.generate.ReferenceFillModel;

/** Crops of one size from different jobs share a run; other sizes and unbatched models do not. */
class BatchingRunnerTest {
    private static InferenceInput input(int side, float grey) {
        float[] image = new float[3 * side * side];
        java.util.Arrays.fill(image, grey);
        float[] mask = new float[side * side];
        mask[side * side / 2] = 1f;
        return new InferenceInput(image, mask, side, side, side, side);
    }

    @Test
    void requestsArrivingWithinTheDelayRunTogether() throws Exception {
        try (InpaintModel model =
                        InpaintModel.fromBytes(
                                ReferenceFillModel.build(),
                                "dynamic",
                                InpaintModel.Options.detect(null, 1));
                BatchingRunner runner = new BatchingRunner(model, 4, 500)) {
            float[] alone = model.run(input(64, 0.3f));
            long before = model.sessionRuns();
            CompletableFuture<List<float[]>> a = runner.submit(List.of(input(64, 0.3f)));
            CompletableFuture<List<float[]>> b =
                    runner.submit(List.of(input(64, 0.7f), input(64, 0.5f)));
            CompletableFuture<List<float[]>> other = runner.submit(List.of(input(32, 0.3f)));
            assertThat(a.get(30, TimeUnit.SECONDS).get(0)).containsExactly(alone);
            assertThat(b.get(30, TimeUnit.SECONDS)).hasSize(2);
            assertThat(other.get(30, TimeUnit.SECONDS).get(0)).hasSize(3 * 32 * 32);
            // 64x64: one run for three inputs of two jobs; 32x32: a run of its own.
            assertThat(model.sessionRuns() - before).isEqualTo(2);
        }
    }

    @Test
    void modelsWithoutABatchAxisRunOneInputAtATime() throws Exception {
        try (InpaintModel model =
                        InpaintModel.fromBytes(
                                ReferenceFillModel.build(ModelContract.C, 64),
                                "single",
                                InpaintModel.Options.detect(null, 1));
                BatchingRunner runner = new BatchingRunner(model, 4, 200)) {
            assertThat(model.info().batchAxis()).isFalse();
            long before = model.sessionRuns();
            CompletableFuture<List<float[]>> a = runner.submit(List.of(input(64, 0.3f)));
            CompletableFuture<List<float[]>> b = runner.submit(List.of(input(64, 0.6f)));
            a.get(30, TimeUnit.SECONDS);
            b.get(30, TimeUnit.SECONDS);
            assertThat(model.sessionRuns() - before).isEqualTo(2);
        }
    }
}
