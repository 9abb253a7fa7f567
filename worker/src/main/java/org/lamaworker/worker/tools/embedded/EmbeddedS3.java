package org.lamaworker.worker.tools.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An S3-compatible endpoint (S3Proxy) running inside this JVM, for development and tests only.
 *
 * <p>It listens on {@code 127.0.0.1} with a free port, serves plain HTTP with path-style
 * addressing, and checks AWS signature V2 or V4 against one access key and secret key. Objects live
 * either in a directory, where they survive restarts, or in memory.
 */
public final class EmbeddedS3 implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedS3.class);

    private final S3Proxy proxy;
    private final BlobStore store;
    private final URI endpoint;
    private final String description;
    private boolean closed;

    private EmbeddedS3(S3Proxy proxy, BlobStore store, URI endpoint, String description) {
        this.proxy = proxy;
        this.store = store;
        this.endpoint = endpoint;
        this.description = description;
    }

    /**
     * Starts an endpoint that keeps buckets and objects as files under {@code dir}, one
     * subdirectory per bucket, so they survive a restart on the same directory.
     *
     * @param dir directory holding the buckets; created if missing
     * @param accessKey the only access key accepted
     * @param secretKey the secret key requests must be signed with
     * @return the running endpoint
     * @throws IllegalStateException if the server cannot start
     */
    public static EmbeddedS3 startFilesystem(Path dir, String accessKey, String secretKey) {
        return startFilesystem(dir, accessKey, secretKey, 0);
    }

    /**
     * Like {@link #startFilesystem(Path, String, String)} on a given port (0: a free one), so that
     * a fault test can stop the server and start it again where clients expect it.
     */
    public static EmbeddedS3 startFilesystem(
            Path dir, String accessKey, String secretKey, int port) {
        Objects.requireNonNull(dir, "dir");
        Path root = dir.toAbsolutePath();
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create S3 data directory " + root, e);
        }
        return start(
                new FilesystemNio2BlobStore(root.toString()),
                accessKey,
                secretKey,
                root.toString(),
                port);
    }

    /**
     * Starts an endpoint that keeps buckets and objects in memory; they are gone once it is closed.
     *
     * @param accessKey the only access key accepted
     * @param secretKey the secret key requests must be signed with
     * @return the running endpoint
     * @throws IllegalStateException if the server cannot start
     */
    public static EmbeddedS3 startInMemory(String accessKey, String secretKey) {
        return start(new TransientNio2BlobStore(), accessKey, secretKey, "memory", 0);
    }

    /**
     * Starts an in-memory endpoint that serves HTTPS only, with the key and certificate of a key
     * store: for testing clients that must trust a private CA.
     *
     * @param keyStore a JKS or PKCS12 key store holding the server's key and certificate
     * @param password the key store's password
     */
    public static EmbeddedS3 startInMemoryTls(
            String accessKey, String secretKey, Path keyStore, String password) {
        BlobStore store = new TransientNio2BlobStore();
        S3Proxy proxy =
                S3Proxy.builder()
                        .blobStore(store)
                        .secureEndpoint(URI.create("https://127.0.0.1:0"))
                        .keyStore(keyStore.toAbsolutePath().toString(), password)
                        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                        .stopTimeout(0)
                        .build();
        return start(proxy, store, "memory, TLS", true);
    }

    private static EmbeddedS3 start(
            BlobStore store, String accessKey, String secretKey, String description, int port) {
        Objects.requireNonNull(accessKey, "accessKey");
        Objects.requireNonNull(secretKey, "secretKey");
        S3Proxy proxy =
                S3Proxy.builder()
                        .blobStore(store)
                        .endpoint(URI.create("http://127.0.0.1:" + port))
                        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                        .stopTimeout(0)
                        .build();
        return start(proxy, store, description, false);
    }

    private static EmbeddedS3 start(
            S3Proxy proxy, BlobStore store, String description, boolean tls) {
        try {
            proxy.start();
        } catch (Exception e) {
            stopQuietly(proxy);
            throw new IllegalStateException("Embedded S3 failed to start (" + description + ")", e);
        }
        URI endpoint =
                tls
                        ? URI.create("https://127.0.0.1:" + proxy.getSecurePort())
                        : URI.create("http://127.0.0.1:" + proxy.getPort());
        LOG.info("Embedded S3 started on {} (data in {})", endpoint, description);
        return new EmbeddedS3(proxy, store, endpoint, description);
    }

    /** Returns the endpoint clients connect to, {@code http://127.0.0.1:PORT}. */
    public URI endpoint() {
        return endpoint;
    }

    /**
     * Creates a bucket unless it already exists.
     *
     * @param name the bucket name
     */
    public void createBucket(String name) {
        Objects.requireNonNull(name, "name");
        synchronized (store) {
            if (!store.containerExists(name)) {
                store.createContainer(name);
            }
        }
    }

    /** Stops the endpoint. Calling it again does nothing. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            proxy.stop();
            LOG.info("Embedded S3 on {} stopped", endpoint);
        } catch (Exception e) {
            throw new IllegalStateException("Embedded S3 failed to stop (" + description + ")", e);
        } finally {
            store.close();
        }
    }

    private static void stopQuietly(S3Proxy proxy) {
        try {
            proxy.stop();
        } catch (Exception e) {
            LOG.debug("Ignoring error while stopping an S3 endpoint that failed to start", e);
        }
    }
}
