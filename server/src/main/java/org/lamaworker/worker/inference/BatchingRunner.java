package org.lamaworker.worker.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads that run a model's sessions, one dedicated thread per runner (several runners may
 * share a session: ONNX Runtime runs one session from several threads at once), all fed by one
 * bounded-by-admission queue. Each thread batches inputs of one tensor size from different jobs
 * into one run (up to {@code maxBatch}), waiting at most {@code maxBatchDelayMillis} for more to
 * arrive. Models without a batch axis run one input at a time. Requests of another size go back to
 * the head of the queue, so they keep their turn and any idle runner can take them. {@link
 * #runOnCallingThread} cuts runs the same way for callers that run one job at a time without the
 * queue; what may share a run is decided in {@link Batches}.
 */
public final class BatchingRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchingRunner.class);

    private record Request(List<InferenceInput> inputs, CompletableFuture<List<float[]>> result) {
        long shape() {
            return Batches.size(inputs.get(0));
        }
    }

    private final int maxBatch;
    private final long maxBatchDelayNanos;
    private final LinkedBlockingDeque<Request> queue = new LinkedBlockingDeque<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;
    private volatile java.util.function.IntConsumer batchListener = n -> {};

    /** Tells {@code listener} the number of inputs of every model run, from the runner threads. */
    public void onBatch(java.util.function.IntConsumer listener) {
        this.batchListener = listener;
    }

    /** Starts one thread for one session. */
    public BatchingRunner(InpaintModel model, int maxBatch, long maxBatchDelayMillis) {
        this(List.of(model), maxBatch, maxBatchDelayMillis);
    }

    /**
     * {@code runners} runners spread round-robin over the sessions: with two sessions and four
     * runners, each session is run by two threads.
     */
    public static List<InpaintModel> spread(List<InpaintModel> sessions, int runners) {
        List<InpaintModel> spread = new ArrayList<>(runners);
        for (int i = 0; i < runners; i++) {
            spread.add(sessions.get(i % sessions.size()));
        }
        return spread;
    }

    /**
     * Starts one thread per entry; the sessions must be of one model, and a session listed more
     * than once is run by as many threads.
     *
     * @param sessions sessions of one model, one entry per runner thread
     */
    public BatchingRunner(List<InpaintModel> sessions, int maxBatch, long maxBatchDelayMillis) {
        if (sessions.isEmpty()) {
            throw new IllegalArgumentException("no session to run");
        }
        this.maxBatch = Batches.limit(sessions.get(0).info(), maxBatch);
        this.maxBatchDelayNanos = TimeUnit.MILLISECONDS.toNanos(maxBatchDelayMillis);
        for (int i = 0; i < sessions.size(); i++) {
            InpaintModel session = sessions.get(i);
            Thread thread =
                    new Thread(() -> loop(session), "lama-inference-" + i + "-" + session.id());
            thread.setDaemon(true);
            threads.add(thread);
        }
        threads.forEach(Thread::start);
    }

    /** Requests waiting for a runner. */
    public int queued() {
        return queue.size();
    }

    /**
     * Runs the inputs, one request per tensor size, so that other jobs' inputs of the same size can
     * share a run.
     *
     * @return their outputs, in order
     */
    public CompletableFuture<List<float[]>> submit(List<InferenceInput> inputs) {
        float[][] outputs = new float[inputs.size()][];
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        for (List<Integer> group : Batches.bySize(inputs)) {
            parts.add(
                    enqueue(group.stream().map(inputs::get).toList())
                            .thenAccept(results -> Batches.place(outputs, group, results)));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenApply(v -> List.of(outputs));
    }

    /** Queues inputs of one tensor size as one request. */
    private CompletableFuture<List<float[]>> enqueue(List<InferenceInput> inputs) {
        CompletableFuture<List<float[]>> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new IllegalStateException("inference runner closed"));
            return result;
        }
        queue.add(new Request(inputs, result));
        return result;
    }

    /**
     * Runs the inputs on the calling thread, cut into runs as a runner thread would cut them but
     * without waiting for other jobs: for callers that run one job at a time (the {@code inpaint}
     * command, tests, benchmarks).
     *
     * @param maxBatch the most inputs of one run, for models with a batch axis
     * @return their outputs, in order
     */
    public static List<float[]> runOnCallingThread(
            InpaintModel model, List<InferenceInput> inputs, int maxBatch) {
        float[][] outputs = new float[inputs.size()][];
        int limit = Batches.limit(model.info(), maxBatch);
        for (List<Integer> group : Batches.bySize(inputs)) {
            for (List<Integer> batch : Batches.cut(group, limit)) {
                Batches.place(outputs, batch, model.run(batch.stream().map(inputs::get).toList()));
            }
        }
        return List.of(outputs);
    }

    private void loop(InpaintModel session) {
        while (!closed) {
            try {
                Request first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                List<Request> batch = gather(first);
                run(session, batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.error("Inference runner error: {}", e.toString());
            }
        }
    }

    /** Same-size requests that arrive within the delay, up to maxBatch inputs in all. */
    private List<Request> gather(Request first) throws InterruptedException {
        List<Request> batch = new ArrayList<>();
        List<Request> deferred = new ArrayList<>();
        batch.add(first);
        int inputs = first.inputs().size();
        long deadline = System.nanoTime() + maxBatchDelayNanos;
        while (inputs < maxBatch) {
            long wait = deadline - System.nanoTime();
            Request next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
            if (next == null) {
                break;
            }
            if (next.shape() == first.shape() && inputs + next.inputs().size() <= maxBatch) {
                batch.add(next);
                inputs += next.inputs().size();
            } else {
                deferred.add(next);
            }
        }
        for (int i = deferred.size() - 1; i >= 0; i--) {
            queue.addFirst(deferred.get(i));
        }
        return batch;
    }

    private void run(InpaintModel session, List<Request> batch) {
        List<InferenceInput> all = new ArrayList<>();
        batch.forEach(r -> all.addAll(r.inputs()));
        List<float[]> outputs = new ArrayList<>(all.size());
        try {
            for (List<InferenceInput> inputs : Batches.cut(all, maxBatch)) {
                outputs.addAll(session.run(inputs));
                batchListener.accept(inputs.size());
            }
        } catch (RuntimeException e) {
            batch.forEach(r -> r.result().completeExceptionally(e));
            return;
        }
        int at = 0;
        for (Request r : batch) {
            r.result().complete(List.copyOf(outputs.subList(at, at + r.inputs().size())));
            at += r.inputs().size();
        }
    }

    @Override
    public void close() {
        closed = true;
        threads.forEach(Thread::interrupt);
        try {
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Request left;
        while ((left = queue.poll()) != null) {
            left.result()
                    .completeExceptionally(new IllegalStateException("inference runner closed"));
        }
    }
}
