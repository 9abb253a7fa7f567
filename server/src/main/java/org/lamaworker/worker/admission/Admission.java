package org.lamaworker.worker.admission;

import java.util.List;
import org.lamaworker.worker.config.MemoryBudgetSetting;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.pipeline.Tile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether the next job may start. A job is admitted while fewer than {@code
 * worker.maxInFlight} jobs run and its worst case fits the memory budget; it then holds a {@link
 * Ticket} for that worst case, which shrinks to the job's priced cost once its picture is decoded
 * and its tiles planned, and is released when the job ends. When a job is refused, {@link
 * #lastRefusal} says why, so the consumer that pauses its partitions can say so too. The one place
 * where jobs are priced and admitted; confined to the worker's context thread.
 */
public final class Admission {
    private static final Logger LOG = LoggerFactory.getLogger(Admission.class);

    /** Why a job was not admitted. */
    public enum Refusal {
        /** {@code worker.maxInFlight} jobs are running. */
        IN_FLIGHT_LIMIT,
        /** The job's worst case does not fit what the jobs in flight left of the budget. */
        MEMORY_BUDGET
    }

    private final MemoryBudget budget;
    private final CostModel costs;
    private final long worstCaseBytes;
    private final int maxInFlight;
    private final int maxBatch;
    private int inFlight;
    private Refusal lastRefusal;
    private final long[] refusals = new long[Refusal.values().length];

    /**
     * Admission over a budget.
     *
     * @param budget the memory jobs in flight may reserve together
     * @param costs prices a decoded job
     * @param worstCaseBytes what a job reserves until it is priced: the largest picture accepted
     *     and the largest model run
     * @param maxInFlight most jobs at once
     * @param maxBatch most tiles of one size in one model run
     */
    public Admission(
            MemoryBudget budget,
            CostModel costs,
            long worstCaseBytes,
            int maxInFlight,
            int maxBatch) {
        if (maxInFlight < 1 || maxBatch < 1 || worstCaseBytes < 0) {
            throw new IllegalArgumentException(
                    "maxInFlight and maxBatch must be >= 1, worstCaseBytes >= 0");
        }
        this.budget = budget;
        this.costs = costs;
        this.worstCaseBytes = worstCaseBytes;
        this.maxInFlight = maxInFlight;
        this.maxBatch = maxBatch;
    }

    /**
     * Admission for a loaded model as the configuration asks: its calibrated cost model if one
     * matches, the budget resolved against the device's memory when it is a percentage (which on a
     * GPU runs nvidia-smi: call this off the event loop), the worst case from the largest picture
     * and the largest run.
     */
    public static Admission forModel(WorkerConfig config, InpaintModel model) {
        CostModel costs =
                Calibration.costModelFor(config.model().path(), model.id(), model.device());
        MemoryBudgetSetting setting = config.inference().memoryBudget();
        long deviceMemory = setting.isPercentage() ? DeviceMemory.bytesFor(model) : 0;
        MemoryBudget budget = new MemoryBudget(setting.resolve(deviceMemory));
        int maxBatch = config.inference().maxBatch();
        long worstCase =
                costs.worstCaseBytes(
                        config.image().maxPixels(),
                        model.info(),
                        config.inference().maxPixels(),
                        maxBatch);
        LOG.info(
                "Memory budget {} MiB{}; a job reserves up to {} MiB until its picture is decoded",
                budget.budget() >> 20,
                setting.isPercentage()
                        ? " (" + setting + " of " + (deviceMemory >> 20) + " MiB)"
                        : " (inference.memoryBudget in bytes)",
                worstCase >> 20);
        return new Admission(
                budget,
                costs,
                worstCase,
                config.maxInFlight(),
                model.info().batchAxis() ? maxBatch : 1);
    }

    /**
     * Admits a job if it fits now.
     *
     * @return its ticket, or {@code null} with {@link #lastRefusal} set
     */
    public Ticket tryAdmit() {
        if (inFlight >= maxInFlight) {
            return refuse(Refusal.IN_FLIGHT_LIMIT);
        }
        MemoryBudget.Reservation reservation = budget.tryReserve(worstCaseBytes);
        if (reservation == null) {
            return refuse(Refusal.MEMORY_BUDGET);
        }
        inFlight++;
        return new Ticket(reservation);
    }

    private Ticket refuse(Refusal why) {
        lastRefusal = why;
        refusals[why.ordinal()]++;
        return null;
    }

    /** How many times a job was refused for this reason. */
    public long refusals(Refusal why) {
        return refusals[why.ordinal()];
    }

    /** Why the last refused job was refused; {@code null} before any refusal. */
    public Refusal lastRefusal() {
        return lastRefusal;
    }

    /** Jobs admitted and not yet released. */
    public int inFlight() {
        return inFlight;
    }

    /** Most jobs at once. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** What a job reserves until it is priced. */
    public long worstCaseBytes() {
        return worstCaseBytes;
    }

    /** The memory budget, for its gauges. */
    public MemoryBudget budget() {
        return budget;
    }

    /** One admitted job's hold on the budget and on a place in flight. */
    public final class Ticket {
        private final MemoryBudget.Reservation reservation;
        private boolean released;

        private Ticket(MemoryBudget.Reservation reservation) {
            this.reservation = reservation;
        }

        /**
         * Shrinks the hold to the job's priced cost: its picture's pixels on the host and its
         * largest model run. A price above the worst case keeps the worst case.
         */
        public void priceJob(long picturePixels, List<Tile> tiles) {
            priceJob(picturePixels, 0, tiles);
        }

        /**
         * As {@link #priceJob(long, List)} for a picture that costs more per pixel than an 8-bit
         * sRGB one ({@link CostModel#jobBytes(long, double, List, int)}).
         */
        public void priceJob(long picturePixels, double extraBytesPerPixel, List<Tile> tiles) {
            reservation.shrinkTo(
                    costs.jobBytes(picturePixels, extraBytesPerPixel, tiles, maxBatch));
        }

        /** Bytes held now. */
        public long bytes() {
            return reservation.bytes();
        }

        /** Gives the place and the bytes back; further calls do nothing. */
        public void release() {
            if (!released) {
                released = true;
                inFlight--;
                reservation.release();
            }
        }
    }
}
