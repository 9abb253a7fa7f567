package org.lamaworker.worker.kafka;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * What the attempts topic holds for one job (its key): how often the fleet has started it since its
 * last result, how many of those starts ended with their worker dying, and who started it last and
 * whether that start is still under way. A job with a result has no record (a tombstone), which is
 * what keeps the topic bounded.
 *
 * @param attempts starts of the job since its last result, this one included, from 1
 * @param crashes starts before this one that ended with their worker dying
 * @param running whether the last start is under way; {@code false} once its worker let go of the
 *     job alive (stopping, or the partition moved) without a result
 * @param workerId the {@code worker.id} of the worker that wrote it, for people reading the topic
 * @param instance the writing process's random id: a worker knows its own starts from a dead
 *     process's
 * @param startedAtMillis when the last start was written
 */
public record StartRecord(
        int attempts,
        int crashes,
        boolean running,
        String workerId,
        String instance,
        long startedAtMillis) {
    /** Validates. */
    public StartRecord {
        if (attempts < 1 || crashes < 0 || crashes >= attempts) {
            throw new IllegalArgumentException(
                    "a start record needs attempts >= 1 and 0 <= crashes < attempts, got "
                            + attempts
                            + " and "
                            + crashes);
        }
        if (workerId == null || instance == null) {
            throw new IllegalArgumentException("a start record names its worker and process");
        }
    }

    /**
     * How many of the job's starts so far ended with their worker dying, as seen by the process
     * {@code instance}: the last start counts when it is still marked running by another process,
     * since a live worker either publishes a result (and deletes the record) or marks it let go. A
     * start by the asking process itself never counts: the process is alive to ask.
     */
    public int crashesSeenBy(String asking) {
        return running && !instance.equals(asking) ? crashes + 1 : crashes;
    }

    /** The same start, marked as let go by its live worker. */
    public StartRecord released() {
        return new StartRecord(attempts, crashes, false, workerId, instance, startedAtMillis);
    }

    /** The record's value on the topic: a small JSON object. */
    public byte[] encode() {
        return new JsonObject()
                .put("attempts", attempts)
                .put("crashes", crashes)
                .put("running", running)
                .put("workerId", workerId)
                .put("instance", instance)
                .put("startedAt", startedAtMillis)
                .encode()
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a value written by {@link #encode}.
     *
     * @throws IllegalArgumentException when it is not one (someone else wrote to the topic)
     */
    public static StartRecord decode(byte[] value) {
        try {
            JsonObject json = new JsonObject(new String(value, StandardCharsets.UTF_8));
            return new StartRecord(
                    json.getInteger("attempts", 0),
                    json.getInteger("crashes", -1),
                    json.getBoolean("running", Boolean.FALSE),
                    json.getString("workerId"),
                    json.getString("instance"),
                    json.getLong("startedAt", 0L));
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalArgumentException("not a start record: " + e.getMessage(), e);
        }
    }
}
