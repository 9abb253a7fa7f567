package org.lamaworker.worker.management;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.BooleanSupplier;

/**
 * The management HTTP port: {@code GET /health/live}, {@code GET /health/ready} (200 or 503, with a
 * one-word body) and {@code GET /metrics} (Prometheus text format). It starts before the worker so
 * that probes get an answer, 503, while the model loads.
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
        HttpServer server = vertx.createHttpServer();
        server.requestHandler(request -> handle(request, metrics, live, ready));
        return server.listen(port, host).map(ManagementServer::new);
    }

    private static void handle(
            HttpServerRequest request,
            WorkerMetrics metrics,
            BooleanSupplier live,
            BooleanSupplier ready) {
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            request.response().setStatusCode(405).end();
            return;
        }
        switch (request.path()) {
            case "/health/live" -> health(request, live.getAsBoolean(), "live");
            case "/health/ready" -> health(request, ready.getAsBoolean(), "ready");
            case "/metrics" ->
                    request.response()
                            .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                            .end(metrics.scrape());
            default -> request.response().setStatusCode(404).end("not found\n");
        }
    }

    private static void health(HttpServerRequest request, boolean up, String what) {
        request.response()
                .setStatusCode(up ? 200 : 503)
                .putHeader("Content-Type", "text/plain; charset=utf-8")
                .end(up ? what + "\n" : "not " + what + "\n");
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
