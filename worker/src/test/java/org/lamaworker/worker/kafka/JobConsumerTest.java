package org.lamaworker.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.admission.Admission;
import org.lamaworker.worker.admission.CostModel;
import org.lamaworker.worker.admission.MemoryBudget;
import org.lamaworker.worker.admission.Redelivery;
import org.lamaworker.worker.config.Lane;
import org.lamaworker.worker.config.WorkerConfig;

/**
 * The consumer's bookkeeping against Kafka's {@code MockConsumer}, which keeps assignment and pause
 * state as the real client does (and throws as it does for a partition it does not have), driven
 * through the Vert.x client exactly as in production. Rebalances are placed at chosen moments,
 * which a real broker cannot do on demand.
 */
class JobConsumerTest {
    private static final String TOPIC = "jobs";
    private static final int PARTITIONS = 6;

    /** A job handed to the handler, with the promise that stands for its acknowledged result. */
    private record Handed(KafkaConsumerRecord<String, byte[]> record, Promise<Void> result) {}

    /**
     * Kafka's MockConsumer with the real client's documented wakeup: a {@code commitSync} that is
     * running, or starts, after {@code wakeup()} throws {@code WakeupException} instead of
     * committing. Commits can be held at their start, and the offsets that did commit are kept.
     */
    private static final class WakeableConsumer extends MockConsumer<String, byte[]> {
        final CountDownLatch commitStarted = new CountDownLatch(1);
        final Map<TopicPartition, Long> committedOffsets = new ConcurrentHashMap<>();
        volatile CountDownLatch holdCommits = new CountDownLatch(0);
        private volatile boolean wakeupPending;

        WakeableConsumer() {
            super("earliest");
        }

        @Override
        public void wakeup() {
            wakeupPending = true;
            super.wakeup();
        }

        @Override
        public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            commitStarted.countDown();
            try {
                holdCommits.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (wakeupPending) {
                wakeupPending = false;
                throw new WakeupException();
            }
            super.commitSync(offsets);
            offsets.forEach((tp, o) -> committedOffsets.put(tp, o.offset()));
        }
    }

