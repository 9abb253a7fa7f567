package org.lamaworker.worker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.failure.Failures;
import org.lamaworker.worker.failure.JobFailure;

/** Retryable storage failures are tried again with backoff; permanent ones are not. */
class StorageRetryTest {
    private static Vertx vertx;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        vertx.close();
    }

    private static StorageRetry retry(int attempts) {
        return new StorageRetry(vertx, new WorkerConfig.Delivery(attempts, 10, 40, 0, 2));
    }

    /** A call failing with {@code code} the first {@code failures} times. */
    private static java.util.function.Supplier<Future<String>> failing(
            AtomicInteger calls, int failures, ErrorCode code) {
        return () ->
                calls.incrementAndGet() <= failures
                        ? Future.failedFuture(new JobFailure(code, "storage said no"))
                        : Future.succeededFuture("bytes");
    }

    private static <T> Throwable failureOf(Future<T> future) throws Exception {
        try {
            future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
    }

    @Test
    void unavailableStorageIsRetriedUntilItAnswers() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Future<String> result =
                retry(5).call(failing(calls, 3, ErrorCode.STORAGE_UNAVAILABLE), null, "get");
        assertThat(result.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
                .isEqualTo("bytes");
        assertThat(calls).hasValue(4);
    }

    @Test
    void permanentFailuresAreNotRetried() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Throwable failure =
                failureOf(retry(5).call(failing(calls, 9, ErrorCode.IMAGE_NOT_FOUND), null, "get"));
        assertThat(Failures.codeOf(failure)).isEqualTo(ErrorCode.IMAGE_NOT_FOUND);
        assertThat(calls).hasValue(1);
    }

    @Test
    void givesUpAfterMaxAttemptsSayingSo() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Throwable failure =
                failureOf(
                        retry(3).call(
                                        failing(calls, 9, ErrorCode.STORAGE_UNAVAILABLE),
                                        null,
                                        "get"));
        assertThat(Failures.codeOf(failure)).isEqualTo(ErrorCode.STORAGE_UNAVAILABLE);
        assertThat(failure).hasMessageContaining("after 3 attempts");
        assertThat(calls).hasValue(3);
    }

    @Test
    void aDeadlineThatWouldPassDuringTheWaitEndsTheJob() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        StorageRetry slow =
                new StorageRetry(vertx, new WorkerConfig.Delivery(5, 5_000, 5_000, 0, 2));
        Throwable failure =
                failureOf(
                        slow.call(
                                failing(calls, 9, ErrorCode.STORAGE_UNAVAILABLE),
                                Instant.now().plusSeconds(1),
                                "get"));
        assertThat(Failures.codeOf(failure)).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
        assertThat(calls).hasValue(1);
    }

    @Test
    void backoffDoublesUpToTheCap() {
        StorageRetry r = retry(10);
        assertThat(r.backoffMillis(2)).isEqualTo(10);
        assertThat(r.backoffMillis(3)).isEqualTo(20);
        assertThat(r.backoffMillis(4)).isEqualTo(40);
        assertThat(r.backoffMillis(9)).isEqualTo(40);
    }
}
