package org.lamaworker.worker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.Vertx;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.app.WorkerVerticle;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.testing.Corpus;
import org.lamaworker.worker.testing.ResultsReader;
import org.lamaworker.worker.testing.TestServers;
import org.slf4j.LoggerFactory;

/**
 * Hostile and odd input against a real broker and S3 server: every case gets its own error code (or
 * succeeds where it is legitimate), unreadable records land on the dead-letter topic with their
 * original bytes, the worker serves the next job, and the S3 secret never reaches a log line or a
 * result.
 */
class HostileInputIT {
    private static final String BUCKET = "hostile-it";
    private static final String FORBIDDEN_BUCKET = "hostile-it-private";
    private static final Duration WAIT = Duration.ofMinutes(4);

    private static TestServers servers;
    private static Vertx vertx;
    private static WorkerConfig config;
    private static String run;
    private static ListAppender<ILoggingEvent> logs;

    @BeforeAll
    static void startWorker() throws Exception {
        logs = new ListAppender<>();
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        servers = TestServers.get();
        run = "hostile-" + UUID.randomUUID().toString().substring(0, 8);
        servers.createTopics(
                Map.of(run + ".jobs", 2, run + ".results", 2, run + ".events", 1, run + ".dlq", 1));
        servers.createBucket(BUCKET);
        servers.createBucket(FORBIDDEN_BUCKET);
        Map<String, String> settings = servers.workerSettings(run, BUCKET);
        settings.put("storage.allowedBuckets", BUCKET);
        settings.put("topics.deadLetter", run + ".dlq");
        config = ConfigLoader.load(null, Map.of(), settings);
        vertx = Vertx.vertx();
        vertx.deployVerticle(new WorkerVerticle(config))
                .toCompletionStage()
                .toCompletableFuture()
                .get(2, TimeUnit.MINUTES);
    }

