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
        return new JobHandler(
                vertx,
                this::process,
                ResultPublisher.over(producer, CONFIG.kafka()),
                new WorkerMetrics(),
                CONFIG,
                "model@0123456789ab",
                record -> stillOurs.getAsBoolean());
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
}
