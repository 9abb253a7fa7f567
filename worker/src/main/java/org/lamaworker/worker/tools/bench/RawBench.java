package org.lamaworker.worker.tools.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.BatchingRunner;
import org.lamaworker.worker.inference.InferenceInput;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.pipeline.Inpainting;

/**
 * The limit the worker is measured against: model sessions and runner threads as the worker
 * configures them, with every sample's tensors prepared up front and one untimed job per runner run
 * at once, so that {@link #run} times only {@code session.run}, grouped as the worker groups it.
 */
final class RawBench implements AutoCloseable {
    /** One timed raw phase: {@code jobs} jobs, their tiles and session runs, in {@code seconds}. */
    record Result(String modelId, int jobs, int tiles, long runs, double seconds) {}

    private final List<InpaintModel> sessions;
    private final WorkerConfig config;
    private final List<List<InferenceInput>> perSample;

    private RawBench(
            List<InpaintModel> sessions,
            WorkerConfig config,
            List<List<InferenceInput>> perSample) {
        this.sessions = sessions;
        this.config = config;
        this.perSample = perSample;
    }

    /** Opens a raw bench, times {@code jobs} jobs on it, and closes it. */
    static Result measure(Workload workload, int jobs) throws InterruptedException {
        try (RawBench bench = open(workload)) {
            return bench.run(jobs);
        }
    }

    /** Loads the sessions, prepares every sample's tensors and runs the untimed warm-up. */
    static RawBench open(Workload workload) throws InterruptedException {
        WorkerConfig config = workload.config();
        List<InpaintModel> sessions = new ArrayList<>();
        try {
            for (int i = 0; i < config.inference().sessions(); i++) {
                sessions.add(InpaintModel.load(InpaintModel.Options.of(config)));
            }
            Inpainting first = new Inpainting(sessions.get(0), config);
            List<List<InferenceInput>> perSample = new ArrayList<>();
            for (Sample s : workload.samples()) {
                perSample.add(first.tensors(first.decode(s.image(), s.mask(), workload.options())));
            }
            RawBench bench = new RawBench(sessions, config, perSample);
            // Warm-up, not timed: one job per runner, all at once, as the timed runs go.
            bench.run(config.inference().runners());
            return bench;
        } catch (RuntimeException | InterruptedException e) {
            sessions.forEach(InpaintModel::close);
            throw e;
        }
    }

    /** Runs {@code count} jobs' tensors, one thread per runner each taking the next job. */
    Result run(int count) throws InterruptedException {
        long runsBefore = sessions.stream().mapToLong(InpaintModel::sessionRuns).sum();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger tiles = new AtomicInteger();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (InpaintModel session : BatchingRunner.spread(sessions, config.inference().runners())) {
            Inpainting work = new Inpainting(session, config);
            threads.add(
                    new Thread(
                            () -> {
                                try {
                                    for (int i = next.getAndIncrement();
                                            i < count;
                                            i = next.getAndIncrement()) {
                                        List<InferenceInput> inputs =
                                                perSample.get(i % perSample.size());
                                        tiles.addAndGet(inputs.size());
                                        work.run(inputs);
                                    }
                                } catch (RuntimeException e) {
                                    failure.set(e);
                                }
                            },
                            "bench-raw-" + threads.size()));
        }
        long start = System.nanoTime();
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (failure.get() != null) {
            throw failure.get();
        }
        long runs = sessions.stream().mapToLong(InpaintModel::sessionRuns).sum() - runsBefore;
        return new Result(sessions.get(0).id(), count, tiles.get(), runs, seconds);
    }

    @Override
    public void close() {
        sessions.forEach(InpaintModel::close);
    }
}
