package org.lamaworker.worker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;

/** The store owns the HTTP client it gives MinIO's client, so closing the store releases it. */
class ObjectStoreTest {
    @Test
    void closeReleasesTheHttpClientsThreadsAndConnections() throws Exception {
        WorkerConfig config =
                ConfigLoader.load(
                        null,
                        Map.of(
                                "LAMA_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9",
                                "LAMA_S3_ENDPOINT", "http://127.0.0.1:9",
                                "LAMA_S3_ACCESS_KEY", "key",
                                "LAMA_S3_SECRET_KEY", "secret"),
                        Map.of());
        Vertx vertx = Vertx.vertx();
        try {
            WorkerExecutor io = vertx.createSharedWorkerExecutor("test-storage", 1);
            ObjectStore store = new ObjectStore(vertx, config.storage(), io, 1 << 20);
            assertThat(store.closed()).isFalse();
            store.close();
            assertThat(store.closed()).isTrue();
            io.close();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }
}
