package org.lamaworker.worker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.worker.storage.HttpModelDownload.Fetched;
import org.lamaworker.worker.storage.ModelDownloadException.Kind;
import org.lamaworker.worker.testing.SelfSignedCertificate;

/**
 * The HTTP model download against a local server whose misbehaviour each test chooses: cut
 * connections, stalls, servers that ignore Range, wrong bytes, error statuses, TLS. The "model" is
 * 3 MB of random bytes; nothing leaves 127.0.0.1.
 */
class HttpModelDownloadTest {
    private static final byte[] MODEL = randomBytes(3_000_000, 42);
    private static final String SHA256 = sha256(MODEL);
    private static final String NO_RANGE = "(none)";
    private static final long WAIT_SECONDS = 30;
    private static final DownloadProgress NONE = DownloadProgress.NONE;

    private static final HttpClient CLIENT =
            HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();

    @TempDir Path cache;

    private Source source;
    private Path target;

    @BeforeEach
    void start() throws IOException {
        source = Source.start(null);
        target = ModelCache.cachedFile(cache, SHA256, "model.onnx");
    }

    @AfterEach
    void stop() {
        source.close();
    }

    /** Few attempts, short waits: the tests' failures come quickly. */
    private static HttpModelDownload download(HttpClient client, Duration idle) {
        return new HttpModelDownload(
                client, 4, Duration.ofMillis(10), Duration.ofSeconds(WAIT_SECONDS), idle);
    }

    private Fetched fetch() throws Exception {
        return download(CLIENT, Duration.ofSeconds(WAIT_SECONDS))
                .fetch(source.uri("/models/model.onnx"), target, MODEL.length, SHA256, NONE);
    }

    @Test
    void downloadsVerifiesAndThenReusesTheFileWithoutARequest() throws Exception {
        List<long[]> progress = new ArrayList<>();
        Fetched first =
                download(CLIENT, Duration.ofSeconds(WAIT_SECONDS))
                        .fetch(
                                source.uri("/models/model.onnx"),
                                target,
                                MODEL.length,
                                SHA256,
                                (bytes, total) -> progress.add(new long[] {bytes, total}));

        assertThat(first).isEqualTo(new Fetched(target, false));
        assertThat(Files.readAllBytes(target)).isEqualTo(MODEL);
        assertThat(part()).doesNotExist();
        assertThat(progress.get(0)).containsExactly(0, MODEL.length);
        assertThat(progress.get(progress.size() - 1)).containsExactly(MODEL.length, MODEL.length);

        assertThat(fetch()).isEqualTo(new Fetched(target, true));
        assertThat(source.requests).hasValue(1);
    }

    @Test
    void resumesACutConnectionWithARangeRequest() throws Exception {
        source.cutFirstAfter = 1_000_000;

        assertThat(fetch().reused()).isFalse();

        assertThat(source.ranges).containsExactly(NO_RANGE, "bytes=1000000-");
        assertThat(Files.readAllBytes(target)).isEqualTo(MODEL);
        assertThat(part()).doesNotExist();
    }

    @Test
    void resumesAPartialFileLeftByAnEarlierRun() throws Exception {
        leavePart(Arrays.copyOf(MODEL, 1_234_567));

        fetch();

        assertThat(source.ranges).containsExactly("bytes=1234567-");
        assertThat(Files.readAllBytes(target)).isEqualTo(MODEL);
    }

    @Test
    void startsOverWhenTheSourceSendsTheWholeFileInsteadOfTheRest() throws Exception {
        leavePart(randomBytes(500_000, 7));
        source.ignoreRanges = true;

        fetch();

        assertThat(source.ranges).containsExactly("bytes=500000-");
        assertThat(Files.readAllBytes(target)).isEqualTo(MODEL);
    }

    @Test
    void aLeftoverThatSpoilsTheFileIsDroppedAndTheFileFetchedFromTheStart() throws Exception {
        // Bytes of some other file: resuming after them yields the right size, the wrong hash.
        leavePart(randomBytes(1_000_000, 7));

        fetch();

        assertThat(source.ranges).containsExactly("bytes=1000000-", NO_RANGE);
        assertThat(Files.readAllBytes(target)).isEqualTo(MODEL);
    }

    @Test
    void resumesABodyThatStalls() throws Exception {
        source.cutFirstAfter = 1_000_000;
        source.stallBeforeCut = new CountDownLatch(1);

        download(CLIENT, Duration.ofSeconds(1))
                .fetch(source.uri("/m.onnx"), target, MODEL.length, SHA256, NONE);

        assertThat(source.ranges).hasSize(2);
        // Whatever had arrived when the silence was noticed is asked for no more.
        assertThat(source.ranges.get(1)).matches("bytes=[1-9][0-9]*-");
        assertThat(Files.readAllBytes(target)).isEqualTo(MODEL);
    }

