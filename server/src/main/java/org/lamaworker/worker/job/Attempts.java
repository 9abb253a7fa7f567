package org.lamaworker.worker.job;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts how many times this worker process has started each job whose result it has not yet
 * published, so a job redelivered to the same process (after a rebalance, or after its result could
 * not be published) reports {@code attempt} 2, 3 and so on. The count lives in memory: a job
 * redelivered to a restarted or another worker starts again at 1. Bounded: the oldest entries are
 * forgotten beyond {@code capacity}. Used from one thread (the worker's context).
 */
public final class Attempts {
    private final Map<String, Integer> started;

    /** Remembers at most {@code capacity} unfinished jobs. */
    public Attempts(int capacity) {
        this.started =
                new LinkedHashMap<>(16, 0.75f, false) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                        return size() > capacity;
                    }
                };
    }

    /** Records a start of the job and returns its attempt number, from 1. */
    public int next(String jobId) {
        return started.merge(jobId, 1, Integer::sum);
    }

    /** Forgets a job whose result was published. */
    public void finished(String jobId) {
        started.remove(jobId);
    }
}
