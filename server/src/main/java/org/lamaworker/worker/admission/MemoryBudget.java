package org.lamaworker.worker.admission;

/**
 * The memory the worker lets its jobs use at once, in bytes. A job reserves a worst-case estimate
 * before it is admitted, shrinks its reservation to its real cost once its picture is decoded and
 * its tiles planned, and releases it when its result is published. When a reservation does not fit,
 * the consumer pauses its partitions instead of buffering. Confined to the consumer's context
 * thread.
 */
public final class MemoryBudget {
    private final long budget;
    private long reserved;
    private long peak;

    /** A budget of {@code budget} bytes. */
    public MemoryBudget(long budget) {
        if (budget <= 0) {
            throw new IllegalArgumentException("budget must be positive");
        }
        this.budget = budget;
    }

    /** One job's share of the budget. */
    public final class Reservation {
        private long bytes;

        private Reservation(long bytes) {
            this.bytes = bytes;
        }

        /** Bytes held now. */
        public long bytes() {
            return bytes;
        }

        /**
         * Lowers the reservation to what the job really needs; a larger figure than the reservation
         * is kept as is (the reservation was a worst case).
         */
        public void shrinkTo(long actual) {
            if (actual >= 0 && actual < bytes) {
                reserved -= bytes - actual;
                bytes = actual;
            }
        }

        /** Gives the bytes back; further calls do nothing. */
        public void release() {
            reserved -= bytes;
            bytes = 0;
        }
    }

    /**
     * Reserves {@code bytes} if they fit; a single job larger than the whole budget is admitted
     * when nothing else is reserved, so that it still gets a (FAILED or SUCCEEDED) result.
     *
     * @return the reservation, or {@code null} when it does not fit now
     */
    public Reservation tryReserve(long bytes) {
        if (reserved + bytes > budget && reserved > 0) {
            return null;
        }
        reserved += bytes;
        peak = Math.max(peak, reserved);
        return new Reservation(bytes);
    }

    /** Bytes reserved now. */
    public long reserved() {
        return reserved;
    }

    /** The most ever reserved at once. */
    public long peak() {
        return peak;
    }

    /** The budget. */
    public long budget() {
        return budget;
    }
}
