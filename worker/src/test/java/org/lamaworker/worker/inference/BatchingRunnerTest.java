package org.lamaworker.worker.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.config.ModelContract;
import org.lamaworker.worker.inference.reference.ReferenceFillModel;

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

    @Test
    void sessionsShareTheQueueAndEachRunsOnItsOwnThread() throws Exception {
        InpaintModel.Options options = InpaintModel.Options.detect(null, 1);
        try (InpaintModel first =
                        InpaintModel.fromBytes(ReferenceFillModel.build(), "one", options);
                InpaintModel second =
                        InpaintModel.fromBytes(ReferenceFillModel.build(), "two", options);
                BatchingRunner runner = new BatchingRunner(List.of(first, second), 1, 0)) {
            float[] alone = first.run(input(128, 0.4f));
            long firstBefore = first.sessionRuns();
            long secondBefore = second.sessionRuns();
            List<CompletableFuture<List<float[]>>> pending = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                pending.add(runner.submit(List.of(input(128, 0.4f))));
            }
            for (CompletableFuture<List<float[]>> p : pending) {
                assertThat(p.get(60, TimeUnit.SECONDS).get(0)).containsExactly(alone);
            }
            long firstRuns = first.sessionRuns() - firstBefore;
            long secondRuns = second.sessionRuns() - secondBefore;
            // Every request ran once; while one session was busy the other took the next one.
            assertThat(firstRuns + secondRuns).isEqualTo(6);
            assertThat(firstRuns).isPositive();
            assertThat(secondRuns).isPositive();
        }
    }

    @Test
    void runnersSharingOneSessionEachRunItFromTheirOwnThread() throws Exception {
        try (InpaintModel model =
                        InpaintModel.fromBytes(
                                ReferenceFillModel.build(),
                                "shared",
                                InpaintModel.Options.detect(null, 1));
                BatchingRunner runner =
                        new BatchingRunner(BatchingRunner.spread(List.of(model), 2), 1, 0)) {
            float[] alone = model.run(input(128, 0.4f));
            long before = model.sessionRuns();
            // The first runner to finish a run waits here until another thread has finished one
            // too: with a single thread this would time out; with two, the second must have run
            // the shared session while the first held on.
            java.util.concurrent.CountDownLatch twoThreads =
                    new java.util.concurrent.CountDownLatch(2);
            java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
            runner.onBatch(
                    n -> {
                        threads.add(Thread.currentThread().getName());
                        twoThreads.countDown();
                        try {
                            twoThreads.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
            List<CompletableFuture<List<float[]>>> pending = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                pending.add(runner.submit(List.of(input(128, 0.4f))));
            }
            for (CompletableFuture<List<float[]>> p : pending) {
                assertThat(p.get(60, TimeUnit.SECONDS).get(0)).containsExactly(alone);
            }
            assertThat(twoThreads.getCount()).isZero();
            assertThat(threads).hasSize(2);
            assertThat(model.sessionRuns() - before).isEqualTo(8);
        }
    }
}