    @Test
    void refusesAFileOfTheWrongSizeAndKeepsNothing() {
        source.content = Arrays.copyOf(MODEL, MODEL.length - 1000);

        assertThatThrownBy(this::fetch)
                .isInstanceOfSatisfying(
                        ModelDownloadException.class,
                        e -> assertThat(e.kind()).isEqualTo(Kind.SIZE_MISMATCH))
                .hasMessageContaining(
                        "is " + (MODEL.length - 1000) + " bytes, expected " + MODEL.length);
        assertThat(target).doesNotExist();
        assertThat(part()).doesNotExist();
    }

    @Test
    void refusesWrongBytesAndKeepsNothing() {
        byte[] other = MODEL.clone();
        other[other.length / 2] ^= 1;
        source.content = other;

        assertThatThrownBy(this::fetch)
                .isInstanceOfSatisfying(
                        ModelDownloadException.class,
                        e -> assertThat(e.kind()).isEqualTo(Kind.CHECKSUM_MISMATCH))
                .hasMessageContaining("has SHA-256 " + sha256(other) + ", expected " + SHA256);
        assertThat(target).doesNotExist();
        assertThat(part()).doesNotExist();
    }

    @Test
    void replacesAFileInTheCacheThatIsNotThePinnedOne() throws Exception {
        Files.createDirectories(target.getParent());
        Files.write(target, randomBytes(MODEL.length, 7));

        assertThat(fetch().reused()).isFalse();

        assertThat(Files.readAllBytes(target)).isEqualTo(MODEL);
    }

