package org.lamaworker.worker.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.impl.KafkaConsumerRecordImpl;
import io.vertx.kafka.client.producer.KafkaProducer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.OutputObject;
import org.lamaworker.protocol.Timings;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.kafka.ResultPublisher;
import org.lamaworker.worker.kafka.StartLedger;
import org.lamaworker.worker.kafka.StartRecord;
import org.lamaworker.worker.management.WorkerMetrics;

/**
 * A result the broker does not acknowledge is published again as it was, without running the job
 * again; once the record is no longer this worker's, the handler lets go of it. The producer is
 * Kafka's MockProducer under the real Vert.x client, so each send is acknowledged or refused by the
 * test.
 */
class JobHandlerTest {
    private static final WorkerConfig CONFIG =
            ConfigLoader.load(null, Map.of("LAMA_RETRY_INITIAL_BACKOFF", "20"), Map.of());

    private Vertx vertx;
    private Context context;
    private MockProducer<String, byte[]> mock;
    private KafkaProducer<String, byte[]> producer;
    private final AtomicInteger processed = new AtomicInteger();

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        mock = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        producer = KafkaProducer.create(vertx, mock);
    }

    @AfterEach
    void tearDown() throws Exception {
        producer.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Stands for the job processor: counts the jobs it runs and succeeds each. */
    private Future<InpaintResult> process(
            org.lamaworker.protocol.InpaintJob job,
            long queued,
            int attempt,
            org.lamaworker.worker.admission.Admission.Ticket ticket) {
        processed.incrementAndGet();
        if (job.jobId().startsWith("slow-")) {
            return io.vertx.core.Promise.<InpaintResult>promise().future(); // still running
        }
        return Future.succeededFuture(
                InpaintResult.succeeded(
                        job.jobId(),
                        new OutputObject(
                                "photos",
                                "results/" + job.jobId() + ".png",
                                4,
                                3,
                                "image/png",
                                120),
                        job.attributes(),
                        attempt,
                        new Timings(queued, 1, 2, 3, 4, 5, 15)));
    }

    private JobHandler handler(BooleanSupplier stillOurs) {
        return handler(stillOurs, new JobStarts(null, "w", 2));
    }

    private JobHandler handler(BooleanSupplier stillOurs, JobStarts starts) {
        return new JobHandler(
                vertx,
                this::process,
                ResultPublisher.over(producer, CONFIG.kafka()),
                new WorkerMetrics(),
                CONFIG,
                "model@0123456789ab",
                record -> stillOurs.getAsBoolean(),
                starts);
    }

    /** The ledger in memory, with the writes it saw in order; a write fails while refusing. */
    private static final class MapLedger implements StartLedger {
        final Map<String, StartRecord> records = new java.util.concurrent.ConcurrentHashMap<>();
        final List<String> writes = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile boolean refusing;

        @Override
        public StartRecord latest(String jobId) {
            return records.get(jobId);
        }

        @Override
        public Future<Void> write(String jobId, StartRecord record) {
            if (refusing) {
                return Future.failedFuture(new TimeoutException("the broker did not answer"));
            }
            writes.add(jobId + (record == null ? " deleted" : " running=" + record.running()));
            if (record == null) {
                records.remove(jobId);
            } else {
                records.put(jobId, record);
            }
            return Future.succeededFuture();
        }
    }

    private static KafkaConsumerRecord<String, byte[]> jobRecord(String jobId) {
        byte[] value =
                JsonCodec.encode(
                        Map.of(
                                "version",
                                1,
                                "jobId",
                                jobId,
                                "image",
                                Map.of("bucket", "photos", "key", "a.png"),
                                "mask",
                                Map.of("bucket", "photos", "key", "a.mask.png")));
        return new KafkaConsumerRecordImpl<>(
                new ConsumerRecord<>("inpaint.jobs", 0, 7L, jobId, value));
    }

    private CompletableFuture<Void> handle(
            JobHandler handler, KafkaConsumerRecord<String, byte[]> record) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        context.runOnContext(
                v ->
                        handler.handle(record, null, 1)
                                .onComplete(
                                        (r, e) -> {
                                            if (e != null) {
                                                done.completeExceptionally(e);
                                            } else {
                                                done.complete(null);
                                            }
                                        }));
        return done;
    }

    private void awaitSends(int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (mock.history().size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        "waited 10 s for " + count + " sends, saw " + mock.history().size());
            }
            Thread.sleep(5);
        }
    }

    @Test
    void aRefusedResultIsPublishedAgainUnchangedAndTheJobRunsOnce() throws Exception {
        JobHandler handler = handler(() -> true);
        CompletableFuture<Void> done = handle(handler, jobRecord("kite-1"));
        awaitSends(1);
        mock.errorNext(new TimeoutException("the broker did not answer"));
        awaitSends(2);
        assertThat(done).as("not finished before an acknowledgement").isNotDone();
        mock.completeNext();
        awaitSends(3); // the latency event, after the result
        mock.completeNext();
        done.get(10, TimeUnit.SECONDS);

        List<ProducerRecord<String, byte[]>> sent = mock.history();
        assertThat(processed).as("jobs run").hasValue(1);
        assertThat(sent.get(0).topic()).isEqualTo(CONFIG.kafka().resultsTopic());
        assertThat(sent.get(1).topic()).isEqualTo(CONFIG.kafka().resultsTopic());
        assertThat(sent.get(1).key()).isEqualTo("kite-1");
        assertThat(sent.get(1).value())
                .as("the same result, byte for byte")
                .isEqualTo(sent.get(0).value());
        assertThat(JsonCodec.decodeResult(sent.get(1).value()).output().key())
                .isEqualTo("results/kite-1.png");
        assertThat(sent.get(2).topic()).isEqualTo(CONFIG.kafka().eventsTopic());
        assertThat(handler.republished()).isEqualTo(1);
    }

    @Test
    void aRecordNoLongerOursIsLeftToItsNextOwner() throws Exception {
        JobHandler handler = handler(() -> false);
        CompletableFuture<Void> done = handle(handler, jobRecord("kite-2"));
        awaitSends(1);
        mock.errorNext(new TimeoutException("the broker did not answer"));
        assertThat(done)
                .failsWithin(Duration.ofSeconds(10))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(TimeoutException.class);
        Thread.sleep(200); // ten backoffs: no second send comes
        assertThat(mock.history()).hasSize(1);
        assertThat(processed).hasValue(1);
        assertThat(handler.republished()).isZero();
    }

    @Test
    void aJobsStartIsRecordedBeforeItRunsAndDeletedOnceItsResultIsOut() throws Exception {
        MapLedger ledger = new MapLedger();
        // A start by a process that is alive and let the job go: not a death.
        ledger.records.put("kite-3", new StartRecord(1, 0, false, "w-old", "gone", 1L));
        JobHandler handler = handler(() -> true, new JobStarts(ledger, "w", 2));
        CompletableFuture<Void> done = handle(handler, jobRecord("kite-3"));
        awaitSends(1);
        assertThat(ledger.writes).containsExactly("kite-3 running=true");
        assertThat(ledger.records.get("kite-3").attempts()).isEqualTo(2);
        assertThat(ledger.records.get("kite-3").crashes()).isZero();
        mock.completeNext();
        awaitSends(2);
        mock.completeNext();
        done.get(10, TimeUnit.SECONDS);
        assertThat(JsonCodec.decodeResult(mock.history().get(0).value()).attempt())
                .as("attempts count the fleet's starts")
                .isEqualTo(2);
        assertThat(ledger.writes).containsExactly("kite-3 running=true", "kite-3 deleted");
        assertThat(ledger.records).isEmpty();
    }

    @Test
    void aStartMarkedRunningElsewhereIsDecidedAgainAfterTheMoveMarkArrives() throws Exception {
        MapLedger ledger = new MapLedger();
        // Another live process ran it and its partition moved here; its "let go" mark is on its
        // way when the job arrives.
        StartRecord elsewhere = new StartRecord(1, 0, true, "w-old", "alive", 1L);
        ledger.records.put("kite-11", elsewhere);
        JobHandler handler = handler(() -> true, new JobStarts(ledger, "w", 1, 500));
        CompletableFuture<Void> done = handle(handler, jobRecord("kite-11"));
        Thread.sleep(100);
        assertThat(processed).as("waiting for the mark").hasValue(0);
        ledger.records.put("kite-11", elsewhere.released());
        awaitSends(1);
        mock.completeNext();
        awaitSends(2);
        mock.completeNext();
        done.get(10, TimeUnit.SECONDS);
        InpaintResult result = JsonCodec.decodeResult(mock.history().get(0).value());
        assertThat(result.status())
                .as("not quarantined at maxCrashes=1: the move was no death")
                .isEqualTo(org.lamaworker.protocol.JobStatus.SUCCEEDED);
        assertThat(result.attempt()).isEqualTo(2);
        assertThat(processed).hasValue(1);
    }

    @Test
    void aJobMovedWhileItsStartIsRecordedIsLetGoAtOnce() throws Exception {
        MapLedger ledger = new MapLedger();
        JobHandler handler = handler(() -> false, new JobStarts(ledger, "w", 1));
        handle(handler, jobRecord("slow-3"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ledger.writes.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(ledger.writes).containsExactly("slow-3 running=true", "slow-3 running=false");
        assertThat(new JobStarts(ledger, "w", 1).decide("slow-3", 1).crashes()).isZero();
    }

    @Test
    void aJobWhoseStartCannotBeRecordedDoesNotRun() throws Exception {
        MapLedger ledger = new MapLedger();
        ledger.refusing = true;
        CompletableFuture<Void> done =
                handle(handler(() -> true, new JobStarts(ledger, "w", 2)), jobRecord("kite-4"));
        assertThat(done)
                .failsWithin(Duration.ofSeconds(10))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(TimeoutException.class);
        assertThat(processed).hasValue(0);
        assertThat(mock.history()).isEmpty();
    }

    @Test
    void aJobThatKilledMaxCrashesWorkersIsQuarantinedWithoutRunning() throws Exception {
        MapLedger ledger = new MapLedger();
        // Started twice; the first start's worker died, the second is still marked running by a
        // process that is gone: two deaths.
        ledger.records.put(
                "kite-5", new StartRecord(2, 1, true, "w-2", "dead", 1_700_000_000_000L));
        JobHandler handler = handler(() -> true, new JobStarts(ledger, "w", 2));
        CompletableFuture<Void> done = handle(handler, jobRecord("kite-5"));
        awaitSends(1);
        mock.completeNext(); // the dead-letter copy
        awaitSends(2);
        mock.completeNext(); // the result
        awaitSends(3);
        mock.completeNext(); // the latency event
        done.get(10, TimeUnit.SECONDS);

        assertThat(processed).as("not run").hasValue(0);
        ProducerRecord<String, byte[]> copy = mock.history().get(0);
        assertThat(copy.topic()).isEqualTo(CONFIG.kafka().deadLetterTopic());
        assertThat(copy.value()).isEqualTo(jobRecord("kite-5").value());
        assertThat(header(copy, "lama.dlq.reason")).isEqualTo("JOB_CRASHED_WORKER");
        assertThat(header(copy, "lama.dlq.crashes")).isEqualTo("2");
        assertThat(header(copy, "lama.dlq.message")).contains("w-2", "delivery.maxCrashes=2");
        InpaintResult result = JsonCodec.decodeResult(mock.history().get(1).value());
        assertThat(result.error().code()).isEqualTo("JOB_CRASHED_WORKER");
        assertThat(result.attempt()).isEqualTo(3);
        assertThat(ledger.writes)
                .as("the record goes with the result")
                .containsExactly("kite-5 deleted");
    }

    @Test
    void aStartOfThisProcessIsNotADeath() throws Exception {
        MapLedger ledger = new MapLedger();
        JobStarts starts = new JobStarts(ledger, "w", 1);
        JobStarts.Start first = starts.decide("kite-6", 1);
        starts.record("kite-6", first);
        // This process ran it and is alive to ask (its result was not acknowledged, say).
        assertThat(starts.decide("kite-6", 2).quarantined()).isFalse();
        assertThat(starts.decide("kite-6", 2).attempt()).isEqualTo(2);
        // Another process, the same worker.id restarted, sees a death.
        assertThat(new JobStarts(ledger, "w", 1).decide("kite-6", 1).quarantined()).isTrue();
        // Let go alive: nobody counts it.
        starts.released("kite-6");
        assertThat(new JobStarts(ledger, "w", 1).decide("kite-6", 1).crashes()).isZero();
    }

    @Test
    void aStopPastItsGraceLetsGoOfTheJobsStillRunningAlive() throws Exception {
        MapLedger ledger = new MapLedger();
        JobHandler handler = handler(() -> true, new JobStarts(ledger, "w", 1));
        handle(handler, jobRecord("slow-1"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!ledger.writes.contains("slow-1 running=true") && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        CompletableFuture<Void> letGo = new CompletableFuture<>();
        context.runOnContext(
                v -> handler.letGoOfUnfinished().onComplete(ar -> letGo.complete(null)));
        letGo.get(10, TimeUnit.SECONDS);
        assertThat(ledger.writes).containsExactly("slow-1 running=true", "slow-1 running=false");
        assertThat(new JobStarts(ledger, "w", 1).decide("slow-1", 1).quarantined())
                .as("a clean stop is not a death")
                .isFalse();
    }

    @Test
    void aJobWhosePartitionMovesWhileItRunsIsLetGoAliveNotCountedAsADeath() throws Exception {
        MapLedger ledger = new MapLedger();
        java.util.concurrent.atomic.AtomicBoolean ours =
                new java.util.concurrent.atomic.AtomicBoolean(true);
        JobHandler handler = handler(ours::get, new JobStarts(ledger, "w", 1));
        handle(handler, jobRecord("slow-2"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!ledger.writes.contains("slow-2 running=true") && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        // A rebalance that keeps the partition changes nothing.
        onContext(handler::letGoOfMoved);
        assertThat(ledger.writes).containsExactly("slow-2 running=true");

        // The partition goes to another worker while the job still runs here.
        ours.set(false);
        onContext(handler::letGoOfMoved);
        assertThat(ledger.writes).containsExactly("slow-2 running=true", "slow-2 running=false");
        assertThat(new JobStarts(ledger, "w", 1).decide("slow-2", 1).quarantined())
                .as("its new owner does not count a death")
                .isFalse();
        // Once let go, a later stop has nothing more to write for it.
        CompletableFuture<Void> letGo = new CompletableFuture<>();
        context.runOnContext(
                v -> handler.letGoOfUnfinished().onComplete(ar -> letGo.complete(null)));
        letGo.get(10, TimeUnit.SECONDS);
        assertThat(ledger.writes).hasSize(2);
    }

    @Test
    void aResultDoesNotDeleteAStartAnotherProcessRecordedSince() {
        MapLedger ledger = new MapLedger();
        JobStarts here = new JobStarts(ledger, "w", 2);
        here.record("kite-8", here.decide("kite-8", 1));
        here.released("kite-8"); // its partition moved
        JobStarts there = new JobStarts(ledger, "w-2", 2);
        there.record("kite-8", there.decide("kite-8", 1));

        // The first process's result comes out: the new owner's start is left to it.
        here.finished("kite-8");
        assertThat(ledger.records.get("kite-8").running()).isTrue();
        assertThat(ledger.records.get("kite-8").workerId()).isEqualTo("w-2");
        // Its own result deletes it; a quarantine deletes whatever is there.
        there.finished("kite-8");
        assertThat(ledger.records).doesNotContainKey("kite-8");
        there.record("kite-9", there.decide("kite-9", 1));
        here.cleared("kite-9");
        assertThat(ledger.records).doesNotContainKey("kite-9");
    }

    private void onContext(Runnable action) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        context.runOnContext(
                v -> {
                    action.run();
                    done.complete(null);
                });
        done.get(10, TimeUnit.SECONDS);
    }

    private static String header(ProducerRecord<String, byte[]> record, String name) {
        return new String(
                record.headers().lastHeader(name).value(), java.nio.charset.StandardCharsets.UTF_8);
    }
}
