package org.lamaworker.worker.storage;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.lamaworker.protocol.ObjectRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Models kept in S3 ({@code model.path=s3://bucket/key}): downloaded once into a local cache
 * directory, checked against {@code model.sha256} when given, and reused from the cache on the next
 * start, so a fleet pulls one artifact and a restarted pod starts from disk.
 */
public final class ModelCache {
    private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);

    private ModelCache() {}

    /**
     * The local file of a remote model, downloading it when the cache lacks it.
     *
     * @param location {@code s3://bucket/key}
     * @param sha256 the expected checksum (hex), or {@code null}
     * @return the cached file; fails when the download fails or the checksum differs
     */
    public static Future<Path> fetch(
            ObjectStore store, WorkerExecutor io, String location, String sha256, Path dir) {
        String path = location.substring("s3://".length());
        int slash = path.indexOf('/');
        ObjectRef ref = new ObjectRef(path.substring(0, slash), path.substring(slash + 1));
        String name = ref.key().substring(ref.key().lastIndexOf('/') + 1);
        // In a folder named by checksum when one is given, else by location: a new artifact gets
        // a new file, and the file keeps its name (the model's id is made from it).
        String id = sha256 != null ? sha256 : sha256Hex(location.getBytes(StandardCharsets.UTF_8));
        Path file = cachedFile(dir, id, name);
        return io.executeBlocking(
                        () -> {
                            Files.createDirectories(file.getParent());
                            return Files.isRegularFile(file) && matches(file, sha256);
                        },
                        false)
                .compose(
                        cached -> {
                            if (cached) {
                                LOG.info("Model {} from the cache: {}", location, file);
                                return Future.succeededFuture(file);
                            }
                            // A name of its own: workers sharing the cache may download at once
                            // (S3 downloads take no lock), and none may spoil another's file.
                            Path partial =
                                    file.resolveSibling(
                                            name + "." + java.util.UUID.randomUUID() + ".s3part");
                            LOG.info("Downloading model {} to {}", location, file);
                            return store.download(ref, partial)
                                    .compose(
                                            bytes ->
                                                    io.executeBlocking(
                                                            () ->
                                                                    verifyAndKeep(
                                                                            partial, file, sha256,
                                                                            location),
                                                            false));
                        });
    }

    /**
     * Where the cache keeps a model: {@code dir/<first 16 hex of id>/<name>}. One layout for every
     * source (S3 or HTTP), so a file placed there by hand is found whichever way it was meant to
     * arrive.
     *
     * @param id the model's SHA-256 (hex), or another hex id of at least 16 characters
     */
    public static Path cachedFile(Path dir, String id, String name) {
        return dir.resolve(id.substring(0, 16)).resolve(name);
    }

    private static Path verifyAndKeep(Path partial, Path file, String sha256, String location)
            throws IOException {
        if (!matches(partial, sha256)) {
            String actual = sha256Hex(partial);
            Files.deleteIfExists(partial);
            throw new IllegalStateException(
                    "model "
                            + location
                            + " has SHA-256 "
                            + actual
                            + " but model.sha256 is "
                            + sha256
                            + "; refusing to run an unexpected model");
        }
        Files.move(
                partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    private static boolean matches(Path file, String sha256) throws IOException {
        return sha256 == null || sha256.equals(sha256Hex(file));
    }

    /** The SHA-256 of a file, as lower-case hex. */
    public static String sha256Hex(Path file) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
