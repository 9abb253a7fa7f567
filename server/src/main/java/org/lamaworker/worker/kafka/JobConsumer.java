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
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.lamaworker.worker.admission.MemoryBudget;
import org.lamaworker.worker.config.WorkerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads job records and hands each to a job handler while the jobs in flight fit the memory budget
 * (each admitted job reserves its worst-case cost, later shrunk to its real cost) and number at
 * most {@code maxInFlight}. Otherwise the consumer pauses its partitions ({@code pause(Set)};
 * polling, and so group membership, goes on) and resumes them as jobs finish. Offsets are committed
 * only up to the first record whose handler has not completed, i.e. whose result the broker has not
 * yet acknowledged; a job whose handler fails (no result acknowledged) is run again after a backoff
 * while its partition is ours, so it cannot be skipped. All state is confined to the context the
 * consumer was created on.
 */
public final class JobConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(JobConsumer.class);

    private final Vertx vertx;
    private final KafkaConsumer<String, byte[]> consumer;
    private final String topic;
    private final int maxInFlight;
    private final BiFunction<
                    KafkaConsumerRecord<String, byte[]>, MemoryBudget.Reservation, Future<?>>
            handler;
    private final MemoryBudget budget;
    private final LongSupplier worstCaseBytes;
    private final WorkerConfig.Delivery delivery;
    private final Map<TopicPartition, OffsetTracker> trackers = new HashMap<>();
    private final Set<TopicPartition> assigned = new HashSet<>();
    private final Deque<KafkaConsumerRecord<String, byte[]>> waiting = new ArrayDeque<>();

    /** Failed attempts of jobs not yet acknowledged, by partition and offset. */
    private final Map<String, Integer> failedAttempts = new HashMap<>();

    private long jobsRetried;
    private int pauseRepairs;
    private volatile int inFlight;
    private volatile boolean paused;
    private volatile int assignedCount;
    private long pauses;
    private long assignments;
    private boolean stopping;
    private boolean closed;
    private Promise<Void> drained;

    /** The commit submitted last; commits run in order on the polling thread. */
    private Future<?> lastCommit = Future.succeededFuture();

    /**
     * Creates the consumer.
     *
     * @param budget the memory jobs in flight may reserve together
     * @param worstCaseBytes what a job reserves before it is admitted
     * @param handler runs a job; its future completes once the job's result is acknowledged; it may
     *     shrink the job's reservation once the job's real cost is known
     */
    public JobConsumer(
            Vertx vertx,
            WorkerConfig.Kafka kafka,
            WorkerConfig.Delivery delivery,
            String clientId,
            int maxInFlight,
            MemoryBudget budget,
            LongSupplier worstCaseBytes,
            BiFunction<KafkaConsumerRecord<String, byte[]>, MemoryBudget.Reservation, Future<?>>
                    handler) {
        this(
                vertx,
                KafkaConsumer.create(vertx, clientConfig(kafka, clientId, maxInFlight)),
                kafka.jobsTopic(),
                maxInFlight,
                budget,
                worstCaseBytes,
                delivery,
                handler);
    }

    /** A consumer over the given client (tests give one over Kafka's {@code MockConsumer}). */
    JobConsumer(
            Vertx vertx,
            KafkaConsumer<String, byte[]> consumer,
            String topic,
            int maxInFlight,
            MemoryBudget budget,
            LongSupplier worstCaseBytes,
            WorkerConfig.Delivery delivery,
            BiFunction<KafkaConsumerRecord<String, byte[]>, MemoryBudget.Reservation, Future<?>>
                    handler) {
        this.vertx = vertx;
        this.consumer = consumer;
        this.topic = topic;
        this.maxInFlight = maxInFlight;
        this.budget = budget;
        this.worstCaseBytes = worstCaseBytes;
        this.delivery = delivery;
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

    /** Jobs started and not yet finished. */
    public int inFlight() {
        return inFlight;
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
    }

    private void onRevoked(Set<TopicPartition> partitions) {
        LOG.info("Revoked {}", partitions);
        assigned.removeAll(partitions);
        assignedCount = assigned.size();
        // Jobs of revoked partitions still publish their results, but their offsets are no longer
        // ours to commit: the new owner re-reads from the last commit (at-least-once).
        partitions.forEach(trackers::remove);
        waiting.removeIf(r -> partitions.contains(new TopicPartition(r.topic(), r.partition())));
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

    /** Admits a job if it fits: fewer than maxInFlight and its worst case within the budget. */
    private MemoryBudget.Reservation admit() {
        if (stopping || inFlight >= maxInFlight) {
            return null;
        }
        return budget.tryReserve(worstCaseBytes.getAsLong());
    }

    private void startJob(
            KafkaConsumerRecord<String, byte[]> record, MemoryBudget.Reservation reservation) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        OffsetTracker tracker = trackers.computeIfAbsent(partition, p -> new OffsetTracker());
        tracker.started(record.offset());
        inFlight++;
        Future<?> done;
        try {
            done = handler.apply(record, reservation);
        } catch (RuntimeException e) {
            done = Future.failedFuture(e);
        }
        done.onComplete(
                ar -> {
                    inFlight--;
                    reservation.release();
                    if (ar.succeeded()) {
                        failedAttempts.remove(positionOf(record));
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
        if (stopping) {
            LOG.error(
                    "No result published for {}-{}@{}: {}; left uncommitted for redelivery",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    cause.toString());
            return;
        }
        String position = positionOf(record);
        int failures = failedAttempts.merge(position, 1, Integer::sum);
        long backoff = delivery.backoffMillis(failures);
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
                        failedAttempts.remove(position);
                        return;
                    }
                    jobsRetried++;
                    waiting.addFirst(record);
                    next();
                });
    }

    private static String positionOf(KafkaConsumerRecord<String, byte[]> record) {
        return record.partition() + "@" + record.offset();
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
        while (!waiting.isEmpty()) {
            MemoryBudget.Reservation reservation = admit();
            if (reservation == null) {
                break;
            }
            startJob(waiting.poll(), reservation);
        }
        if (!waiting.isEmpty() || stopping) {
            pauseAll();
        } else if (paused) {
            paused = false;
            applyPauseState(Set.copyOf(assigned));
        }
        if (stopping && inFlight == 0 && drained != null) {
            drained.tryComplete();
        }
    }

    /** How many times the partitions were paused for lack of room. */
    public long pauses() {
        return pauses;
    }

    /** How many times partitions were assigned; more than once means a rebalance happened. */
    public long assignments() {
        return assignments;
    }

    /** Whether the partitions are paused now. */
    public boolean paused() {
        return paused;
    }

    private void pauseAll() {
        if (!paused) {
            paused = true;
            pauses++;
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
        if (inFlight == 0) {
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
                                        inFlight);
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
