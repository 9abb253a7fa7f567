package org.lamaworker.worker.inference;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that runs a model session, batching inputs of one tensor size from different jobs
 * into one run (up to {@code maxBatch}), waiting at most {@code maxBatchDelayMillis} for more to
 * arrive. Models without a batch axis run one input at a time. Requests of another size wait their
 * turn in arrival order.
 */
public final class BatchingRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchingRunner.class);

    private record Request(List<InferenceInput> inputs, CompletableFuture<List<float[]>> result) {
        long shape() {
            InferenceInput first = inputs.get(0);
            return ((long) first.tensorWidth() << 32) | first.tensorHeight();
        }
    }

    private final InpaintModel model;
    private final int maxBatch;
    private final long maxBatchDelayNanos;
    private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private final Deque<Request> deferred = new ArrayDeque<>();
    private final Thread thread;
    private volatile boolean closed;

    /** Starts the runner's thread. */
    public BatchingRunner(InpaintModel model, int maxBatch, long maxBatchDelayMillis) {
        this.model = model;
        this.maxBatch = model.info().batchAxis() ? maxBatch : 1;
        this.maxBatchDelayNanos = TimeUnit.MILLISECONDS.toNanos(maxBatchDelayMillis);
        this.thread = new Thread(this::loop, "lama-inference-" + model.id());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Runs inputs of one tensor size, possibly together with other jobs' inputs of that size.
     *
     * @return their outputs, in order
     */
    public CompletableFuture<List<float[]>> submit(List<InferenceInput> inputs) {
        CompletableFuture<List<float[]>> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new IllegalStateException("inference runner closed"));
            return result;
        }
        queue.add(new Request(List.copyOf(inputs), result));
        return result;
    }

    private void loop() {
        while (!closed) {
            try {
                Request first =
                        deferred.isEmpty()
                                ? queue.poll(100, TimeUnit.MILLISECONDS)
                                : deferred.poll();
                if (first == null) {
                    continue;
                }
                List<Request> batch = gather(first);
                run(batch);
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
        return batch;
    }

    private void run(List<Request> batch) {
        List<InferenceInput> all = new ArrayList<>();
        batch.forEach(r -> all.addAll(r.inputs()));
        List<float[]> outputs = new ArrayList<>(all.size());
        try {
            for (int start = 0; start < all.size(); start += maxBatch) {
                outputs.addAll(
                        model.run(all.subList(start, Math.min(all.size(), start + maxBatch))));
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
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Request left;
        while ((left = queue.poll()) != null || (left = deferred.poll()) != null) {
            left.result()
                    .completeExceptionally(new IllegalStateException("inference runner closed"));
        }
    }
}
