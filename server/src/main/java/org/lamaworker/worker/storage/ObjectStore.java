package org.lamaworker.worker.storage;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.MinioAsyncClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.credentials.AwsConfigProvider;
import io.minio.credentials.AwsEnvironmentProvider;
import io.minio.credentials.ChainedProvider;
import io.minio.credentials.IamAwsProvider;
import io.minio.credentials.MinioEnvironmentProvider;
import io.minio.errors.ErrorResponseException;
import io.minio.http.HttpUtils;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import okhttp3.OkHttpClient;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.failure.JobFailure;

/**
 * S3 access for jobs through one MinIO async client. Network calls are asynchronous; draining a
 * response body (a blocking stream) happens on the I/O pool, never on an event loop. Failures
 * arrive as {@link JobFailure}s with storage-specific codes.
 */
public final class ObjectStore {
    private final Vertx vertx;
    private final MinioAsyncClient client;

    /**
     * The HTTP client under {@link #client}. MinIO's client closes only an HTTP client it built
     * itself; this one is built here (for timeouts and a private CA), so it is closed here.
     */
    private final OkHttpClient http;

    private final WorkerExecutor io;
    private final long maxBytes;
    private static final long CONNECT_TIMEOUT_MILLIS = 10_000;
    private static final long TRANSFER_TIMEOUT_MILLIS = 120_000;

    /** Builds the client for the configured endpoint and credentials. */
    public ObjectStore(
            Vertx vertx, WorkerConfig.Storage storage, WorkerExecutor io, long maxBytes) {
        this.vertx = vertx;
        this.io = io;
        this.maxBytes = maxBytes;
        this.http = httpClient(storage.caFile());
        MinioAsyncClient.Builder builder =
                MinioAsyncClient.builder()
                        .endpoint(storage.endpoint().toString())
                        .region(storage.region())
                        .httpClient(http);
        if (storage.accessKey() != null) {
            builder.credentials(storage.accessKey(), storage.secretKey().reveal());
        } else {
            // No keys configured: the standard sources, in the SDKs' usual order.
            builder.credentialsProvider(
                    new ChainedProvider(
                            new AwsEnvironmentProvider(),
                            new MinioEnvironmentProvider(),
                            new AwsConfigProvider(null, null),
                            new IamAwsProvider(null, http)));
        }
        this.client = builder.build();
    }

