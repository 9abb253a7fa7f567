package org.lamaworker.worker.storage;

import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import org.lamaworker.worker.config.WorkerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the model a configuration names by catalogue name or URL into the cache, from wherever it
 * can be had: the cache itself, then the fleet's mirror ({@code model.mirror}, by file name), then
 * the public source; every copy is checked against the same pinned size and SHA-256 before it is
 * used. Blocking: runs on a worker thread or a command's main thread, never an event loop.
 */
public final class ModelFetcher {
    private static final Logger LOG = LoggerFactory.getLogger(ModelFetcher.class);

    private final WorkerConfig.Model model;
    private final HttpModelDownload http;
    private final ObjectStore store;
    private final WorkerExecutor storageIo;

    /**
     * A fetcher for a model with a catalogue entry or an http(s) {@code remote}.
     *
     * @param store the worker's storage, for an {@code s3://} mirror; {@code null} without one
     * @param storageIo the pool the store's blocking work runs on; {@code null} without a store
     */
    public ModelFetcher(WorkerConfig.Model model, ObjectStore store, WorkerExecutor storageIo) {
        if (model.remote() == null || !WorkerConfig.Model.isHttp(model.remote())) {
            throw new IllegalArgumentException("not a model fetched over http(s)");
        }
        this.model = model;
        this.http = new HttpModelDownload(httpClient(model.proxy(), model.noProxy()));
        this.store = store;
        this.storageIo = storageIo;
    }

    /**
     * The HTTP client for downloads: redirects followed (public hosts answer with a CDN's address)
     * but never from https to http, a bounded connect time, and the configured proxy for every host
     * but this machine and {@code noProxy}'s, else the JVM's proxy settings.
     */
    static HttpClient httpClient(URI proxy, List<String> noProxy) {
        ProxySelector selector = ProxySelector.getDefault();
        if (proxy != null) {
            InetSocketAddress address =
                    InetSocketAddress.createUnresolved(proxy.getHost(), proxy.getPort());
            selector = new Direct(ProxySelector.of(address), noProxy);
        }
        HttpClient.Builder builder =
                HttpClient.newBuilder()
                        .followRedirects(HttpClient.Redirect.NORMAL)
                        .connectTimeout(Duration.ofSeconds(30));
        if (selector != null) {
            builder.proxy(selector);
        }
        return builder.build();
    }

    /** The file in the cache this model will have. */
    public Path target() {
        return ModelCache.cachedFile(model.cacheDir(), model.sha256(), model.fileName());
    }

    /** Whether the cache already holds the verified file: no download needed. */
    public boolean cached() throws IOException {
        Path target = target();
        return Files.isRegularFile(target)
                && (model.expectedBytes() < 0 || Files.size(target) == model.expectedBytes())
                && model.sha256().equals(ModelCache.sha256Hex(target));
    }

    /**
     * The verified file: from the cache, else the mirror, else the public source.
     *
     * @throws ModelDownloadException when no source gave the pinned file; the message lists what
     *     each source said and how to place the file by hand
     */
    public Path fetch(DownloadProgress progress)
            throws ModelDownloadException, InterruptedException {
        // Checked without the download lock first: a cache baked into an image or on a read-only
        // volume holds the verified file, and there a lock file could not even be created.
        try {
            if (cached()) {
                LOG.info("Model {} is in the cache: {}", model.fileName(), target());
                return target();
            }
        } catch (IOException e) {
            LOG.debug("Cache check of {} failed: {}", target(), e.toString());
        }
        List<String> failures = new ArrayList<>();
        String mirror = model.mirror();
        if (mirror != null) {
            try {
                Path file = fromMirror(mirror, progress);
                LOG.info(
                        "Model {} from the mirror {}: {}",
                        model.fileName(),
                        printable(mirror),
                        file);
                return file;
            } catch (ModelDownloadException e) {
                failures.add("mirror: " + e.getMessage());
                LOG.warn(
                        "Model mirror {} did not give {}: {}; trying {}",
                        printable(mirror),
                        model.fileName(),
                        e.getMessage(),
                        printable(model.remote()));
            }
        }
        try {
            HttpModelDownload.Fetched fetched =
                    http.fetch(
                            URI.create(model.remote()),
                            target(),
                            model.expectedBytes(),
                            model.sha256(),
                            progress);
            LOG.info(
                    "Model {} {}: {}",
                    model.fileName(),
                    fetched.reused()
                            ? "from the cache"
                            : "downloaded from " + printable(model.remote()),
                    fetched.file());
            return fetched.file();
        } catch (ModelDownloadException e) {
            if (failures.isEmpty()) {
                throw e;
            }
            throw new ModelDownloadException(
                    e.kind(), String.join("; ", failures) + "; source: " + e.getMessage(), e);
        }
    }

