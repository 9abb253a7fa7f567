package org.lamaworker.worker.storage;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.function.Supplier;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.failure.Failures;
import org.lamaworker.worker.failure.JobFailure;

/**
 * Tries a storage call again when it failed with {@code STORAGE_UNAVAILABLE} (timeouts, refused
 * connections, HTTP 5xx), waiting {@code retry.initialBackoff} and doubling up to {@code
 * retry.maxBackoff}, at most {@code retry.maxAttempts} attempts and never past the job's deadline.
 * Every other failure (missing object, access denied, too large) is permanent and returned at once.
 * Waiting uses Vert.x timers: no thread sleeps.
 */
public final class StorageRetry {
    private final Vertx vertx;
    private final WorkerConfig.Delivery delivery;

    /** Retries as the delivery settings say. */
    public StorageRetry(Vertx vertx, WorkerConfig.Delivery delivery) {
        this.vertx = vertx;
        this.delivery = delivery;
    }

    /**
     * Runs {@code call}, again after a retryable failure.
     *
     * @param deadline the job's deadline, or {@code null}
     * @param what names the call in messages, e.g. {@code upload of bucket/key}
     */
    public <T> Future<T> call(Supplier<Future<T>> call, Instant deadline, String what) {
        Promise<T> promise = Promise.promise();
        attempt(call, deadline, what, 1, promise);
        return promise.future();
    }

    /** The wait before attempt {@code next} (2 or more). */
    long backoffMillis(int next) {
        return delivery.backoffMillis(next - 1);
    }

    private <T> void attempt(
            Supplier<Future<T>> call,
            Instant deadline,
            String what,
            int attempt,
            Promise<T> promise) {
        Future<T> started;
        try {
            started = call.get();
        } catch (RuntimeException e) {
            started = Future.failedFuture(e);
        }
        started.onComplete(
                ar -> {
                    if (ar.succeeded()) {
                        promise.complete(ar.result());
                        return;
                    }
                    Throwable failure = ar.cause();
                    if (Failures.codeOf(failure) != ErrorCode.STORAGE_UNAVAILABLE) {
                        promise.fail(failure);
                        return;
                    }
                    if (attempt >= delivery.retryMaxAttempts()) {
                        promise.fail(
                                new JobFailure(
                                        ErrorCode.STORAGE_UNAVAILABLE,
                                        Failures.toError(failure).message()
                                                + " (gave up after "
                                                + attempt
                                                + " attempts, retry.maxAttempts)",
                                        failure));
                        return;
                    }
                    long wait = backoffMillis(attempt + 1);
                    if (deadline != null && Instant.now().plusMillis(wait).isAfter(deadline)) {
                        promise.fail(
                                new JobFailure(
                                        ErrorCode.DEADLINE_EXCEEDED,
                                        "storage was unavailable for the "
                                                + what
                                                + " and the job's deadline "
                                                + deadline
                                                + " passes before the next attempt ("
                                                + attempt
                                                + " made)"));
                        return;
                    }
                    vertx.setTimer(wait, id -> attempt(call, deadline, what, attempt + 1, promise));
                });
    }
}
