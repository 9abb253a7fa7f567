package org.lamaworker.worker.admission;

import java.util.LinkedHashMap;
import java.util.Map;
import org.lamaworker.worker.config.WorkerConfig;

/**
 * The one record of how often this process has handed each job record to a job: the attempt number
 * reported on its result (1, then 2, 3 on each redelivery to this process, whether after a
 * rebalance or after its result was not acknowledged), and the backoff before a record whose job
 * ended without an acknowledged result is handed again ({@code retry.initialBackoff} doubling to
 * {@code retry.maxBackoff}). Records are named by their position, topic-partition@offset, which a
 * redelivery keeps. The count lives in memory: a restarted or another worker starts again at 1.
 * Bounded: the oldest entries are forgotten beyond {@code capacity}. Confined to the worker's
 * context thread.
 */
public final class Redelivery {
    private final WorkerConfig.Delivery delivery;
    private final Map<String, int[]> counts;

    /** Remembers at most {@code capacity} unfinished records. */
    public Redelivery(int capacity, WorkerConfig.Delivery delivery) {
        this.delivery = delivery;
        this.counts =
                new LinkedHashMap<>(16, 0.75f, false) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, int[]> eldest) {
                        return size() > capacity;
                    }
                };
    }

    /** Records a hand-out of the record at {@code position}; returns its attempt, from 1. */
    public int started(String position) {
        return ++counts.computeIfAbsent(position, p -> new int[2])[0];
    }

    /**
     * Records that the job of the record at {@code position} ended without an acknowledged result.
     *
     * @return how long to wait before handing it out again
     */
    public long failed(String position) {
        int failures = ++counts.computeIfAbsent(position, p -> new int[2])[1];
        return delivery.backoffMillis(failures);
    }

    /** Forgets a record whose result was acknowledged, or that is no longer this worker's. */
    public void finished(String position) {
        counts.remove(position);
    }
}
