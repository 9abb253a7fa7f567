package org.lamaworker.worker.console;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The browser console (issue 16): a page served by the worker where a person paints a mask on a
 * picture and watches it go through the real path, S3 upload, a v1 job on the jobs topic, its start
 * on the attempts topic and its result on the results topic, beside a view of the fleet. It exists
 * because people judge an inpainting system by looking at pictures, and because an operator should
 * not need Prometheus text to see the fleet.
 *
 * <p>It owns everything it uses, and closes it: its HTTP server, a Kafka producer (acks=all), the
 * follower thread's consumer, an admin client for the group's lag, its S3 client, and a bounded
 * pool ({@code lama-console}, {@value #POOL_THREADS} threads) for the S3 client's blocking reads.
 * It reads this worker's gauges from the metrics registry, never the worker's objects.
 */
public final class Console {
    private static final Logger LOG = LoggerFactory.getLogger(Console.class);

    /** Threads of the console's pool: uploads and downloads of the page's pictures. */
    static final int POOL_THREADS = 4;

    private final Vertx vertx;
    private final WorkerExecutor pool;
    private final ObjectStore store;
    private final KafkaProducer<String, byte[]> producer;
    private final TopicFollower follower;
    private final GroupLag lag;
    private final ConsoleServer server;
    private final String host;
    private long timer = -1;
    private boolean measuring;

    private Console(
            Vertx vertx,
            WorkerExecutor pool,
            ObjectStore store,
            KafkaProducer<String, byte[]> producer,
            TopicFollower follower,
            GroupLag lag,
            ConsoleServer server,
            String host) {
        this.vertx = vertx;
        this.pool = pool;
        this.store = store;
        this.producer = producer;
        this.follower = follower;
        this.lag = lag;
        this.server = server;
        this.host = host;
    }

    /**
     * Starts the console for a worker with this configuration; completes once it listens and
     * follows the topics.
     *
     * @param registry the worker's metrics, whose gauges the fleet view reads
     * @param modelId the worker's model id, {@code null} until loaded
     */
    public static Future<Console> start(
            Vertx vertx, WorkerConfig config, MeterRegistry registry, Supplier<String> modelId) {
        WorkerConfig.Kafka kafka = config.kafka();
        WorkerConfig.Console settings = config.console();
        boolean configuredReference =
                config.model().path() == null && config.model().remote() == null;
        Supplier<Boolean> reference =
                () -> configuredReference || FleetView.isReference(modelId.get());
        long now = System.currentTimeMillis();
        ConsoleJobs jobs = new ConsoleJobs(settings.maxJobs());
        FleetView fleet = new FleetView(registry, config.workerId());
        fleet.sample(now);
        WorkerExecutor pool = vertx.createSharedWorkerExecutor("lama-console", POOL_THREADS);
        // Outputs may be larger than the inputs the limit is for (a JPEG written as PNG).
        long readLimit = Math.min(Integer.MAX_VALUE - 64L, 4 * config.image().maxBytes());
        // A client that cannot be built (a bad kafka.* setting, an unreadable s3.caFile) fails the
        // start; what was built before it is closed.
        ObjectStore store;
        try {
            store = new ObjectStore(vertx, config.storage(), pool, readLimit);
        } catch (RuntimeException e) {
            return pool.close().transform(ar -> Future.failedFuture(e));
        }
        KafkaProducer<String, byte[]> producer;
        try {
            producer = producer(vertx, kafka, config.workerId());
        } catch (RuntimeException e) {
            store.close();
            return pool.close().transform(ar -> Future.failedFuture(e));
        }
        GroupLag lag;
        try {
            lag = new GroupLag(kafka, config.workerId());
        } catch (RuntimeException e) {
            store.close();
            return producer.close()
                    .transform(ar -> pool.close())
                    .transform(ar -> Future.failedFuture(e));
        }
        TopicFollower follower =
                new TopicFollower(kafka, config.workerId(), jobs, fleet, System::currentTimeMillis);
        ConsoleServer.Gateway gateway =
                new ConsoleServer.Gateway() {
                    @Override
                    public Future<Void> upload(ObjectRef ref, byte[] bytes, String contentType) {
                        return store.put(ref, bytes, contentType).mapEmpty();
                    }

                    @Override
                    public Future<Void> produce(InpaintJob job) {
                        return producer.send(
                                        KafkaProducerRecord.create(
                                                kafka.jobsTopic(),
                                                job.jobId(),
                                                JsonCodec.encode(job)))
                                .mapEmpty();
                    }

                    @Override
                    public Future<byte[]> read(ObjectRef ref) {
                        return store.get(ref, ErrorCode.IMAGE_NOT_FOUND);
                    }
                };
        ConsoleServer server =
                new ConsoleServer(
                        new ConsoleServer.Settings(
                                config.workerId(),
                                modelId,
                                configuredReference,
                                config.image().maxBytes(),
                                config.image().maxPixels(),
                                config.storage().bucket(),
                                config.storage().outputPrefix(),
                                config.image().outputFormat(),
                                defaults(config),
                                kafka.jobsTopic()),
                        gateway,
                        pool,
                        jobs,
                        () ->
                                fleet.view(
                                                System.currentTimeMillis(),
                                                modelId.get(),
                                                reference.get())
                                        .put("followerProblem", follower.problem()),
                        System::currentTimeMillis);
        Console console =
                new Console(vertx, pool, store, producer, follower, lag, server, settings.host());
        return Future.fromCompletionStage(follower.start(), vertx.getOrCreateContext())
                .compose(
                        positioned ->
                                server.listen(
                                        vertx,
                                        settings.host(),
                                        settings.port(),
                                        settings.allowedHosts()))
                .map(
                        listening -> {
                            console.timer =
                                    vertx.setPeriodic(
                                            FleetView.SAMPLE_MILLIS, id -> console.sample(fleet));
                            LOG.info("Console on {}", console.url());
                            return console;
                        })
                .recover(e -> console.close().transform(ar -> Future.failedFuture(e)));
    }

    private static KafkaProducer<String, byte[]> producer(
            Vertx vertx, WorkerConfig.Kafka kafka, String clientId) {
        Map<String, String> config = new HashMap<>(kafka.clientProperties());
        config.put("bootstrap.servers", kafka.bootstrapServers());
        config.put("client.id", clientId + "-console-jobs");
        config.put("key.serializer", StringSerializer.class.getName());
        config.put("value.serializer", ByteArraySerializer.class.getName());
        config.put("acks", "all");
        config.put("enable.idempotence", "true");
        config.put("delivery.timeout.ms", "30000");
        config.put("request.timeout.ms", "10000");
        config.put("linger.ms", "0");
        return KafkaProducer.create(vertx, config);
    }

    /** What a job gets when it sets no option: the page starts from these. */
    private static JsonObject defaults(WorkerConfig config) {
        return new JsonObject()
                .put(
                        "strategy",
                        config.inference().defaultStrategy().name().toLowerCase(Locale.ROOT))
                .put("maskDilatePx", config.image().maskDilatePx())
                .put("fillHoles", config.image().fillHoles())
                .put("format", config.image().outputFormat());
    }

    /** One sample of the fleet view, and the group's lag unless the last ask is still out. */
    private void sample(FleetView fleet) {
        fleet.sample(System.currentTimeMillis());
        if (measuring) {
            return;
        }
        measuring = true;
        Future.fromCompletionStage(lag.measure(), vertx.getOrCreateContext())
                .onComplete(
                        ar -> {
                            measuring = false;
                            if (ar.succeeded()) {
                                fleet.lag(ar.result());
                            } else {
                                fleet.lagUnknown(
                                        "the broker did not say: " + rootMessage(ar.cause()));
                            }
                        });
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    /** The port it listens on. */
    public int port() {
        return server.port();
    }

    /** Where a browser on this machine opens it, e.g. {@code http://127.0.0.1:8082/}. */
    public String url() {
        String shown = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
        if (shown.contains(":") && !shown.startsWith("[")) {
            shown = "[" + shown + "]";
        }
        return "http://" + shown + ":" + port() + "/";
    }

    /**
     * Stops serving and closes what it created: server, follower, admin client, producer (after a
     * flush), S3 client and pool.
     */
    public Future<Void> close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        return server.close()
                .transform(ar -> producer.close())
                .transform(
                        ar ->
                                pool.executeBlocking(
                                        () -> {
                                            follower.close();
                                            lag.close();
                                            return null;
                                        },
                                        false))
                .transform(
                        ar -> {
                            store.close();
                            return pool.close();
                        });
    }
}
