package org.lamaworker.worker.job;

import io.vertx.core.Future;
import java.util.UUID;
import org.lamaworker.worker.kafka.StartLedger;
import org.lamaworker.worker.kafka.StartRecord;

/**
 * Counts a job's starts across the fleet, so that a job that kills whichever worker runs it (a
 * native crash, a kernel OOM kill) stops after {@code delivery.maxCrashes} deaths instead of taking
 * the fleet down one process at a time. Before a job runs, its start is written to the {@link
 * StartLedger}; once its result is published the record is deleted (unless another process has
 * started the job since); a worker that lets a job go alive (stopping, or its partition moved)
 * marks the start let go. A start still marked running by another process when the job comes back
 * therefore ended with that process dying. Without a ledger ({@code topics.attempts=none}) nothing
 * is recorded, nothing is quarantined, and attempts count within this process only.
 */
public final class JobStarts {
    private final StartLedger ledger;
    private final String workerId;
    private final int maxCrashes;
    private final long settleMillis;

    /**
     * The wait before a start still marked running by another process is counted as a death: the
     * time a moved job's "let go" mark takes to be written and read back, with room to spare.
     */
    static final long SETTLE_MILLIS = 2_000;

    /** This process's id in the records: a restarted worker with the same worker.id is another. */
    private final String instance = UUID.randomUUID().toString();

    /**
     * What to do with a job now.
     *
     * @param attempt the attempt to report on its result: starts since its last result, this one
     *     included
     * @param crashes how many earlier starts ended with their worker dying
     * @param quarantined whether the job must not run: it failed as many workers as allowed
     * @param last the record of the previous start, or {@code null}
     */
    public record Start(int attempt, int crashes, boolean quarantined, StartRecord last) {}

    /**
     * Starts counted on {@code ledger}, or within this process only when it is {@code null}.
     *
     * @param maxCrashes deaths after which a job is quarantined
     */
    public JobStarts(StartLedger ledger, String workerId, int maxCrashes) {
        this(ledger, workerId, maxCrashes, SETTLE_MILLIS);
    }

    /**
     * As above, waiting {@code settleMillis} before deciding on a start another process still marks
     * running.
     */
    public JobStarts(StartLedger ledger, String workerId, int maxCrashes, long settleMillis) {
        this.ledger = ledger;
        this.workerId = workerId;
        this.maxCrashes = maxCrashes;
        this.settleMillis = settleMillis;
    }

    /**
     * Whether the job's last start is another process's, still marked running: a death, or a move
     * whose "let go" mark has not arrived yet. Decide again after {@link #settleMillis()}.
     */
    public boolean runningElsewhere(Start start) {
        StartRecord last = start.last();
        return last != null && last.running() && !last.instance().equals(instance);
    }

    /** How long to wait before deciding again on a start {@link #runningElsewhere}. */
    public long settleMillis() {
        return settleMillis;
    }

    /** The most deaths a job may cause before it is quarantined. */
    public int maxCrashes() {
        return maxCrashes;
    }

    /**
     * Decides what to do with a job handed to this process, from the starts seen so far.
     *
     * @param localAttempt how often this process has handed out the job's record, from 1: the
     *     attempt without a ledger
     */
    public Start decide(String jobId, int localAttempt) {
        if (ledger == null) {
            return new Start(localAttempt, 0, false, null);
        }
        StartRecord last = ledger.latest(jobId);
        int crashes = last == null ? 0 : last.crashesSeenBy(instance);
        int attempt = last == null ? 1 : last.attempts() + 1;
        return new Start(attempt, crashes, crashes >= maxCrashes, last);
    }

    /**
     * Records the start {@link #decide} allowed, durably, before the job runs.
     *
     * @return fails when the start could not be recorded; the job must then not run
     */
    public Future<Void> record(String jobId, Start start) {
        if (ledger == null) {
            return Future.succeededFuture();
        }
        if (start.quarantined()) {
            throw new IllegalArgumentException("job " + jobId + " is quarantined");
        }
        return ledger.write(
                jobId,
                new StartRecord(
                        start.attempt(),
                        start.crashes(),
                        true,
                        workerId,
                        instance,
                        System.currentTimeMillis()));
    }

    /**
     * The job has its result from this process: its record goes, so the ledger holds only jobs
     * under way; unless another process has started the job since (its partition moved while it ran
     * here), whose start is that process's to end.
     */
    public Future<Void> finished(String jobId) {
        if (ledger == null) {
            return Future.succeededFuture();
        }
        StartRecord last = ledger.latest(jobId);
        if (last != null && last.running() && !last.instance().equals(instance)) {
            return Future.succeededFuture();
        }
        return ledger.write(jobId, null);
    }

    /** The job was quarantined: its record goes, whoever wrote it (a process that died). */
    public Future<Void> cleared(String jobId) {
        return ledger == null ? Future.succeededFuture() : ledger.write(jobId, null);
    }

    /**
     * This process lets the job go without a result but alive (it stops, the partition moved, or
     * the result was not acknowledged): its start must not count as a death. Leaves a record
     * written since by another process alone.
     */
    public Future<Void> released(String jobId) {
        if (ledger == null) {
            return Future.succeededFuture();
        }
        StartRecord last = ledger.latest(jobId);
        if (last == null || !last.running() || !last.instance().equals(instance)) {
            return Future.succeededFuture();
        }
        return ledger.write(jobId, last.released());
    }
}
