package org.lamaworker.worker.inference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.lamaworker.worker.config.ConfigException;

/**
 * A model's id in logs and metrics: its name and the start of its content's SHA-256, e.g. {@code
 * lama_fp32.onnx@3f2a9c0d11aa}, so that two exports under one file name are told apart.
 */
final class ModelId {
    private static final int HASH_CHARS = 12;

    private ModelId() {}

    /**
     * The id of a model file, read in 1 MiB chunks so a large model never sits whole on the heap.
     *
     * @throws ConfigException when the file cannot be read
     */
    static String ofFile(Path path) {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[1 << 20];
        try (var in = Files.newInputStream(path)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new ConfigException("cannot read model " + path + ": " + e.getMessage());
        }
        return id(path.getFileName().toString(), digest);
    }

    /** The id of a serialized model under the given name. */
    static String ofBytes(String name, byte[] bytes) {
        MessageDigest digest = sha256();
        digest.update(bytes);
        return id(name, digest);
    }

    /** The name part of an id. */
    static String name(String id) {
        return id.substring(0, id.lastIndexOf('@'));
    }

    private static String id(String name, MessageDigest digest) {
        return name + "@" + HexFormat.of().formatHex(digest.digest()).substring(0, HASH_CHARS);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide SHA-256.
            throw new IllegalStateException(e);
        }
    }
}