    private Path fromMirror(String mirror, DownloadProgress progress)
            throws ModelDownloadException, InterruptedException {
        String base = mirror.endsWith("/") ? mirror : mirror + "/";
        if (WorkerConfig.Model.isHttp(mirror)) {
            return http.fetch(
                            URI.create(base + model.fileName()),
                            target(),
                            model.expectedBytes(),
                            model.sha256(),
                            progress)
                    .file();
        }
        if (store == null) {
            throw new ModelDownloadException(
                    ModelDownloadException.Kind.UNREACHABLE,
                    "an s3:// mirror needs the worker's S3 settings (s3.endpoint and keys)",
                    null);
        }
        String location = base + model.fileName();
        try {
            Path file =
                    ModelCache.fetch(store, storageIo, location, model.sha256(), model.cacheDir())
                            .toCompletionStage()
                            .toCompletableFuture()
                            .get();
            if (model.expectedBytes() >= 0 && Files.size(file) != model.expectedBytes()) {
                throw new ModelDownloadException(
                        ModelDownloadException.Kind.SIZE_MISMATCH,
                        location
                                + " is "
                                + Files.size(file)
                                + " bytes, expected "
                                + model.expectedBytes(),
                        null);
            }
            return file;
        } catch (ExecutionException e) {
            throw new ModelDownloadException(
                    ModelDownloadException.Kind.UNREACHABLE,
                    location + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (IOException e) {
            throw new ModelDownloadException(
                    ModelDownloadException.Kind.LOCAL_IO, location + ": " + e.getMessage(), e);
        }
    }

    /**
     * The verified local file of a model fetched from anywhere: {@code s3://} through the store's
     * cache, a catalogue name or URL through {@link #fetch}. Blocking.
     *
     * @param store the worker's storage; needed for {@code s3://} models and mirrors only
     * @param storageIo the pool the store's blocking work runs on
     */
    public static Path fetchRemote(
            WorkerConfig.Model model,
            ObjectStore store,
            WorkerExecutor storageIo,
            DownloadProgress progress)
            throws ModelDownloadException, InterruptedException {
        if (!model.remote().startsWith("s3://")) {
            return new ModelFetcher(model, store, storageIo).fetch(progress);
        }
        try {
            return ModelCache.fetch(
                            store, storageIo, model.remote(), model.sha256(), model.cacheDir())
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get();
        } catch (ExecutionException e) {
            throw new ModelDownloadException(
                    ModelDownloadException.Kind.UNREACHABLE,
                    model.remote() + ": " + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    /**
     * Progress that also tells {@code status} where the transfer stands in a few words (percent and
     * size), e.g. for the readiness answer while the worker downloads its model.
     */
    public static DownloadProgress reporting(
            DownloadProgress shown, java.util.function.Consumer<String> status) {
        return new DownloadProgress() {
            @Override
            public void onProgress(long bytes, long total) {
                shown.onProgress(bytes, total);
                status.accept(
                        total > 0
                                ? ProgressText.percent(bytes, total)
                                        + "% of "
                                        + ProgressText.size(total)
                                : ProgressText.size(bytes) + " so far");
            }

            @Override
            public void onEnd(long bytes, long total) {
                shown.onEnd(bytes, total);
                status.accept("verifying " + ProgressText.size(bytes));
            }
        };
    }

    private static String printable(String location) {
        return WorkerConfig.Model.printable(location);
    }

    /** A proxy for every host but this machine and the no-proxy list's, reached directly. */
    private static final class Direct extends ProxySelector {
        private final ProxySelector proxied;
        private final List<String> noProxy;

        Direct(ProxySelector proxied, List<String> noProxy) {
            this.proxied = proxied;
            this.noProxy = noProxy;
        }

        @Override
        public List<Proxy> select(URI uri) {
            String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
            if (WorkerConfig.Model.isLoopback(host)
                    || noProxy.stream()
                            .anyMatch(
                                    h ->
                                            h.equals("*")
                                                    || host.equals(h)
                                                    || host.endsWith("." + h))) {
                return List.of(Proxy.NO_PROXY);
            }
            return proxied.select(uri);
        }

        @Override
        public void connectFailed(URI uri, SocketAddress address, IOException e) {
            proxied.connectFailed(uri, address, e);
        }
    }
}
