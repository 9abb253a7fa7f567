package org.lamaworker.worker.kafka;

import java.util.TreeSet;

/**
 * Offsets of one partition whose jobs have started but not yet had their result acknowledged. Jobs
 * finish out of order; the committable position is the lowest unfinished offset, or one past the
 * highest seen when none is unfinished, so a commit never skips a job without a result. Confined to
 * the consumer's context thread.
 */
final class OffsetTracker {
    private final TreeSet<Long> unfinished = new TreeSet<>();
    private long highestSeen = -1;
    private long lastCommittable = -1;

    /** A record was handed to a job. */
    void started(long offset) {
        unfinished.add(offset);
        highestSeen = Math.max(highestSeen, offset);
    }

    /**
     * A job's result was acknowledged.
     *
     * @return the new position to commit (the next offset to read), or -1 when it did not advance
     */
    long finished(long offset) {
        unfinished.remove(offset);
        long committable = unfinished.isEmpty() ? highestSeen + 1 : unfinished.first();
        if (committable > lastCommittable) {
            lastCommittable = committable;
            return committable;
        }
        return -1;
    }

    /** Jobs of this partition still without an acknowledged result. */
    int unfinishedCount() {
        return unfinished.size();
    }
}
