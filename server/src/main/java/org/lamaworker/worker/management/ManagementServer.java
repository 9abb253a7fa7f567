package org.lamaworker.worker.management;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The management HTTP port: {@code GET /health/live}, {@code GET /health/ready} (200 or 503, with a
 * a body that says why when not ready) and {@code GET /metrics} (Prometheus text format). It starts
 * before the worker so that probes get an answer, 503, while the model loads.
 */
public final class ManagementServer {
    private final HttpServer server;

    private ManagementServer(HttpServer server) {
        this.server = server;
    }

    /**
     * Starts listening.
     *
     * @param port 0 for a free one
     * @param live whether the worker is running
     * @param ready whether the worker can take jobs now
     */
    public static Future<ManagementServer> start(
            Vertx vertx,
            String host,
            int port,
            WorkerMetrics metrics,
            BooleanSupplier live,
            BooleanSupplier ready) {
        return start(vertx, host, port, metrics, live, () -> ready.getAsBoolean() ? null : "");
    }

    /**
     * Starts listening, with the reason a worker is not ready in the readiness answer's body (e.g.
     * {@code not ready: downloading model lama_fp32.onnx: 45% of 208.0 MB}).
     *
     * @param notReady why the worker cannot take jobs now, or {@code null} when it can
     */
    public static Future<ManagementServer> start(
            Vertx vertx,
            String host,
            int port,
            WorkerMetrics metrics,
            BooleanSupplier live,
            Supplier<String> notReady) {
        HttpServer server = vertx.createHttpServer();
        server.requestHandler(request -> handle(request, metrics, live, notReady));
        return server.listen(port, host)
                .map(ManagementServer::new)
                .recover(
                        failure ->
                                Future.failedFuture(
                                        inUse(failure)
                                                ? new IllegalStateException(
                                                        "the management port "
                                                                + port
                                                                + " on "
                                                                + host
                                                                + " is in use (another worker on"
                                                                + " this host?): set"
                                                                + " management.port"
                                                                + " (LAMA_MANAGEMENT_PORT) to a"
                                                                + " free port, 0 for any free"
                                                                + " port, or -1 for none",
                                                        failure)
                                                : failure));
    }

    /** Whether a listen failed because the address is taken. */
    private static boolean inUse(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException
                    || String.valueOf(t.getMessage()).contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    private static void handle(
            HttpServerRequest request,
            WorkerMetrics metrics,
            BooleanSupplier live,
            Supplier<String> notReady) {
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            request.response().setStatusCode(405).end();
            return;
        }
        switch (request.path()) {
            case "/health/live" -> health(request, live.getAsBoolean(), "live", "");
            case "/health/ready" -> {
                String reason = notReady.get();
                health(request, reason == null, "ready", reason == null ? "" : reason);
            }
            case "/metrics" ->
                    request.response()
                            .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                            .end(metrics.scrape());
            default -> request.response().setStatusCode(404).end("not found\n");
        }
    }

    private static void health(HttpServerRequest request, boolean up, String what, String why) {
        request.response()
                .setStatusCode(up ? 200 : 503)
                .putHeader("Content-Type", "text/plain; charset=utf-8")
                .end(up ? what + "\n" : "not " + what + (why.isEmpty() ? "" : ": " + why) + "\n");
    }

    /** The port it listens on. */
    public int port() {
        return server.actualPort();
    }

    /** Stops listening. */
    public Future<Void> close() {
        return server.close();
    }
}
