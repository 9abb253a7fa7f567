package org.lamaworker.worker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import org.junit.jupiter.api.Test;

/** The download client: a configured proxy for other hosts, never for this machine; redirects. */
class ModelFetcherTest {
    @Test
    void aConfiguredProxyServesEveryHostButThisMachine() {
        HttpClient client = ModelFetcher.httpClient(URI.create("http://proxy.internal:3128"));
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
    }
}