    /**
     * The SDK's client with shorter timeouts than its 5-minute defaults, so an unreachable endpoint
     * fails an attempt (and lets the retry policy decide) instead of holding a job for minutes;
     * with a CA file, trusting the certificates in it.
     */
    private static OkHttpClient httpClient(Path caFile) {
        OkHttpClient client =
                HttpUtils.newDefaultHttpClient(
                        CONNECT_TIMEOUT_MILLIS, TRANSFER_TIMEOUT_MILLIS, TRANSFER_TIMEOUT_MILLIS);
        if (caFile == null) {
            return client;
        }
        try {
            return HttpUtils.enableExternalCertificates(client, caFile.toString());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "s3.caFile " + caFile + " is not a readable PEM certificate file: " + e, e);
        }
    }

    /**
     * Whether the bucket exists; fails when storage is unreachable or refuses the credentials. Used
     * at start-up to prove storage is usable.
     */
    public Future<Boolean> bucketExists(String bucket) {
        return call(
                () -> client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()),
                null,
                "bucket " + bucket);
    }

    /**
     * Downloads an object whole, refusing objects over the byte limit before reading them.
     *
     * @param notFound the code when the object or its bucket does not exist
     */
    public Future<byte[]> get(ObjectRef ref, ErrorCode notFound) {
        return get(ref, notFound, null);
    }

    /**
     * As {@link #get(ObjectRef, ErrorCode)}, with what a {@link #stat} of the object already said,
     * so that it is not asked again.
     *
     * @param known the object's stat, or {@code null} to ask
     */
    public Future<byte[]> get(ObjectRef ref, ErrorCode notFound, StoredObject known) {
        return (known != null ? Future.succeededFuture(known) : stat(ref, notFound))
                .compose(
                        stat -> {
                            if (stat.size() > maxBytes) {
                                return Future.failedFuture(
                                        new JobFailure(
                                                ErrorCode.IMAGE_TOO_LARGE,
                                                ref
                                                        + " is "
                                                        + stat.size()
                                                        + " bytes; this worker reads at most "
                                                        + maxBytes
                                                        + " (image.maxBytes)"));
                            }
                            return open(ref, notFound);
                        })
                .compose(response -> io.executeBlocking(() -> drain(response, ref), false));
    }

    /**
     * Streams an object into a file, whatever its size (a model, not a job's picture).
     *
     * @return the number of bytes written
     */
    public Future<Long> download(ObjectRef ref, Path file) {
        return open(ref, ErrorCode.IMAGE_NOT_FOUND)
                .compose(
                        response ->
                                io.executeBlocking(
                                        () -> {
                                            try (InputStream in = response) {
                                                return java.nio.file.Files.copy(
                                                        in,
                                                        file,
                                                        java.nio.file.StandardCopyOption
                                                                .REPLACE_EXISTING);
                                            }
                                        },
                                        false));
    }

    /** Starts reading an object; the response is a stream to drain off the event loop. */
    private Future<GetObjectResponse> open(ObjectRef ref, ErrorCode notFound) {
        return call(
                () ->
                        client.getObject(
                                GetObjectArgs.builder()
                                        .bucket(ref.bucket())
                                        .object(ref.key())
                                        .build()),
                notFound,
                ref.toString());
    }

    /**
     * What storage says of an object without reading it (a HEAD request).
     *
     * @param etag the object's ETag, without quotes
     * @param size its size in bytes
     * @param contentType its content type
     * @param metadata its user metadata, names lower-case and without {@code x-amz-meta-}
     */
    public record StoredObject(
            String etag, long size, String contentType, Map<String, String> metadata) {}

    /**
     * Asks storage about an object.
     *
     * @param notFound the code when the object or its bucket does not exist
     */
    public Future<StoredObject> stat(ObjectRef ref, ErrorCode notFound) {
        return call(
                        () ->
                                client.statObject(
                                        StatObjectArgs.builder()
                                                .bucket(ref.bucket())
                                                .object(ref.key())
                                                .build()),
                        notFound,
                        ref.toString())
                .map(
                        stat -> {
                            Map<String, String> metadata = new java.util.HashMap<>();
                            stat.userMetadata()
                                    .forEach(
                                            (name, value) -> {
                                                String key =
                                                        name.toLowerCase(java.util.Locale.ROOT);
                                                if (key.startsWith("x-amz-meta-")) {
                                                    key = key.substring("x-amz-meta-".length());
                                                }
                                                metadata.put(key, value);
                                            });
                            String etag = stat.etag() == null ? "" : stat.etag().replace("\"", "");
                            return new StoredObject(
                                    etag, stat.size(), stat.contentType(), Map.copyOf(metadata));
                        });
    }

    /** Uploads bytes; the future carries the stored size. */
    public Future<Long> put(ObjectRef ref, byte[] bytes, String contentType) {
        return put(ref, bytes, contentType, Map.of());
    }

    /**
     * Uploads bytes with user metadata (names without {@code x-amz-meta-}); the future carries the
     * stored size.
     */
    public Future<Long> put(
            ObjectRef ref, byte[] bytes, String contentType, Map<String, String> metadata) {
        return call(
                        () ->
                                client.putObject(
                                        PutObjectArgs.builder()
                                                .bucket(ref.bucket())
                                                .object(ref.key())
                                                .contentType(contentType)
                                                .userMetadata(metadata)
                                                .stream(
                                                        new ByteArrayInputStream(bytes),
                                                        bytes.length,
                                                        -1)
                                                .build()),
                        // A missing output bucket is the job's mistake, not an outage: not retried.
                        ErrorCode.INVALID_JOB,
                        ref.toString())
                .map(response -> (long) bytes.length);
    }

    private byte[] drain(GetObjectResponse response, ObjectRef ref) {
        try (InputStream in = response) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (bytes.length > maxBytes) {
                throw new JobFailure(
                        ErrorCode.IMAGE_TOO_LARGE,
                        ref + " is larger than " + maxBytes + " bytes (image.maxBytes)");
            }
            return bytes;
        } catch (IOException e) {
            throw new JobFailure(
                    ErrorCode.STORAGE_UNAVAILABLE,
                    "reading " + ref + " failed: " + e.getMessage(),
                    e);
        }
    }

    /** Starts an SDK call and maps its failure; SDK calls can also throw before returning. */
    private <T> Future<T> call(
            Callable<CompletionStage<T>> start, ErrorCode notFound, String what) {
        CompletionStage<T> stage;
        try {
            stage = start.call();
        } catch (Exception e) {
            return Future.failedFuture(translate(e, notFound, what));
        }
        return Future.fromCompletionStage(stage, vertx.getOrCreateContext())
                .recover(e -> Future.failedFuture(translate(e, notFound, what)));
    }

    /** A call that may throw checked SDK exceptions before it returns its stage. */
    @FunctionalInterface
    private interface Callable<T> {
        T call() throws Exception;
    }

    static Throwable translate(Throwable failure, ErrorCode notFound, String what) {
        Throwable t = unwrap(failure);
        if (t instanceof JobFailure) {
            return t;
        }
        if (t instanceof ErrorResponseException e) {
            String code = e.errorResponse().code();
            int status = e.response() == null ? 0 : e.response().code();
            switch (code) {
                case "NoSuchKey", "NoSuchBucket", "NoSuchObject" -> {
                    if (notFound != null) {
                        return new JobFailure(notFound, what + " does not exist (" + code + ")");
                    }
                }
                case "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId" -> {
                    return new JobFailure(
                            ErrorCode.ACCESS_DENIED,
                            "storage refused access to "
                                    + what
                                    + " ("
                                    + code
                                    + "); check the worker's S3"
                                    + " credentials and the bucket policy");
                }
                default -> {
                    // fall through to the status check below
                }
            }
            if (status == 404 && notFound != null) {
                return new JobFailure(notFound, what + " does not exist");
            }
            return new JobFailure(
                    status >= 500 || status == 0
                            ? ErrorCode.STORAGE_UNAVAILABLE
                            : ErrorCode.ACCESS_DENIED,
                    "storage answered " + code + " (HTTP " + status + ") for " + what);
        }
        if (t instanceof ConnectException || t instanceof IOException) {
            return new JobFailure(
                    ErrorCode.STORAGE_UNAVAILABLE,
                    "storage unreachable for " + what + ": " + t.getClass().getSimpleName(),
                    t);
        }
        return new JobFailure(
                ErrorCode.STORAGE_UNAVAILABLE,
                "storage call for " + what + " failed: " + t.getClass().getSimpleName(),
                t);
    }

    private static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while (current.getCause() != null
                && (current instanceof java.util.concurrent.CompletionException
                        || current instanceof java.util.concurrent.ExecutionException
                        || current.getClass()
                                .getName()
                                .equals("io.minio.errors.InternalException"))) {
            current = current.getCause();
        }
        return current;
    }

    /** Releases the HTTP client's threads and pooled connections. */
    public void close() {
        try {
            client.close();
        } catch (Exception e) {
            // closing an HTTP client has nothing useful to report
        }
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    /** Whether {@link #close} has released the HTTP client: its dispatcher no longer runs. */
    boolean closed() {
        return http.dispatcher().executorService().isShutdown()
                && http.connectionPool().connectionCount() == 0;
    }
}
