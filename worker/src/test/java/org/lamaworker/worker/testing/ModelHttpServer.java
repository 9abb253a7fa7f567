package org.lamaworker.worker.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A model host on 127.0.0.1 for tests: serves files by path (with {@code Range} requests) in 4 KiB
 * chunks, counts the requests for each, and can send slowly, or hold every body after its first
 * chunk until released, so that a test sees a download in progress. Nothing in the tests talks to a
 * real model host.
 */
public final class ModelHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private volatile long pauseMillisPerChunk;
    private volatile java.util.concurrent.CountDownLatch gate =
            new java.util.concurrent.CountDownLatch(0);

    private ModelHttpServer(HttpServer server) {
        this.server = server;
    }

    /** Starts plain HTTP on a free loopback port. */
    public static ModelHttpServer start() throws IOException {
        return start(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
    }

    /** Starts HTTPS on a free loopback port, presenting the context's certificate. */
    public static ModelHttpServer startHttps(javax.net.ssl.SSLContext tls) throws IOException {
        com.sun.net.httpserver.HttpsServer https =
                com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
        return start(https);
    }

    private static ModelHttpServer start(HttpServer http) {
        ModelHttpServer server = new ModelHttpServer(http);
        http.createContext("/", server::handle);
        http.setExecutor(Executors.newCachedThreadPool());
        http.start();
        return server;
    }

    /** Serves {@code bytes} at {@code path} (e.g. {@code /models/x.onnx}); returns its URL. */
    public URI serve(String path, byte[] bytes) {
        files.put(path, bytes);
        return base().resolve(path);
    }

    /** {@code http://127.0.0.1:PORT/}, or {@code https://} for an HTTPS server. */
    public URI base() {
        String scheme = server instanceof com.sun.net.httpserver.HttpsServer ? "https" : "http";
        return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    /** Pauses this long after each 4 KiB chunk, so a download takes a while. */
    public void pauseMillisPerChunk(long millis) {
        this.pauseMillisPerChunk = millis;
    }

    /** Holds every response after its first chunk until {@link #release}. */
    public void hold() {
        gate = new java.util.concurrent.CountDownLatch(1);
    }

    /** Lets held responses go on. */
    public void release() {
        gate.countDown();
    }

    /** GET requests for {@code path} so far. */
    public int requests(String path) {
        AtomicInteger count = requests.get(path);
        return count == null ? 0 : count.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        byte[] body = files.get(path);
        if (body == null) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        int from = 0;
        String range = exchange.getRequestHeaders().getFirst("Range");
        if (range != null && range.matches("bytes=\\d+-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            exchange.getResponseHeaders()
                    .add(
                            "Content-Range",
                            "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            exchange.sendResponseHeaders(206, body.length - from);
        } else {
            exchange.sendResponseHeaders(200, body.length);
        }
        try (OutputStream out = exchange.getResponseBody()) {
            int chunk = 4096;
            for (int at = from; at < body.length; at += chunk) {
                out.write(body, at, Math.min(chunk, body.length - at));
                out.flush();
                if (at == from && !gate.await(2, java.util.concurrent.TimeUnit.MINUTES)) {
                    return;
                }
                long pause = pauseMillisPerChunk;
                if (pause > 0) {
                    Thread.sleep(pause);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away: nothing to answer
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
