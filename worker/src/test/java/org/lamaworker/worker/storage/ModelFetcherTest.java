package org.lamaworker.worker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;

/**
 * The download client (a configured proxy for other hosts, never for this machine; redirects), and
 * a verified cached file used as it is.
 */
class ModelFetcherTest {
    @Test
    void aConfiguredProxyServesEveryHostButThisMachine() {
        HttpClient client =
                ModelFetcher.httpClient(
                        URI.create("http://proxy.internal:3128"), List.of("corp.example"));
        assertThat(client.followRedirects()).isEqualTo(HttpClient.Redirect.NORMAL);
        var selector = client.proxy().orElseThrow();
        assertThat(selector.select(URI.create("https://huggingface.co/Carve/LaMa-ONNX")))
                .containsExactly(
                        new Proxy(
                                Proxy.Type.HTTP,
                                InetSocketAddress.createUnresolved("proxy.internal", 3128)));
        assertThat(selector.select(URI.create("http://127.0.0.1:8080/x.onnx")))
                .containsExactly(Proxy.NO_PROXY);
        assertThat(selector.select(URI.create("http://localhost:8080/x.onnx")))
                .containsExactly(Proxy.NO_PROXY);
        assertThat(selector.select(URI.create("https://mirror.corp.example/models/x.onnx")))
                .as("NO_PROXY covers sub-domains")
                .containsExactly(Proxy.NO_PROXY);
        assertThat(selector.select(URI.create("https://notcorp.example/x.onnx")))
                .as("but not other names ending alike")
                .doesNotContain(Proxy.NO_PROXY);
    }

    @Test
    void aVerifiedFileInTheCacheIsUsedWithoutALockOrARequest(@TempDir Path dir) throws Exception {
        byte[] model = "not really a model, but pinned".getBytes(StandardCharsets.UTF_8);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model));
        Path cache = dir.resolve("cache");
        // The source is a closed port: any request would fail the fetch.
        WorkerConfig.Model m =
                ConfigLoader.load(
                                null,
                                Map.of(),
                                Map.of(
                                        "model.path",
                                        "http://127.0.0.1:9/m/baked.onnx",
                                        "model.sha256",
                                        sha,
                                        "model.cacheDir",
                                        cache.toString()))
                        .model();
        Path target = ModelCache.cachedFile(cache, sha, "baked.onnx");
        Files.createDirectories(target.getParent());
        Files.write(target, model);
        ModelFetcher fetcher = new ModelFetcher(m, null, null);
        assertThat(fetcher.fetch(DownloadProgress.NONE)).isEqualTo(target);
        try (var files = Files.list(target.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no lock file: a read-only cache (a baked image) works too")
                    .containsExactly("baked.onnx");
        }
    }
}