    private Vertx vertx;
    private Context context;
    private WakeableConsumer mock;
    private final LinkedBlockingQueue<Handed> handed = new LinkedBlockingQueue<>();
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final Map<TopicPartition, Long> nextOffset = new ConcurrentHashMap<>();
    private JobConsumer consumer;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        mock = new WakeableConsumer();
        Map<TopicPartition, Long> beginnings = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(new TopicPartition(TOPIC, p));
            beginnings.put(partitions.get(p), 0L);
        }
        mock.updateBeginningOffsets(beginnings);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (consumer != null) {
            onContext(() -> consumer.stop(0)); // closes the client and its polling thread
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private void start(int maxInFlight) throws Exception {
        start(maxInFlight, List.of(new Lane(TOPIC, 1)));
    }

    private void start(int maxInFlight, List<Lane> lanes) throws Exception {
        onContext(
                () -> {
                    consumer =
                            new JobConsumer(
                                    vertx,
                                    KafkaConsumer.create(vertx, mock),
                                    lanes,
                                    new Admission(
                                            new MemoryBudget(1L << 30),
                                            CostModel.uncalibrated(),
                                            1L,
                                            maxInFlight,
                                            1),
                                    new Redelivery(
                                            10_000, new WorkerConfig.Delivery(8, 20, 40, 5_000, 2)),
                                    (record, ticket, attempt) -> {
                                        Promise<Void> result = Promise.promise();
                                        handed.add(new Handed(record, result));
                                        return result.future();
                                    });
                    return consumer.start();
                });
    }

    /** Runs an action on the consumer's context and waits for the future it returns. */
    private <T> T onContext(Supplier<Future<T>> action) throws Exception {
        CompletableFuture<T> done = new CompletableFuture<>();
        context.runOnContext(v -> action.get().onComplete((r, e) -> complete(done, r, e)));
        return done.get(30, TimeUnit.SECONDS);
    }

    private static <T> void complete(CompletableFuture<T> done, T result, Throwable failure) {
        if (failure != null) {
            done.completeExceptionally(failure);
        } else {
            done.complete(result);
        }
    }

    /** Makes the records available to the next poll; the partitions must be assigned by then. */
    private void addRecords(Runnable beforeAdding, TopicPartition... where) {
        mock.schedulePollTask(
                () -> {
                    beforeAdding.run();
                    for (TopicPartition tp : where) {
                        long offset = nextOffset.merge(tp, 1L, Long::sum) - 1;
                        mock.addRecord(
                                new ConsumerRecord<>(
                                        tp.topic(), tp.partition(), offset, "k", new byte[0]));
                    }
                });
    }

    /** Acknowledges a job's result on the consumer's context, as the producer's callback would. */
    private void succeed(Handed h) {
        context.runOnContext(v -> h.result().complete());
    }

    private void fail(Handed h, String why) {
        context.runOnContext(v -> h.result().fail(new IllegalStateException(why)));
    }

    private Handed nextHanded() throws InterruptedException {
        Handed h = handed.poll(10, TimeUnit.SECONDS);
        assertThat(h).as("a job handed to the handler").isNotNull();
        return h;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited 10 s for: " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void aResumeNamingARevokedPartitionStillResumesTheOthers() throws Exception {
        start(2);
        TopicPartition p0 = partitions.get(0);
        TopicPartition p1 = partitions.get(1);
        addRecords(() -> mock.rebalance(partitions), p0, p1, p1);
        Handed first = nextHanded();
        nextHanded();
        // Two jobs run, the third waits: every partition is paused.
        await(() -> mock.paused().size() == PARTITIONS, "all partitions paused");

        // The polling thread sees p0 revoked; before the revoke handler runs on the context a
        // job finishes, the waiting one starts and the consumer resumes the partitions it still
        // believes it has, p0 among them. The client throws at p0.
        List<TopicPartition> remaining = partitions.subList(1, PARTITIONS);
        onContext(
                () -> {
                    mock.rebalance(remaining);
                    first.result().complete();
                    return Future.succeededFuture();
                });
        succeed(nextHanded());
        // (MockConsumer keeps revoked partitions in its paused() list; the real client does not.)
        await(
                () -> Collections.disjoint(mock.paused(), remaining),
                "every remaining partition resumed");
        // The client refused the resume (it always throws at p0, wherever p0 falls in the set),
        // and the consumer re-applied it to the assignment the client has.
        await(() -> consumer.pauseRepairs() >= 1, "the refused resume repaired");

        // And jobs flow again on all of them.
        addRecords(() -> {}, remaining.toArray(TopicPartition[]::new));
        Set<Integer> seen = new HashSet<>();
        while (seen.size() < remaining.size()) {
            Handed h = nextHanded();
            seen.add(h.record().partition());
            succeed(h);
        }
        assertThat(seen).containsExactlyInAnyOrder(1, 2, 3, 4, 5);
    }

    @Test
    void aJobWithoutAnAcknowledgedResultRunsAgainAndHoldsTheCommitUntilThen() throws Exception {
        start(1);
        TopicPartition p0 = partitions.get(0);
        addRecords(() -> mock.rebalance(partitions), p0, p0);
        Handed failed = nextHanded();
        assertThat(failed.record().offset()).isZero();
        fail(failed, "broker refused the result");

        // Offset 1 runs meanwhile, but nothing may be committed past offset 0.
        Handed one = nextHanded();
        assertThat(one.record().offset()).isEqualTo(1);
        succeed(one);
        Handed again = nextHanded();
        assertThat(again.record().offset()).as("the failed job, run again").isZero();
        Thread.sleep(200);
        assertThat(committed(p0)).as("commit held at the failed job").isIn(-1L, 0L);

        succeed(again);
        await(() -> committed(p0) == 2, "commit past both jobs");
        assertThat(onContext(() -> Future.succeededFuture(consumer.jobsRetried()))).isEqualTo(1);
    }

    @Test
    void theBacklogAgeIsThatOfTheOldestRecordNotStarted() throws Exception {
        start(1);
        var p0 = new io.vertx.kafka.client.common.TopicPartition(TOPIC, 0);
        var p1 = new io.vertx.kafka.client.common.TopicPartition(TOPIC, 1);
        long produced = System.currentTimeMillis() - 30_000;
        mock.schedulePollTask(
                () -> {
                    mock.rebalance(partitions);
                    for (int i = 0; i < 3; i++) {
                        mock.addRecord(
                                new ConsumerRecord<>(
                                        TOPIC,
                                        0,
                                        i,
                                        produced + i * 1000L,
                                        org.apache.kafka.common.record.TimestampType.CREATE_TIME,
                                        1,
                                        0,
                                        "k",
                                        new byte[0],
                                        new org.apache.kafka.common.header.internals
                                                .RecordHeaders(),
                                        java.util.Optional.empty()));
                    }
                });
        // One job runs (at most one in flight); the two behind it wait, the older from 29 s ago.
        Handed first = nextHanded();
        await(() -> consumer.backlogAgeSeconds(p0) >= 28.5, "the backlog age of partition 0");
        assertThat(consumer.backlogAgeSeconds(p0)).isLessThan(40);
        assertThat(consumer.backlogAgeSeconds(p1)).as("nothing waits on partition 1").isZero();
        assertThat(consumer.oldestBacklogAgeSeconds())
                .isEqualTo(
                        consumer.backlogAgeSeconds(p0), org.assertj.core.data.Offset.offset(1.0));
        assertThat(consumer.backlogPartitions()).hasSize(PARTITIONS).contains(p0, p1);

        succeed(first);
        Handed second = nextHanded();
        await(
                () -> consumer.backlogAgeSeconds(p0) < 28.5,
                "the age of the last waiting record, produced a second later");
        succeed(second);
        succeed(nextHanded());
        await(() -> consumer.backlogAgeSeconds(p0) == 0, "no backlog once every job started");
    }

    @Test
    void stopLetsTheLastCommitLandBeforeClosingTheClient() throws Exception {
        start(1);
        TopicPartition p0 = partitions.get(0);
        addRecords(() -> mock.rebalance(partitions), p0);
        Handed job = nextHanded();
        mock.holdCommits = new CountDownLatch(1);
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        // The job's result is acknowledged and the worker is told to stop in the same breath:
        // its commit is queued on the polling thread when stop() runs.
        context.runOnContext(
                v -> {
                    job.result().complete();
                    consumer.stop(30_000).onComplete((r, e) -> complete(stopped, null, e));
                });
        assertThat(mock.commitStarted.await(10, TimeUnit.SECONDS)).isTrue();
        // Long enough for a stop that did not wait to close the client, which wakes it up.
        Thread.sleep(300);
        mock.holdCommits.countDown();
        stopped.get(30, TimeUnit.SECONDS);
        assertThat(mock.committedOffsets).containsEntry(p0, 1L);
    }

    /** The partitions of another lane's topic, known to the mock from offset 0. */
    private List<TopicPartition> lanePartitions(String topic, int count) {
        List<TopicPartition> lane = new ArrayList<>();
        Map<TopicPartition, Long> beginnings = new HashMap<>();
        for (int p = 0; p < count; p++) {
            lane.add(new TopicPartition(topic, p));
            beginnings.put(lane.get(p), 0L);
        }
        mock.updateBeginningOffsets(beginnings);
        return lane;
    }

    private JobConsumer.LaneView lane(String topic) {
        return consumer.lanes().stream()
                .filter(l -> l.topic().equals(topic))
                .findFirst()
                .orElseThrow();
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> both = new ArrayList<>(a);
        both.addAll(b);
        return both;
    }

    @Test
    void floodedLanesAreAdmittedByWeightAndTheLightLaneIsNeverStarved() throws Exception {
        List<TopicPartition> interactive = lanePartitions("interactive", 2);
        List<TopicPartition> batch = lanePartitions("batch", 2);
        start(1, List.of(new Lane("interactive", 8), new Lane("batch", 1)));
        List<TopicPartition> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            records.add(interactive.get(i % 2));
        }
        for (int i = 0; i < 30; i++) {
            records.add(batch.get(i % 2));
        }
        addRecords(
                () -> mock.rebalance(concat(interactive, batch)),
                records.toArray(TopicPartition[]::new));
        // One place: the first record runs, every other one waits in its lane.
        Handed running = nextHanded();
        await(
                () -> lane("interactive").waiting() + lane("batch").waiting() == 129,
                "every other record waiting");
        await(() -> mock.paused().containsAll(concat(interactive, batch)), "both lanes paused");

        List<String> order = new ArrayList<>();
        for (int i = 0; i < 90; i++) {
            succeed(running);
            running = nextHanded();
            order.add(running.record().topic());
        }
        // 8 to 1 while both lanes have records waiting, and spread: every 9 admissions in a row
        // hold exactly one of the batch lane's, so it never waits more than 9 places.
        assertThat(order.stream().filter("batch"::equals).count()).isEqualTo(10);
        for (int from = 0; from + 9 <= order.size(); from++) {
            assertThat(order.subList(from, from + 9).stream().filter("batch"::equals).count())
                    .as("batch admissions among admissions %d-%d", from, from + 8)
                    .isEqualTo(1);
        }
        long admitted = lane("interactive").admitted() + lane("batch").admitted();
        assertThat(admitted).isEqualTo(91);
    }

    @Test
    void aLaneWithNothingWaitingStaysResumedAndItsRecordGoesNext() throws Exception {
        List<TopicPartition> interactive = lanePartitions("interactive", 2);
        List<TopicPartition> batch = lanePartitions("batch", 2);
        start(1, List.of(new Lane("interactive", 8), new Lane("batch", 1)));
        addRecords(
                () -> mock.rebalance(concat(interactive, batch)),
                batch.get(0),
                batch.get(1),
                batch.get(0),
                batch.get(1));
        Handed running = nextHanded();
        // The flooded lane is paused; the idle one keeps fetching.
        await(() -> lane("batch").waiting() == 3, "three batch records waiting");
        await(
                () -> Set.copyOf(mock.paused()).equals(Set.copyOf(batch)),
                "only the batch lane paused");
        assertThat(lane("batch").paused()).isTrue();
        assertThat(lane("interactive").paused()).isFalse();

        // An interactive job arrives while the place is taken: it is fetched, and waits.
        addRecords(() -> {}, interactive.get(1));
        await(() -> lane("interactive").waiting() == 1, "the interactive record fetched");
        await(
                () -> mock.paused().containsAll(interactive),
                "the interactive lane paused while its record waits");

        // The next free place goes to it, ahead of the batch records fetched before it.
        succeed(running);
        Handed next = nextHanded();
        assertThat(next.record().topic()).isEqualTo("interactive");
        await(
                () -> Set.copyOf(mock.paused()).equals(Set.copyOf(batch)),
                "the interactive lane resumed, the batch lane still paused");
        assertThat(lane("batch").waiting()).isEqualTo(3);
        assertThat(consumer.pausedPartitions()).isEqualTo(batch.size());

        // Once the batch lane has nothing waiting either, it is resumed too.
        succeed(next);
        for (int i = 0; i < 3; i++) {
            Handed h = nextHanded();
            assertThat(h.record().topic()).isEqualTo("batch");
            succeed(h);
        }
        await(() -> mock.paused().isEmpty(), "every lane resumed");
        assertThat(consumer.pausedPartitions()).isZero();
    }

    @Test
    void aLaneWhoseWaitingRecordsAreAllRevokedIsResumed() throws Exception {
        List<TopicPartition> interactive = lanePartitions("interactive", 1);
        List<TopicPartition> batch = lanePartitions("batch", 2);
        start(1, List.of(new Lane("interactive", 8), new Lane("batch", 1)));
        addRecords(
                () -> mock.rebalance(concat(interactive, batch)),
                batch.get(0),
                batch.get(0),
                batch.get(0));
        Handed running = nextHanded();
        await(() -> lane("batch").waiting() == 2, "two batch records waiting");
        await(() -> mock.paused().containsAll(batch), "the batch lane paused");

        // batch-0, which holds every waiting record, goes to another worker: the lane has nothing
        // waiting, so what it keeps (batch-1) must fetch again, not wait for a job to end.
        onContext(
                () -> {
                    mock.rebalance(concat(interactive, batch.subList(1, 2)));
                    return Future.succeededFuture();
                });
        await(() -> !lane("batch").paused(), "the batch lane resumed");
        await(() -> !mock.paused().contains(batch.get(1)), "batch-1 fetching");
        assertThat(lane("batch").waiting()).isZero();
        assertThat(consumer.pausedPartitions()).isZero();

        // And a record on batch-1 runs once the place frees.
        addRecords(() -> {}, batch.get(1));
        succeed(running);
        Handed next = nextHanded();
        assertThat(next.record().topic()).isEqualTo("batch");
        assertThat(next.record().partition()).isEqualTo(1);
        succeed(next);
    }

    @Test
    void everyAssignmentListenerHearsOfEachRevocation() throws Exception {
        start(1);
        List<Set<io.vertx.kafka.client.common.TopicPartition>> first = new CopyOnWriteArrayList<>();
        List<Set<io.vertx.kafka.client.common.TopicPartition>> second =
                new CopyOnWriteArrayList<>();
        onContext(
                () -> {
                    consumer.onAssignmentChange(first::add);
                    consumer.onAssignmentChange(second::add);
                    return Future.succeededFuture();
                });
        addRecords(() -> mock.rebalance(partitions), partitions.get(0));
        succeed(nextHanded());
        List<TopicPartition> remaining = partitions.subList(1, PARTITIONS);
        Set<io.vertx.kafka.client.common.TopicPartition> left = new HashSet<>();
        for (TopicPartition tp : remaining) {
            left.add(new io.vertx.kafka.client.common.TopicPartition(tp.topic(), tp.partition()));
        }
        onContext(
                () -> {
                    mock.rebalance(remaining);
                    return Future.succeededFuture();
                });
        await(
                () ->
                        !first.isEmpty()
                                && first.get(first.size() - 1).equals(left)
                                && !second.isEmpty()
                                && second.get(second.size() - 1).equals(left),
                "both listeners told of the partitions left after the revocation");
    }

    @Test
    void aRefusedResumeIsRepairedLaneByLane() throws Exception {
        List<TopicPartition> interactive = lanePartitions("interactive", 3);
        List<TopicPartition> batch = lanePartitions("batch", 3);
        start(1, List.of(new Lane("interactive", 8), new Lane("batch", 1)));
        addRecords(
                () -> mock.rebalance(concat(interactive, batch)),
                batch.get(0),
                batch.get(1),
                batch.get(2));
        Handed running = nextHanded();
        addRecords(() -> {}, interactive.get(0));
        await(() -> lane("interactive").waiting() == 1, "the interactive record waiting");
        await(() -> mock.paused().containsAll(concat(interactive, batch)), "both lanes paused");

        // The client loses interactive-2; before the revoke handler runs on the context, the
        // running job finishes, the interactive record starts and its lane is resumed, naming
        // interactive-2: the client throws.
        List<TopicPartition> remaining = concat(interactive.subList(0, 2), batch);
        onContext(
                () -> {
                    mock.rebalance(remaining);
                    running.result().complete();
                    return Future.succeededFuture();
                });
        assertThat(nextHanded().record().topic()).isEqualTo("interactive");
        // Repaired (counted once the client has applied the repair) with each lane's own state:
        // the interactive lane fetches; the batch lane, whose records still wait, stays paused.
        await(() -> consumer.pauseRepairs() >= 1, "the refused resume repaired");
        assertThat(mock.paused()).doesNotContainAnyElementsOf(interactive.subList(0, 2));
        assertThat(mock.paused()).containsAll(batch);
    }

    private long committed(TopicPartition tp) {
        Map<TopicPartition, OffsetAndMetadata> c = mock.committed(Set.of(tp));
        OffsetAndMetadata o = c.get(tp);
        return o == null ? -1 : o.offset();
    }
}
