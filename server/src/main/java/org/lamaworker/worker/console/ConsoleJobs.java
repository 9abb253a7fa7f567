package org.lamaworker.worker.console;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;

/**
 * The jobs this console submitted and what the topics said of them since: produced (queued), its
 * start recorded on the attempts topic (running), its result on the results topic (succeeded or
 * failed). Only the console's own jobs are kept, at most {@code console.maxJobs}, the least
 * recently asked about forgotten first, so a long-running console holds bounded memory.
 * Thread-safe: the HTTP server asks on its event loop, the topic follower tells on its own thread.
 */
final class ConsoleJobs {
    /** Where a job is, as the page shows it. */
    enum State {
        QUEUED,
        RUNNING,
        SUCCEEDED,
        FAILED
    }

    /** One job: what was sent and what came back. */
    private static final class Entry {
        final InpaintJob job;
        final JsonObject input;
        final long submittedAt;
        State state = State.QUEUED;
        long startedAt;
        long finishedAt;
        InpaintResult result;
        String workerId;

        Entry(InpaintJob job, JsonObject input, long submittedAt) {
            this.job = job;
            this.input = input;
            this.submittedAt = submittedAt;
        }
    }

    private final Map<String, Entry> jobs;

    /** Remembers at most {@code capacity} jobs. */
    ConsoleJobs(int capacity) {
        this.jobs =
                new LinkedHashMap<>(16, 0.75f, true) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                        return size() > capacity;
                    }
                };
    }

    /**
     * Records a job about to be produced, so that a result arriving as fast as the broker's
     * acknowledgement still finds it.
     *
     * @param input what the page uploaded (name, format, size), shown back with the job
     */
    synchronized void submitted(InpaintJob job, JsonObject input, long nowMillis) {
        jobs.put(job.jobId(), new Entry(job, input.copy(), nowMillis));
    }

    /** Forgets a job whose record the broker did not take. */
    synchronized void withdrawn(String jobId) {
        jobs.remove(jobId);
    }

    /**
     * A start record of the job appeared on the attempts topic. Its result may have been read first
     * (another topic, another partition): the start is noted all the same, the state kept.
     */
    synchronized void started(String jobId, long nowMillis) {
        Entry entry = jobs.get(jobId);
        if (entry == null) {
            return;
        }
        if (entry.startedAt == 0) {
            entry.startedAt = nowMillis;
        }
        if (entry.state == State.QUEUED) {
            entry.state = State.RUNNING;
        }
    }

    /** The job's result appeared on the results topic; a later one (a redelivery) replaces it. */
    synchronized void finished(InpaintResult result, long nowMillis) {
        Entry entry = jobs.get(result.jobId());
        if (entry != null) {
            entry.result = result;
            entry.state = result.status() == JobStatus.SUCCEEDED ? State.SUCCEEDED : State.FAILED;
            entry.finishedAt = nowMillis;
        }
    }

    /** A worker's latency event named the job: who ran it. */
    synchronized void ranOn(String jobId, String workerId) {
        Entry entry = jobs.get(jobId);
        if (entry != null) {
            entry.workerId = workerId;
        }
    }

    /** Whether the console submitted this job and still remembers it. */
    synchronized boolean knows(String jobId) {
        return jobs.containsKey(jobId);
    }

    /**
     * Where a succeeded job's output is: the output the console asked for, never a location read
     * from the topic.
     *
     * @return the output, or {@code null} when the job is unknown or has not succeeded
     */
    synchronized ObjectRef output(String jobId) {
        Entry entry = jobs.get(jobId);
        return entry == null || entry.state != State.SUCCEEDED ? null : entry.job.output();
    }

    /** Jobs remembered now. */
    synchronized int size() {
        return jobs.size();
    }

    /** The job as the API shows it, or {@code null} when unknown. */
    synchronized JsonObject view(String jobId) {
        Entry entry = jobs.get(jobId);
        if (entry == null) {
            return null;
        }
        JsonObject view =
                new JsonObject()
                        .put("jobId", jobId)
                        .put("state", entry.state.name().toLowerCase(java.util.Locale.ROOT))
                        .put("submittedAt", entry.submittedAt)
                        .put("input", entry.input.copy())
                        .put(
                                "options",
                                new JsonObject(
                                        Buffer.buffer(JsonCodec.encode(entry.job.options()))))
                        .put("output", entry.job.output().toString());
        if (entry.startedAt > 0) {
            view.put("startedAt", entry.startedAt);
        }
        if (entry.workerId != null) {
            view.put("workerId", entry.workerId);
        }
        if (entry.result != null) {
            view.put("finishedAt", entry.finishedAt);
            view.put("result", new JsonObject(Buffer.buffer(JsonCodec.encode(entry.result))));
        }
        return view;
    }
}
