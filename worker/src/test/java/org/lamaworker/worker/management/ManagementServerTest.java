package org.lamaworker.worker.management;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The management server's start, and what it says when its port is taken. */
class ManagementServerTest {
    @Test
    void aTakenPortIsNamedWithTheSettingToChange() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (WorkerMetrics metrics = new WorkerMetrics()) {
            ManagementServer first =
                    ManagementServer.start(vertx, "127.0.0.1", 0, metrics, () -> true, () -> true)
                            .toCompletionStage()
                            .toCompletableFuture()
                            .get(1, TimeUnit.MINUTES);
            int port = first.port();
            assertThat(port).isPositive();
            ExecutionException failure =
                    org.junit.jupiter.api.Assertions.assertThrows(
                            ExecutionException.class,
                            () ->
                                    ManagementServer.start(
                                                    vertx,
                                                    "127.0.0.1",
                                                    port,
                                                    metrics,
                                                    () -> true,
                                                    () -> true)
                                            .toCompletionStage()
                                            .toCompletableFuture()
                                            .get(1, TimeUnit.MINUTES));
            assertThat(failure.getCause())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("management port " + port + " on 127.0.0.1 is in use")
                    .hasMessageContaining("management.port (LAMA_MANAGEMENT_PORT)")
                    .hasMessageContaining("0 for any free port");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
        }
    }
}
