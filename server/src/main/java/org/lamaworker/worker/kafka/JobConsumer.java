package org.lamaworker.worker.kafka;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.lamaworker.worker.admission.Admission;
import org.lamaworker.worker.admission.Redelivery;
import org.lamaworker.worker.config.WorkerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka side of the worker: subscribes, hands each record to the job handler while {@link
 * Admission} admits it, and otherwise pauses its partitions ({@code pause(Set)}; polling, and so
 * group membership, goes on) and resumes them as jobs finish. Offsets are committed only up to the
 * first record whose handler has not completed, i.e. whose result the broker has not yet
 * acknowledged; a record whose handler fails (no result acknowledged) is handed out again after the
 * backoff {@link Redelivery} gives, while its partition is ours, so it cannot be skipped. Pricing,
 * admission and attempt counting are not its business. All state is confined to the context the
 * consumer was created on, which owns the client: it creates it and closes it in {@link #stop}.
 */
public final class JobConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(JobConsumer.class);

    private final Vertx vertx;
    private final KafkaConsumer<String, byte[]> consumer;
    private final String topic;
    private final RecordHandler handler;
    private final Admission admission;
    private final Redelivery redelivery;
    private final Map<TopicPartition, OffsetTracker> trackers = new HashMap<>();
    private final Set<TopicPartition> assigned = new HashSet<>();
    private final Deque<KafkaConsumerRecord<String, byte[]>> waiting = new ArrayDeque<>();

    /**
     * Per assigned partition, the timestamp (ms) of its oldest record not yet started, or -1 for
     * none: written on the consumer's context, read by metric scrapes on other threads.
     */
    private final Map<TopicPartition, Long> oldestWaiting = new ConcurrentHashMap<>();

    private volatile java.util.function.Consumer<Set<TopicPartition>> assignmentListener =
            partitions -> {};
    private long jobsRetried;
    private int pauseRepairs;
    private volatile boolean paused;
    private volatile int assignedCount;
    private long pauses;
    private long assignments;
    private boolean stopping;
    private boolean closed;
    private Promise<Void> drained;

    /** The commit submitted last; commits run in order on the polling thread. */
    private Future<?> lastCommit = Future.succeededFuture();

    /** Runs one job record to its acknowledged result. */
    @FunctionalInterface
    public interface RecordHandler {
        /**
         * Runs the record's job.
         *
         * @param ticket the job's admission; the handler may price it, the consumer releases it
         * @param attempt how many times this process has handed out this record, from 1
         * @return completes once the job's result is acknowledged; fails when it was not
         */
        Future<?> handle(
                KafkaConsumerRecord<String, byte[]> record, Admission.Ticket ticket, int attempt);
    }

    /** Creates the consumer and its Kafka client, which it owns. */
    public JobConsumer(
            Vertx vertx,
            WorkerConfig.Kafka kafka,
            String clientId,
            Admission admission,
            Redelivery redelivery,
            RecordHandler handler) {
        this(
                vertx,
                KafkaConsumer.create(vertx, clientConfig(kafka, clientId, admission.maxInFlight())),
                kafka.jobsTopic(),
                admission,
                redelivery,
                handler);
    }

    /**
     * A consumer over the given client (tests give one over Kafka's {@code MockConsumer}); it
     * closes the client in {@link #stop}.
     */
    JobConsumer(
            Vertx vertx,
            KafkaConsumer<String, byte[]> consumer,
            String topic,
            Admission admission,
            Redelivery redelivery,
            RecordHandler handler) {
        this.vertx = vertx;
        this.consumer = consumer;
        this.topic = topic;
        this.admission = admission;
        this.redelivery = redelivery;
        this.handler = handler;
    }

    private static Map<String, String> clientConfig(
            WorkerConfig.Kafka kafka, String clientId, int maxInFlight) {
        Map<String, String> config = new HashMap<>(kafka.clientProperties());
        config.put("bootstrap.servers", kafka.bootstrapServers());
        config.put("group.id", kafka.groupId());
        config.put("client.id", clientId + "-jobs");
        config.put("key.deserializer", StringDeserializer.class.getName());
        config.put("value.deserializer", ByteArrayDeserializer.class.getName());
        config.put("enable.auto.commit", "false");
        config.putIfAbsent("auto.offset.reset", "earliest");
        if (!"consumer".equalsIgnoreCase(config.getOrDefault("group.protocol", "classic"))) {
            // Incremental rebalances: when a worker joins or leaves, only the partitions that move
            // are revoked, so the others' jobs in flight are not redone by a new owner.
            config.putIfAbsent(
                    "partition.assignment.strategy",
                    "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        }
        // Records fetched past the in-flight limit wait in memory: keep that batch small.
        config.putIfAbsent("max.poll.records", String.valueOf(Math.max(1, maxInFlight)));
        return config;
    }

    /** Subscribes and starts handing out jobs. */
    public Future<Void> start() {
        consumer.partitionsAssignedHandler(this::onAssigned);
        consumer.partitionsRevokedHandler(this::onRevoked);
        consumer.exceptionHandler(e -> LOG.warn("Kafka consumer error: {}", e.toString()));
        consumer.handler(this::onRecord);
        // Pause, resume and commit wait for the poll in progress: keep it short so backpressure
        // and commits react within a tenth of a second, not the client's default second.
        consumer.pollTimeout(java.time.Duration.ofMillis(100));
        return consumer.subscribe(topic);
    }

    /** How many partitions are assigned now; safe to read from any thread. */
    public int assignedCount() {
        return assignedCount;
    }

    /** The Kafka client underneath, for its metrics only (it belongs to the polling thread). */
    public org.apache.kafka.clients.consumer.Consumer<String, byte[]> nativeConsumer() {
        return consumer.unwrap();
    }

    /** Partitions currently assigned to this worker. */
    public Set<TopicPartition> assignment() {
        return Set.copyOf(assigned);
    }

    private void onAssigned(Set<TopicPartition> partitions) {
        assignments++;
        assigned.addAll(partitions);
        assignedCount = assigned.size();
        LOG.info("Assigned {}", partitions);
        if (paused) {
            applyPauseState(partitions);
        }
        noteBacklog();
        assignmentListener.accept(Set.copyOf(assigned));
    }

    private void onRevoked(Set<TopicPartition> partitions) {
        LOG.info("Revoked {}", partitions);
        assigned.removeAll(partitions);
        assignedCount = assigned.size();
        // Jobs of revoked partitions still publish their results, but their offsets are no longer
        // ours to commit: the new owner re-reads from the last commit (at-least-once).
        partitions.forEach(trackers::remove);
        waiting.removeIf(r -> partitions.contains(new TopicPartition(r.topic(), r.partition())));
        partitions.forEach(oldestWaiting::remove);
        assignmentListener.accept(Set.copyOf(assigned));
    }

    private void onRecord(KafkaConsumerRecord<String, byte[]> record) {
        if (!assigned.contains(new TopicPartition(record.topic(), record.partition()))) {
            // Fetched before its partition was revoked: the new owner reads it from the last
            // commit, and this worker may no longer commit for it.
            return;
        }
        waiting.add(record);
        next();
    }

    /** Whether a record's partition is still this worker's: only then may it commit for it. */
    public boolean owns(KafkaConsumerRecord<String, byte[]> record) {
        return !stopping
                && assigned.contains(new TopicPartition(record.topic(), record.partition()));
    }

    private void startJob(KafkaConsumerRecord<String, byte[]> record, Admission.Ticket ticket) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        OffsetTracker tracker = trackers.computeIfAbsent(partition, p -> new OffsetTracker());
        tracker.started(record.offset());
        String position = positionOf(record);
        Future<?> done;
        try {
            done = handler.handle(record, ticket, redelivery.started(position));
        } catch (RuntimeException e) {
            done = Future.failedFuture(e);
        }
        done.onComplete(
                ar -> {
                    ticket.release();
                    if (ar.succeeded()) {
                        redelivery.finished(position);
                        finished(partition, tracker, record.offset());
                    } else {
                        retryLater(record, partition, tracker, ar.cause());
                    }
                    next();
                });
    }

    /**
     * A job ended without an acknowledged result (the broker refused or timed out on it, or the
     * handler broke). Its offset stays uncommitted, which holds the partition's commits behind it,
     * so it is run again after a backoff rather than left for the next rebalance. If the partition
     * was revoked or the worker stops meanwhile, the job is left to the next owner instead.
     */
    private void retryLater(
            KafkaConsumerRecord<String, byte[]> record,
            TopicPartition partition,
            OffsetTracker tracker,
            Throwable cause) {
        String position = positionOf(record);
        if (stopping) {
            redelivery.finished(position);
            LOG.error(
                    "No result published for {}-{}@{}: {}; left uncommitted for redelivery",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    cause.toString());
            return;
        }
        long backoff = redelivery.failed(position);
        LOG.error(
                "No result published for {}-{}@{}: {}; running it again in {} ms",
                record.topic(),
                record.partition(),
                record.offset(),
                cause.toString(),
                backoff);
        vertx.setTimer(
                backoff,
                id -> {
                    if (stopping || trackers.get(partition) != tracker) {
                        return;
                    }
                    jobsRetried++;
                    waiting.addFirst(record);
                    next();
                });
    }

    private static String positionOf(KafkaConsumerRecord<String, byte[]> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    private void finished(TopicPartition partition, OffsetTracker tracker, long offset) {
        if (trackers.get(partition) != tracker) {
            return; // revoked meanwhile
        }
        long position = tracker.finished(offset);
        if (position >= 0) {
            lastCommit = consumer.commit(Map.of(partition, new OffsetAndMetadata(position, "")));
            lastCommit.onFailure(
                    e ->
                            LOG.warn(
                                    "Commit of {} at {} failed: {}",
                                    partition,
                                    position,
                                    e.toString()));
        }
    }

    /** Starts waiting jobs while they fit; pauses when some must wait, resumes when none do. */
    private void next() {
        while (!waiting.isEmpty() && !stopping) {
            Admission.Ticket ticket = admission.tryAdmit();
            if (ticket == null) {
                break;
            }
            startJob(waiting.poll(), ticket);
        }
        if (!waiting.isEmpty() || stopping) {
            pauseAll();
        } else if (paused) {
            paused = false;
            applyPauseState(Set.copyOf(assigned));
        }
        if (stopping && admission.inFlight() == 0 && drained != null) {
            drained.tryComplete();
        }
        noteBacklog();
    }

    /**
     * Notes each assigned partition's oldest record not yet started. Records wait here only while
     * the partitions are paused (a paused partition fetches nothing more, and its later records are
     * newer), so this is the age of the partition's backlog at its head.
     */
    private void noteBacklog() {
        Map<TopicPartition, Long> oldest = new HashMap<>();
        for (TopicPartition partition : assigned) {
            oldest.put(partition, -1L);
        }
        for (KafkaConsumerRecord<String, byte[]> record : waiting) {
            long timestamp = record.timestamp();
            if (timestamp >= 0) {
                oldest.merge(
                        new TopicPartition(record.topic(), record.partition()),
                        timestamp,
                        (a, b) -> a < 0 ? b : Math.min(a, b));
            }
        }
        oldestWaiting.keySet().retainAll(oldest.keySet());
        oldestWaiting.putAll(oldest);
    }

    /**
     * Seconds since the oldest record of a partition that this worker has fetched but not started
     * was produced (its record timestamp), 0 when none waits. Safe from any thread.
     */
    public double backlogAgeSeconds(TopicPartition partition) {
        Long timestamp = oldestWaiting.get(partition);
        return timestamp == null || timestamp < 0
                ? 0
                : Math.max(0, System.currentTimeMillis() - timestamp) / 1000.0;
    }

    /** The oldest of {@link #backlogAgeSeconds} over the partitions. Safe from any thread. */
    public double oldestBacklogAgeSeconds() {
        double oldest = 0;
        for (TopicPartition partition : oldestWaiting.keySet()) {
            oldest = Math.max(oldest, backlogAgeSeconds(partition));
        }
        return oldest;
    }

    /**
     * Calls {@code listener} with the partitions assigned after each assignment or revocation, on
     * the consumer's context: for metrics kept per partition.
     */
    public void onAssignmentChange(java.util.function.Consumer<Set<TopicPartition>> listener) {
        this.assignmentListener = listener;
        listener.accept(backlogPartitions());
    }

    /** The partitions whose backlog age is tracked now. Safe from any thread. */
    public Set<TopicPartition> backlogPartitions() {
        return Set.copyOf(oldestWaiting.keySet());
    }

    /** How many times the partitions were paused for lack of room. */
    public long pauses() {
        return pauses;
    }

    /** How many times partitions were assigned; more than once means a rebalance happened. */
    public long assignments() {
        return assignments;
    }

    /** Why the partitions are paused: stopping, or what admission last refused for. */
    public String pauseReason() {
        if (stopping) {
            return "stopping";
        }
        Admission.Refusal refusal = admission.lastRefusal();
        return refusal == null ? "none" : refusal.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether the partitions are paused now. */
    public boolean paused() {
        return paused;
    }

    private void pauseAll() {
        if (!paused) {
            paused = true;
            pauses++;
            LOG.debug("Pausing {}: {}", assigned, pauseReason());
            applyPauseState(Set.copyOf(assigned));
        }
    }

    /**
     * Pauses or resumes the partitions as {@link #paused} says. The set comes from the revoke and
     * assign handlers, which run on this context after the polling thread saw the rebalance: it can
     * name a partition the client no longer has. The client then throws at that partition and
     * leaves the rest as they were, which would keep live partitions paused for good; so a refusal
     * is repaired by applying the state to the assignment the client has now.
     */
    private void applyPauseState(Set<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        (paused ? consumer.pause(partitions) : consumer.resume(partitions))
                .onFailure(e -> repairPauseState(1));
    }

    private void repairPauseState(int attempt) {
        if (closed) {
            return;
        }
        pauseRepairs++;
        LOG.info(
                "A partition moved before a {} reached the client; applying it to the current"
                        + " assignment",
                paused ? "pause" : "resume");
        consumer.assignment()
                .compose(now -> paused ? consumer.pause(now) : consumer.resume(now))
                .onFailure(
                        e -> {
                            // Another rebalance came between the two calls: try again shortly.
                            if (!closed) {
                                vertx.setTimer(
                                        Math.min(1_000, 50L * attempt),
                                        id -> repairPauseState(attempt + 1));
                            }
                        });
    }

    /** How many times a refused pause or resume was re-applied to the current assignment. */
    int pauseRepairs() {
        return pauseRepairs;
    }

    /** Jobs run again after their handler failed. */
    public long jobsRetried() {
        return jobsRetried;
    }

    /**
     * Stops taking jobs, lets the ones in flight finish (their offsets are committed as usual),
     * waits at most {@code graceMillis} for them, then closes the consumer. Records fetched but not
     * started are dropped uncommitted: another worker will read them.
     */
    public Future<Void> stop(long graceMillis) {
        stopping = true;
        pauseAll();
        waiting.clear();
        drained = Promise.promise();
        if (admission.inFlight() == 0) {
            drained.tryComplete();
        }
        long timer =
                vertx.setTimer(
                        // shutdown.grace=0 is allowed; Vert.x timers need at least 1 ms.
                        Math.max(1, graceMillis),
                        id -> {
                            if (drained.tryComplete()) {
                                LOG.warn(
                                        "Stopping with {} jobs still in flight; they will be redelivered",
                                        admission.inFlight());
                            }
                        });
        return drained.future()
                // The client's close() first wakes it up, which makes a commit still queued or
                // running throw instead of committing: the jobs just finished would be done again
                // by the next owner. So the last commit goes through first.
                .compose(
                        v ->
                                lastCommit
                                        .timeout(10, TimeUnit.SECONDS)
                                        .<Void>transform(ar -> Future.succeededFuture()))
                .eventually(
                        () -> {
                            vertx.cancelTimer(timer);
                            closed = true;
                            return consumer.close();
                        });
    }
}
