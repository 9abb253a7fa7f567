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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.lamaworker.worker.admission.Admission;
import org.lamaworker.worker.admission.Redelivery;
import org.lamaworker.worker.config.Lane;
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
 *
 * <p>With several {@linkplain Lane lanes} (topics with weights), records wait per lane, and each
 * free place goes to one of the lanes that have records waiting by smooth weighted round robin:
 * while lanes compete, each gets its weight's share of the admissions, evenly spread, so none is
 * starved; a lane with nothing waiting takes no share. Pausing is per lane too: a lane is paused
 * while records of its own wait, and a lane with nothing waiting stays resumed, so that its next
 * record is fetched at once and competes for the next free place instead of queueing behind the
 * other lanes' backlog on the broker. With one lane this is exactly the single-topic behaviour.
 */
public final class JobConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(JobConsumer.class);

    private final Vertx vertx;
    private final KafkaConsumer<String, byte[]> consumer;
    private final RecordHandler handler;
    private final Admission admission;
    private final Redelivery redelivery;
    private final Map<TopicPartition, OffsetTracker> trackers = new HashMap<>();
    private final Set<TopicPartition> assigned = new HashSet<>();

    /** The lanes in configured order (ties in the round robin go to the earlier one). */
    private final List<LaneState> lanes;

    private final Map<String, LaneState> lanesByTopic = new HashMap<>();

    /**
     * Per assigned partition, the timestamp (ms) of its oldest record not yet started, or -1 for
     * none: written on the consumer's context, read by metric scrapes on other threads.
     */
    private final Map<TopicPartition, Long> oldestWaiting = new ConcurrentHashMap<>();

    private final List<java.util.function.Consumer<Set<TopicPartition>>> assignmentListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile QueuedListener queuedListener = (lane, millis) -> {};
    private long jobsRetried;
    private volatile int pauseRepairs;
    private volatile int assignedCount;
    private volatile int pausedCount;
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

    /** Told how long each job whose result was acknowledged waited, by lane. */
    @FunctionalInterface
    public interface QueuedListener {
        /**
         * A job of {@code lane} (its topic) finished with an acknowledged result after waiting
         * {@code millis} from its record's timestamp to its start.
         */
        void queued(String lane, long millis);
    }

    /** One lane's figures for metrics; safe to read from any thread. */
    public interface LaneView {
        /** The lane's topic. */
        String topic();

        /** Its weight. */
        int weight();

        /** Jobs started from this lane (runs again after a failed handler count again). */
        long admitted();

        /** Records fetched and not started. */
        int waiting();

        /** Whether its partitions are paused now. */
        boolean paused();
    }

    /**
     * A lane's waiting records and its credit in the round robin. Mutated on the consumer's context
     * only; the volatile figures are copies for metric scrapes on other threads.
     */
    private static final class LaneState implements LaneView {
        final Lane lane;
        final Deque<KafkaConsumerRecord<String, byte[]>> waiting = new ArrayDeque<>();

        /** Smooth weighted round robin credit: grows by the weight, drops when admitted. */
        long credit;

        /** Whether this lane's partitions should be paused (stopping pauses every lane). */
        volatile boolean paused;

        volatile long admitted;
        volatile int waitingCount;

        LaneState(Lane lane) {
            this.lane = lane;
        }

        @Override
        public String topic() {
            return lane.topic();
        }

        @Override
        public int weight() {
            return lane.weight();
        }

        @Override
        public long admitted() {
            return admitted;
        }

        @Override
        public int waiting() {
            return waitingCount;
        }

        @Override
        public boolean paused() {
            return paused;
        }
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
                kafka.lanes(),
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
            List<Lane> lanes,
            Admission admission,
            Redelivery redelivery,
            RecordHandler handler) {
        this.vertx = vertx;
        this.consumer = consumer;
        this.lanes = lanes.stream().map(LaneState::new).toList();
        for (LaneState lane : this.lanes) {
            lanesByTopic.put(lane.topic(), lane);
        }
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
        // Records fetched past the in-flight limit wait in memory: keep that batch small. With
        // lanes, each lane's records wait apart, so at most about one batch per lane waits.
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
        Set<String> topics = new LinkedHashSet<>();
        lanes.forEach(lane -> topics.add(lane.topic()));
        return consumer.subscribe(topics);
    }

    /** The lanes, in configured order, for per-lane metrics. */
    public List<LaneView> lanes() {
        return List.copyOf(lanes);
    }

    /**
     * Calls {@code listener} on the consumer's context with each acknowledged job's lane and queue
     * time (record timestamp to start, as the result's {@code timings.queued}).
     */
    public void onQueued(QueuedListener listener) {
        this.queuedListener = listener;
    }

    /**
     * The lane of a topic. The subscription names only lane topics; anything else would be a client
     * fault, and is kept in the first lane rather than dropped, since a dropped record's offset
     * would be committed past.
     */
    private LaneState laneOf(String topic) {
        return lanesByTopic.getOrDefault(topic, lanes.get(0));
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
        // Newly assigned partitions come resumed; those of a lane that is paused now must not
        // fetch more of it.
        Set<TopicPartition> toPause = new HashSet<>();
        for (TopicPartition partition : partitions) {
            if (shouldBePaused(partition)) {
                toPause.add(partition);
            }
        }
        notePausedCount();
        applyPauseState(toPause);
        noteBacklog();
        assignmentChanged();
    }

    private void onRevoked(Set<TopicPartition> partitions) {
        LOG.info("Revoked {}", partitions);
        assigned.removeAll(partitions);
        assignedCount = assigned.size();
        // Jobs of revoked partitions still publish their results, but their offsets are no longer
        // ours to commit: the new owner re-reads from the last commit (at-least-once).
        partitions.forEach(trackers::remove);
        for (LaneState lane : lanes) {
            lane.waiting.removeIf(
                    r -> partitions.contains(new TopicPartition(r.topic(), r.partition())));
        }
        partitions.forEach(oldestWaiting::remove);
        noteLanes();
        // A lane whose waiting records all belonged to revoked partitions has nothing waiting
        // now: it must not stay paused (nor pause the partitions it is assigned next).
        updatePauseState();
        notePausedCount();
        assignmentChanged();
    }

    private void onRecord(KafkaConsumerRecord<String, byte[]> record) {
        if (!assigned.contains(new TopicPartition(record.topic(), record.partition()))) {
            // Fetched before its partition was revoked: the new owner reads it from the last
            // commit, and this worker may no longer commit for it.
            return;
        }
        laneOf(record.topic()).waiting.add(record);
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
        long queuedMillis =
                record.timestamp() < 0
                        ? -1
                        : Math.max(0, System.currentTimeMillis() - record.timestamp());
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
                        if (queuedMillis >= 0) {
                            queuedListener.queued(record.topic(), queuedMillis);
                        }
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
                    laneOf(record.topic()).waiting.addFirst(record);
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

    /**
     * Starts waiting jobs while they fit, each from the lane the round robin picks; then pauses the
     * lanes that still have records waiting and resumes those that have none.
     */
    private void next() {
        while (!stopping && anyWaiting()) {
            Admission.Ticket ticket = admission.tryAdmit();
            if (ticket == null) {
                break;
            }
            LaneState lane = pickLane();
            lane.admitted++;
            startJob(lane.waiting.poll(), ticket);
        }
        updatePauseState();
        if (stopping && admission.inFlight() == 0 && drained != null) {
            drained.tryComplete();
        }
        noteBacklog();
    }

    private boolean anyWaiting() {
        for (LaneState lane : lanes) {
            if (!lane.waiting.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Smooth weighted round robin (as nginx balances upstreams) over the lanes with records
     * waiting: each such lane's credit grows by its weight, the one with the most credit is picked
     * (the first configured on a tie) and pays the total weight of the lanes that competed. While
     * the same lanes compete, each is picked weight-in-total times, spread evenly, so a light lane
     * waits at most about total/weight picks; a lane with nothing waiting neither gains nor pays,
     * so an idle lane costs the others nothing. Call only when some lane has records waiting.
     */
    private LaneState pickLane() {
        LaneState best = null;
        long total = 0;
        for (LaneState lane : lanes) {
            if (lane.waiting.isEmpty()) {
                continue;
            }
            lane.credit += lane.weight();
            total += lane.weight();
            if (best == null || lane.credit > best.credit) {
                best = lane;
            }
        }
        best.credit -= total;
        return best;
    }

    /**
     * Pauses each lane that has records waiting (or every lane when stopping): a paused lane
     * fetches nothing more, so what waits in memory stays bounded, about one poll's records per
     * lane. Resumes each lane that has nothing waiting, so its next record arrives at once and
     * competes for the next free place. Only lanes whose state changes are told to the client.
     */
    private void updatePauseState() {
        Set<String> changed = new HashSet<>();
        for (LaneState lane : lanes) {
            boolean pause = stopping || !lane.waiting.isEmpty();
            if (pause != lane.paused) {
                lane.paused = pause;
                changed.add(lane.topic());
                if (pause) {
                    pauses++;
                    LOG.debug("Pausing {}: {}", lane.topic(), pauseReason());
                }
            }
        }
        if (!changed.isEmpty()) {
            Set<TopicPartition> partitions = new HashSet<>();
            for (TopicPartition partition : assigned) {
                if (changed.contains(laneOf(partition.getTopic()).topic())) {
                    partitions.add(partition);
                }
            }
            // The figures first: the client may apply the change before this method returns.
            notePausedCount();
            applyPauseState(partitions);
        }
    }

    /** Whether a partition should be paused now: its lane is, or the worker is stopping. */
    private boolean shouldBePaused(TopicPartition partition) {
        return stopping || laneOf(partition.getTopic()).paused;
    }

    private void notePausedCount() {
        int count = 0;
        for (TopicPartition partition : assigned) {
            if (shouldBePaused(partition)) {
                count++;
            }
        }
        pausedCount = count;
    }

    private void noteLanes() {
        for (LaneState lane : lanes) {
            lane.waitingCount = lane.waiting.size();
        }
    }

    /**
     * Notes each assigned partition's oldest record not yet started, and each lane's count of
     * waiting records. Records wait here only while their lane is paused (a paused partition
     * fetches nothing more, and its later records are newer), so this is the age of the partition's
     * backlog at its head.
     */
    private void noteBacklog() {
        Map<TopicPartition, Long> oldest = new HashMap<>();
        for (TopicPartition partition : assigned) {
            oldest.put(partition, -1L);
        }
        for (LaneState lane : lanes) {
            for (KafkaConsumerRecord<String, byte[]> record : lane.waiting) {
                long timestamp = record.timestamp();
                if (timestamp >= 0) {
                    oldest.merge(
                            new TopicPartition(record.topic(), record.partition()),
                            timestamp,
                            (a, b) -> a < 0 ? b : Math.min(a, b));
                }
            }
        }
        oldestWaiting.keySet().retainAll(oldest.keySet());
        oldestWaiting.putAll(oldest);
        noteLanes();
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
     * the consumer's context (for metrics kept per partition, and for the jobs of partitions that
     * moved), and once now. Listeners add up.
     */
    public void onAssignmentChange(java.util.function.Consumer<Set<TopicPartition>> listener) {
        assignmentListeners.add(listener);
        listener.accept(backlogPartitions());
    }

    private void assignmentChanged() {
        Set<TopicPartition> now = Set.copyOf(assigned);
        for (java.util.function.Consumer<Set<TopicPartition>> listener : assignmentListeners) {
            listener.accept(now);
        }
    }

    /** The partitions whose backlog age is tracked now. Safe from any thread. */
    public Set<TopicPartition> backlogPartitions() {
        return Set.copyOf(oldestWaiting.keySet());
    }

    /** How many times a lane's partitions were paused for lack of room. */
    public long pauses() {
        return pauses;
    }

    /** How many times partitions were assigned; more than once means a rebalance happened. */
    public long assignments() {
        return assignments;
    }

    /** Why lanes are paused: stopping, or what admission last refused for. */
    public String pauseReason() {
        if (stopping) {
            return "stopping";
        }
        Admission.Refusal refusal = admission.lastRefusal();
        return refusal == null ? "none" : refusal.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** How many assigned partitions are paused now. Safe from any thread. */
    public int pausedPartitions() {
        return pausedCount;
    }

    /**
     * Pauses or resumes each of the partitions as its lane's state says ({@link #shouldBePaused}).
     * The set comes from the revoke and assign handlers, which run on this context after the
     * polling thread saw the rebalance: it can name a partition the client no longer has. The
     * client then throws at that partition and leaves the rest as they were, which would keep live
     * partitions paused for good (or a flooded lane fetching); so a refusal is repaired by applying
     * each lane's state, as it is then, to the assignment the client has then.
     */
    private void applyPauseState(Set<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        pauseAndResume(partitions).onFailure(e -> repairPauseState(1));
    }

    /** Splits the partitions by their lane's state into one pause and one resume call. */
    private Future<Void> pauseAndResume(Set<TopicPartition> partitions) {
        Set<TopicPartition> toPause = new HashSet<>();
        Set<TopicPartition> toResume = new HashSet<>();
        for (TopicPartition partition : partitions) {
            (shouldBePaused(partition) ? toPause : toResume).add(partition);
        }
        // Both calls are queued to the polling thread at once, in order, so each partition ends
        // in the state decided here even if the other call fails.
        Future<Void> paused =
                toPause.isEmpty() ? Future.succeededFuture() : consumer.pause(toPause);
        Future<Void> resumed =
                toResume.isEmpty() ? Future.succeededFuture() : consumer.resume(toResume);
        return Future.all(paused, resumed).mapEmpty();
    }

    private void repairPauseState(int attempt) {
        if (closed) {
            return;
        }
        LOG.info(
                "A partition moved before a pause or resume reached the client; applying each"
                        + " lane's state to the current assignment");
        consumer.assignment()
                .compose(this::pauseAndResume)
                .onSuccess(v -> pauseRepairs++)
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

    /**
     * How many times a refused pause or resume was re-applied to the current assignment, counted
     * once the client has applied it. Safe from any thread.
     */
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
        updatePauseState();
        for (LaneState lane : lanes) {
            lane.waiting.clear();
        }
        noteLanes();
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