    @AfterAll
    static void stopWorker() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
        }
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    }

    private static byte[] job(String id, ObjectRef image, ObjectRef mask) {
        return JsonCodec.encode(InpaintJob.of(id, image, mask));
    }

    private static ObjectRef ref(String key) {
        return new ObjectRef(BUCKET, key);
    }

    @Test
    void everyHostileInputGetsItsCodeAndTheWorkerKeepsServing() throws Exception {
        byte[] coffee = Corpus.bytes("coffee.png");
        byte[] coffeeMask = Corpus.bytes("coffee.mask.png");
        byte[] kite = Corpus.bytes("kite.jpg");
        servers.put(BUCKET, "in/coffee.png", coffee);
        servers.put(BUCKET, "in/coffee.mask.png", coffeeMask);
        servers.put(FORBIDDEN_BUCKET, "in/coffee.png", coffee);
        servers.put(BUCKET, "in/empty.png", new byte[0]);
        servers.put(BUCKET, "in/text.png", "hello, I am not a picture\n".getBytes(UTF_8));
        servers.put(BUCKET, "in/truncated.jpg", Arrays.copyOf(kite, kite.length / 2));
        servers.put(BUCKET, "in/kite.mask.png", Corpus.bytes("kite.mask.png"));
        servers.put(BUCKET, "in/huge.png", hugeBlankPng(30_000, 30_000));
        servers.put(BUCKET, "in/heic.heic", heicHeader());
        servers.put(BUCKET, "in/white.mask.png", solidMask(600, 400, 0xffffffff));
        servers.put(BUCKET, "in/specks.mask.png", specksMask(600, 400, 10));
        servers.put(BUCKET, "in/rocket-5k.jpg", Corpus.bytes("rocket-5k.jpg"));
        servers.put(BUCKET, "in/rocket-5k.mask.png", Corpus.bytes("rocket-5k.mask.png"));
        servers.put(BUCKET, "in/animated.webp", Corpus.bytes("formats/coffee-animated.webp"));
        byte[] damagedWebp = Corpus.bytes("formats/chelsea-alpha-lossy.webp");
        damagedWebp[40] ^= 0x5a; // in the alpha plane: libwebp reports it as out of memory
        servers.put(BUCKET, "in/damaged.webp", damagedWebp);
        servers.put(BUCKET, "in/chelsea.mask.png", Corpus.bytes("chelsea.mask.png"));
        ObjectRef image = ref("in/coffee.png");
        ObjectRef mask = ref("in/coffee.mask.png");

        Map<String, byte[]> records = new LinkedHashMap<>();
        records.put("malformed", "{\"version\":1,\"jobId\":\"malformed\",".getBytes(UTF_8));
        records.put(
                "future-version",
                "{\"version\":99,\"jobId\":\"future-version\",\"anything\":true}".getBytes(UTF_8));
        records.put(
                "missing-fields", "{\"version\":1,\"jobId\":\"missing-fields\"}".getBytes(UTF_8));
        records.put(
                "illegal-id",
                ("{\"version\":1,\"jobId\":\"../../etc/passwd\",\"image\":{\"bucket\":\""
                                + BUCKET
                                + "\",\"key\":\"in/coffee.png\"},\"mask\":{\"bucket\":\""
                                + BUCKET
                                + "\",\"key\":\"in/coffee.mask.png\"}}")
                        .getBytes(UTF_8));
        records.put("image-missing", job("image-missing", ref("in/nothing.png"), mask));
        records.put(
                "forbidden-bucket",
                job("forbidden-bucket", new ObjectRef(FORBIDDEN_BUCKET, "in/coffee.png"), mask));
        records.put("zero-bytes", job("zero-bytes", ref("in/empty.png"), mask));
        records.put("text-as-png", job("text-as-png", ref("in/text.png"), mask));
        records.put(
                "truncated-jpeg",
                job("truncated-jpeg", ref("in/truncated.jpg"), ref("in/kite.mask.png")));
        records.put("huge-png", job("huge-png", ref("in/huge.png"), mask));
        records.put("heic", job("heic", ref("in/heic.heic"), mask));
        records.put("animated-webp", job("animated-webp", ref("in/animated.webp"), mask));
        records.put(
                "damaged-webp",
                job("damaged-webp", ref("in/damaged.webp"), ref("in/chelsea.mask.png")));
        records.put("wrong-size-mask", job("wrong-size-mask", image, ref("in/rocket-5k.mask.png")));
        records.put("specks-mask", job("specks-mask", image, ref("in/specks.mask.png")));
        records.put(
                "dot-dot-output",
                JsonCodec.encode(
                        new InpaintJob(
                                1,
                                "dot-dot-output",
                                image,
                                mask,
                                ref("results/../../escape.png"),
                                null,
                                null,
                                null)));
        records.put("white-mask", job("white-mask", image, ref("in/white.mask.png")));
        records.put("five-k", job("five-k", ref("in/rocket-5k.jpg"), ref("in/rocket-5k.mask.png")));
        records.put("good-after-all", job("good-after-all", image, mask));

        Properties producerConfig = new Properties();
        producerConfig.put("bootstrap.servers", servers.bootstrapServers());
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(
                        producerConfig, new StringSerializer(), new ByteArraySerializer())) {
            for (Map.Entry<String, byte[]> record : records.entrySet()) {
                ProducerRecord<String, byte[]> r =
                        new ProducerRecord<>(run + ".jobs", record.getKey(), record.getValue());
                r.headers().add("trace", record.getKey().getBytes(UTF_8));
                producer.send(r).get();
            }
        }

        Map<String, InpaintResult> results;
        try (ResultsReader<InpaintResult> reader =
                new ResultsReader<>(
                        servers.bootstrapServers(), run + ".results", JsonCodec::decodeResult)) {
            results = reader.await(records.keySet(), WAIT);
        }
        Map<String, ErrorCode> expected = new LinkedHashMap<>();
        expected.put("malformed", ErrorCode.MALFORMED_JOB);
        expected.put("future-version", ErrorCode.UNSUPPORTED_VERSION);
        expected.put("missing-fields", ErrorCode.INVALID_JOB);
        expected.put("illegal-id", ErrorCode.INVALID_JOB);
        expected.put("image-missing", ErrorCode.IMAGE_NOT_FOUND);
        expected.put("forbidden-bucket", ErrorCode.BUCKET_NOT_ALLOWED);
        expected.put("zero-bytes", ErrorCode.IMAGE_DECODE_FAILED);
        expected.put("text-as-png", ErrorCode.UNSUPPORTED_IMAGE_FORMAT);
        expected.put("truncated-jpeg", ErrorCode.IMAGE_DECODE_FAILED);
        expected.put("huge-png", ErrorCode.IMAGE_TOO_LARGE);
        expected.put("heic", ErrorCode.UNSUPPORTED_IMAGE_FORMAT);
        expected.put("animated-webp", ErrorCode.UNSUPPORTED_IMAGE_FORMAT);
        expected.put("damaged-webp", ErrorCode.IMAGE_DECODE_FAILED);
        expected.put("wrong-size-mask", ErrorCode.MASK_SIZE_MISMATCH);
        expected.put("specks-mask", ErrorCode.MASK_TOO_COMPLEX);
        expected.put("dot-dot-output", ErrorCode.OUTPUT_KEY_NOT_ALLOWED);
        Map<String, String> actual = new LinkedHashMap<>();
        results.forEach(
                (id, r) ->
                        actual.put(
                                id,
                                r.status() == JobStatus.SUCCEEDED
                                        ? "SUCCEEDED"
                                        : r.error().code()));
        Map<String, String> wanted = new LinkedHashMap<>();
        expected.forEach((id, code) -> wanted.put(id, code.name()));
        wanted.put("white-mask", "SUCCEEDED");
        wanted.put("five-k", "SUCCEEDED");
        wanted.put("good-after-all", "SUCCEEDED");
        assertThat(actual).containsExactlyInAnyOrderEntriesOf(wanted);
        assertThat(results.get("huge-png").error().message()).contains("30000x30000");
        assertThat(results.get("illegal-id").error().message()).contains("jobId");
        assertThat(results.get("five-k").output().width()).isEqualTo(5120);
        assertThat(results).allSatisfy((id, r) -> assertThat(r.attempt()).isEqualTo(1));

        // Records that could not be read are on the dead-letter topic, bytes and headers intact.
        Map<String, ConsumerRecord<String, byte[]>> dead = deadLetters(4);
        assertThat(dead)
                .containsOnlyKeys("malformed", "future-version", "missing-fields", "illegal-id");
        for (ConsumerRecord<String, byte[]> d : dead.values()) {
            assertThat(d.value()).isEqualTo(records.get(d.key()));
            assertThat(header(d, "trace")).isEqualTo(d.key());
            assertThat(header(d, "lama.dlq.topic")).isEqualTo(run + ".jobs");
            assertThat(Long.parseLong(header(d, "lama.dlq.offset"))).isNotNegative();
            assertThat(header(d, "lama.dlq.partition")).matches("[01]");
            assertThat(header(d, "lama.dlq.message")).isNotBlank();
        }
        assertThat(header(dead.get("malformed"), "lama.dlq.reason")).isEqualTo("MALFORMED_JOB");
        assertThat(header(dead.get("future-version"), "lama.dlq.reason"))
                .isEqualTo("UNSUPPORTED_VERSION");

        // The secret never appears in a log line, a logged exception or a result.
        String secret = servers.secretKey();
        List<String> logged = new ArrayList<>();
        for (ILoggingEvent event : logs.list) {
            logged.add(event.getFormattedMessage());
            for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                logged.add(t.getClassName() + ": " + t.getMessage());
            }
        }
        logged.add(config.toString());
        assertThat(logged).isNotEmpty().noneMatch(line -> line != null && line.contains(secret));
        assertThat(results.values())
                .noneMatch(r -> new String(JsonCodec.encode(r), UTF_8).contains(secret));
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), UTF_8);
    }

    private Map<String, ConsumerRecord<String, byte[]>> deadLetters(int count) {
        Properties props = new Properties();
        props.put("bootstrap.servers", servers.bootstrapServers());
        Map<String, ConsumerRecord<String, byte[]>> byKey = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(run + ".dlq", 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (byKey.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    byKey.put(r.key(), r);
                }
            }
        }
        return byKey;
    }

    /**
     * A valid PNG header declaring {@code w x h} grey 1-bit pixels, with all-zero rows deflated:
     * tiny on the wire, 112 MB of pixels if anyone decoded it.
     */
    static byte[] hugeBlankPng(int w, int h) throws IOException {
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (DeflaterOutputStream z =
                new DeflaterOutputStream(idat, new Deflater(Deflater.BEST_COMPRESSION))) {
            byte[] row = new byte[1 + (w + 7) / 8];
            for (int y = 0; y < h; y++) {
                z.write(row);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(png);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream header = new DataOutputStream(ihdr);
        header.writeInt(w);
        header.writeInt(h);
        header.write(new byte[] {1, 0, 0, 0, 0});
        chunk(out, "IHDR", ihdr.toByteArray());
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        out.writeInt(data.length);
        byte[] name = type.getBytes(UTF_8);
        out.write(name);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }

    /** The start of an HEIC file: an ISO BMFF {@code ftyp} box with brand {@code heic}. */
    private static byte[] heicHeader() {
        byte[] box = new byte[64];
        byte[] start = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0, 0, 0, 0};
        System.arraycopy(start, 0, box, 0, start.length);
        return box;
    }

    private static byte[] solidMask(int w, int h, int argb) throws IOException {
        BufferedImage mask = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                mask.setRGB(x, y, argb);
            }
        }
        return png(mask);
    }

    /** Single white pixels {@code step} apart: thousands of separate parts after growth. */
    private static byte[] specksMask(int w, int h, int step) throws IOException {
        BufferedImage mask = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y += step) {
            for (int x = 0; x < w; x += step) {
                mask.setRGB(x, y, 0xffffffff);
            }
        }
        return png(mask);
    }

    private static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
