package org.lamaworker.worker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.failure.Failures;
import org.lamaworker.worker.testing.SelfSignedCertificate;
import org.lamaworker.worker.tools.embedded.EmbeddedS3;

/**
 * S3 over HTTPS with a private CA: with {@code s3.caFile} naming the CA's PEM the worker talks to
 * the endpoint; without it the TLS handshake is refused, as it must be.
 */
class ObjectStoreTlsIT {
    private static final String SECRET = "tls-secret-key-42";

    @Test
    void trustsTheConfiguredCaAndOnlyWithIt(@TempDir Path dir) throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.create(dir, "s3");
        Path keyStore = certificate.keyStore();
        Path ca = certificate.exportPem(dir.resolve("ca.pem"));
        Vertx vertx = Vertx.vertx();
        WorkerExecutor io = vertx.createSharedWorkerExecutor("tls-io", 1);
        try (EmbeddedS3 s3 =
                EmbeddedS3.startInMemoryTls(
                        "tls", SECRET, keyStore, SelfSignedCertificate.PASSWORD)) {
            s3.createBucket("secure");
            assertThat(s3.endpoint().getScheme()).isEqualTo("https");

            ObjectStore trusting = new ObjectStore(vertx, storage(s3, ca.toString()), io, 1024);
            assertThat(
                            trusting.bucketExists("secure")
                                    .toCompletionStage()
                                    .toCompletableFuture()
                                    .get(30, TimeUnit.SECONDS))
                    .isTrue();
            trusting.close();

            ObjectStore untrusting = new ObjectStore(vertx, storage(s3, ""), io, 1024);
            try {
                untrusting
                        .bucketExists("secure")
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(30, TimeUnit.SECONDS);
                throw new AssertionError("a self-signed endpoint was trusted without s3.caFile");
            } catch (ExecutionException e) {
                assertThat(Failures.codeOf(e.getCause())).isEqualTo(ErrorCode.STORAGE_UNAVAILABLE);
                assertThat(e.getCause().getMessage()).doesNotContain(SECRET);
            } finally {
                untrusting.close();
            }
        } finally {
            io.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static WorkerConfig.Storage storage(EmbeddedS3 s3, String caFile) {
        return ConfigLoader.load(
                        null,
                        Map.of(
                                "LAMA_KAFKA_BOOTSTRAP_SERVERS",
                                "127.0.0.1:9",
                                "LAMA_S3_ENDPOINT",
                                s3.endpoint().toString(),
                                "LAMA_S3_ACCESS_KEY",
                                "tls",
                                "LAMA_S3_SECRET_KEY",
                                SECRET,
                                "LAMA_S3_CA_FILE",
                                caFile),
                        Map.of())
                .storage();
    }
}
