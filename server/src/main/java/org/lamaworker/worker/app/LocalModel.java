package org.lamaworker.worker.app;

import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.storage.DownloadProgress;
import org.lamaworker.worker.storage.ModelDownloadException;
import org.lamaworker.worker.storage.ModelFetcher;
import org.lamaworker.worker.storage.ObjectStore;

/**
 * Brings a model named by catalogue name, URL or S3 location into the local cache for the commands
 * that run it in this process ({@code inpaint}, {@code model fetch}, {@code model calibrate}). The
 * worker's start-up does the same in its assembly, on its own pools. Blocking.
 */
final class LocalModel {
    private LocalModel() {}

    /** The model could not be had; {@link #usage} when the configuration cannot work at all. */
    static final class NotFetched extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final boolean usage;

        NotFetched(String message, boolean usage) {
            super(message);
            this.usage = usage;
        }

        boolean usage() {
            return usage;
        }
    }

    /**
     * The configuration with its model at a verified local file; unchanged for a file or the
     * built-in model. Shows a progress bar on a terminal, progress lines in the log otherwise.
     */
    static WorkerConfig fetch(WorkerConfig config) {
        WorkerConfig.Model m = config.model();
        if (m.remote() == null) {
            return config;
        }
        boolean needsStorage =
                m.remote().startsWith("s3://")
                        || (m.mirror() != null && m.mirror().startsWith("s3://"));
        if (needsStorage && !config.storage().configured()) {
            throw new NotFetched(
                    "an s3:// model or mirror needs the S3 settings (s3.endpoint and keys, with"
                            + " kafka.bootstrap.servers, which the configuration asks for with it)",
                    true);
        }
        Vertx vertx = needsStorage ? Vertx.vertx() : null;
        try {
            WorkerExecutor io =
                    vertx == null ? null : vertx.createSharedWorkerExecutor("lama-storage", 2);
            ObjectStore store =
                    vertx == null
                            ? null
                            : new ObjectStore(vertx, config.storage(), io, Long.MAX_VALUE);
            try {
                return config.withModelFile(
                        ModelFetcher.fetchRemote(
                                m, store, io, DownloadProgress.shown("model " + m.fileName())));
            } finally {
                if (store != null) {
                    store.close();
                }
            }
        } catch (ModelDownloadException e) {
            throw new NotFetched(e.getMessage(), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotFetched("interrupted", false);
        } finally {
            if (vertx != null) {
                vertx.close();
            }
        }
    }
}