    @Test
    void twoThreadsFetchingTheSameFileMakeOneDownload() throws Exception {
        CountDownLatch requested = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        source.beforeBody =
                () -> {
                    requested.countDown();
                    await(answer);
                };
        FutureTask<Fetched> first = new FutureTask<>(this::fetch);
        FutureTask<Fetched> second = new FutureTask<>(this::fetch);
        Thread one = new Thread(first, "fetch-1");
        Thread two = new Thread(second, "fetch-2");
        try {
            one.start();
            assertThat(requested.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            two.start();
            // The second waits for the first's lock while the first's download is held open.
            awaitState(two, Thread.State.WAITING);
        } finally {
            answer.countDown();
        }

        assertThat(first.get(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo(new Fetched(target, false));
        assertThat(second.get(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo(new Fetched(target, true));
        assertThat(source.requests).hasValue(1);
        assertThat(Files.readAllBytes(target)).isEqualTo(MODEL);
    }

    @Test
    void anUnreachableSourceSaysHowToGoOnWithoutIt() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        URI unreachable =
                URI.create(
                        "http://user:pa55@127.0.0.1:"
                                + closedPort
                                + "/models/model.onnx?token=s3cr3t");

        assertThatThrownBy(
                        () ->
                                download(CLIENT, Duration.ofSeconds(WAIT_SECONDS))
                                        .fetch(unreachable, target, MODEL.length, SHA256, NONE))
                .isInstanceOfSatisfying(
                        ModelDownloadException.class,
                        e -> assertThat(e.kind()).isEqualTo(Kind.UNREACHABLE))
                .hasMessageContaining(
                        "Could not reach http://127.0.0.1:" + closedPort + "/models/model.onnx:")
                .hasMessageContaining("place the file by hand at " + target)
                .hasMessageContaining("model.path=s3://")
                .hasMessageContaining("model.mirror")
                .message()
                .doesNotContain("s3cr3t")
                .doesNotContain("pa55");
        assertThat(part()).doesNotExist();
    }

    @Test
    void anErrorStatusIsNamed() {
        source.status = 404;

        assertThatThrownBy(this::fetch)
                .isInstanceOfSatisfying(
                        ModelDownloadException.class,
                        e -> assertThat(e.kind()).isEqualTo(Kind.HTTP_STATUS))
                .hasMessageContaining("/models/model.onnx answered HTTP 404")
                .message()
                .doesNotContain("sig=");
        assertThat(source.requests).hasValue(1);
    }

    @Test
    void aServerErrorIsTriedAgainThenNamed() {
        source.status = 503;

        assertThatThrownBy(this::fetch)
                .isInstanceOfSatisfying(
                        ModelDownloadException.class,
                        e -> assertThat(e.kind()).isEqualTo(Kind.HTTP_STATUS))
                .hasMessageContaining("answered HTTP 503");
        assertThat(source.requests).hasValue(4);
    }

    @Test
    void downloadsOverHttpsFromATrustedCertificateOnly(@TempDir Path keys) throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.create(keys, "model-source");
        try (Source tls = Source.start(certificate.serverContext())) {
            URI uri = tls.uri("/models/model.onnx");
            assertThat(uri.getScheme()).isEqualTo("https");

            HttpClient untrusting =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            assertThatThrownBy(
                            () ->
                                    download(untrusting, Duration.ofSeconds(WAIT_SECONDS))
                                            .fetch(uri, target, MODEL.length, SHA256, NONE))
                    .isInstanceOfSatisfying(
                            ModelDownloadException.class,
                            e -> assertThat(e.kind()).isEqualTo(Kind.UNREACHABLE))
                    .hasMessageContaining("TLS handshake failed");

            HttpClient trusting =
                    HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .sslContext(certificate.clientContext())
                            .build();
            Fetched fetched =
                    download(trusting, Duration.ofSeconds(WAIT_SECONDS))
                            .fetch(uri, target, MODEL.length, SHA256, NONE);
            assertThat(fetched.reused()).isFalse();
            assertThat(Files.readAllBytes(target)).isEqualTo(MODEL);
        }
    }

    @Test
    void refusesWhatIsNotAnHttpUrlOrAChecksum() {
        HttpModelDownload download = download(CLIENT, Duration.ofSeconds(1));
        assertThatThrownBy(
                        () ->
                                download.fetch(
                                        URI.create("ftp://host/m.onnx"), target, -1, SHA256, NONE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(
                        () ->
                                download.fetch(
                                        source.uri("/m.onnx"), target, -1, "not-a-checksum", NONE))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** A partial download as an earlier run would have left it. */
    private void leavePart(byte[] bytes) throws IOException {
        Files.createDirectories(target.getParent());
        Files.write(part(), bytes);
    }

    private Path part() {
        return target.resolveSibling(target.getFileName() + ".part");
    }

    /** Waits, boundedly, until {@code thread} is parked (here: on the download lock). */
    private static void awaitState(Thread thread, Thread.State state) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (thread.getState() != state) {
            assertThat(thread.getState())
                    .as("%s ended early", thread)
                    .isNotEqualTo(Thread.State.TERMINATED);
            assertThat(System.nanoTime()).as("%s never got %s", thread, state).isLessThan(deadline);
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The "model" server: serves {@link #content} with Range support, records each request's Range
     * header, and misbehaves as a test sets it to.
     */
    static final class Source implements AutoCloseable {
        final AtomicInteger requests = new AtomicInteger();
        final List<String> ranges = new CopyOnWriteArrayList<>();
        volatile byte[] content = MODEL;

        /** The first response sends this many bytes, then the connection is closed. */
        volatile int cutFirstAfter = -1;

        /** When set, the first response waits for it (bounded) before being cut. */
        volatile CountDownLatch stallBeforeCut;

        volatile boolean ignoreRanges;

        /** When not 0, every request gets this status and no body. */
        volatile int status;

        volatile Runnable beforeBody = () -> {};

        private final HttpServer server;
        private final ExecutorService handlers = Executors.newCachedThreadPool();

        private Source(HttpServer server) {
            this.server = server;
        }

        /** A server on 127.0.0.1 and a free port: HTTPS with {@code tls}, else HTTP. */
        static Source start(SSLContext tls) throws IOException {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            HttpServer server;
            if (tls == null) {
                server = HttpServer.create(address, 0);
            } else {
                HttpsServer https = HttpsServer.create(address, 0);
                https.setHttpsConfigurator(new HttpsConfigurator(tls));
                server = https;
            }
            Source source = new Source(server);
            server.createContext("/", source::handle);
            // Handlers that wait must not hold up the next request.
            server.setExecutor(source.handlers);
            server.start();
            return source;
        }

        URI uri(String path) {
            String scheme = server instanceof HttpsServer ? "https" : "http";
            return URI.create(
                    scheme + "://127.0.0.1:" + server.getAddress().getPort() + path + "?sig=x");
        }

        private void handle(HttpExchange exchange) throws IOException {
            int request = requests.incrementAndGet();
            String range = exchange.getRequestHeaders().getFirst("Range");
            ranges.add(range == null ? NO_RANGE : range);
            if (status != 0) {
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
                return;
            }
            byte[] body = content;
            boolean partial = range != null && !ignoreRanges;
            int from = partial ? Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1")) : 0;
            if (partial) {
                exchange.getResponseHeaders()
                        .set(
                                "Content-Range",
                                "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            }
            beforeBody.run();
            exchange.sendResponseHeaders(partial ? 206 : 200, body.length - from);
            OutputStream out = exchange.getResponseBody();
            int cut = request == 1 ? cutFirstAfter : -1;
            if (cut >= 0) {
                out.write(body, from, cut);
                out.flush();
                CountDownLatch stall = stallBeforeCut;
                if (stall != null) {
                    await(stall);
                }
                // A handler that throws makes the server close the connection mid-body.
                throw new IOException("connection cut by the test");
            }
            out.write(body, from, body.length - from);
            out.close();
        }

        @Override
        public void close() {
            CountDownLatch stall = stallBeforeCut;
            if (stall != null) {
                stall.countDown();
            }
            server.stop(0);
            handlers.shutdownNow();
        }
    }
}
