package org.lamaworker.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How model.path is read: a catalogue name, a URL that needs a checksum, S3, or a file. */
class ModelSourceConfigTest {
    private static final String LAMA_SHA =
            "1faef5301d78db7dda502fe59966957ec4b79dd64e16f03ed96913c7a4eb68d6";
    private static final String OTHER_SHA = "ab".repeat(32);

    private static WorkerConfig.Model load(Map<String, String> keys) {
        return ConfigLoader.load(null, Map.of(), keys).model();
    }

    @Test
    void lamaIsThePinnedPublicExport() {
        WorkerConfig.Model model = load(Map.of("model.path", "lama"));
        assertThat(model.entry().name()).isEqualTo("lama");
        assertThat(model.remote())
                .isEqualTo("https://huggingface.co/Carve/LaMa-ONNX/resolve/main/lama_fp32.onnx");
        assertThat(model.sha256()).isEqualTo(LAMA_SHA);
        assertThat(model.expectedBytes()).isEqualTo(208_044_816L);
        assertThat(model.fileName()).isEqualTo("lama_fp32.onnx");
        assertThat(model.entry().contract()).isEqualTo("a");
        assertThat(model.path()).as("not local until fetched").isNull();
    }

    @Test
    void aCatalogueNameKeepsItsOwnPin() {
        assertThatThrownBy(() -> load(Map.of("model.path", "lama", "model.sha256", OTHER_SHA)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("differs from the catalogue's pin");
        assertThatThrownBy(() -> load(Map.of("model.path", "no-such-model")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("not in the model catalogue (lama")
                .hasMessageContaining("./no-such-model");
    }

    @Test
    void aUrlNeedsAChecksumAndHttpStaysOnThisMachine() {
        assertThatThrownBy(() -> load(Map.of("model.path", "https://models.example/x.onnx")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("model.sha256 is required");
        assertThatThrownBy(
                        () ->
                                load(
                                        Map.of(
                                                "model.path",
                                                "http://models.example/x.onnx",
                                                "model.sha256",
                                                OTHER_SHA)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("plain http")
                .hasMessageContaining("model.allowInsecureHttp");
        WorkerConfig.Model loopback =
                load(
                        Map.of(
                                "model.path",
                                "http://127.0.0.1:8080/m/x.onnx?token=secret",
                                "model.sha256",
                                OTHER_SHA));
        assertThat(loopback.remote()).startsWith("http://127.0.0.1:8080/");
        assertThat(loopback.fileName()).isEqualTo("x.onnx");
        assertThat(WorkerConfig.Model.printable(loopback.remote()))
                .as("no query string in messages")
                .isEqualTo("http://127.0.0.1:8080/m/x.onnx");
        WorkerConfig.Model allowed =
                load(
                        Map.of(
                                "model.path", "http://models.example/x.onnx",
                                "model.sha256", OTHER_SHA,
                                "model.allowInsecureHttp", "true"));
        assertThat(allowed.remote()).isEqualTo("http://models.example/x.onnx");
    }

    @Test
    void aUrlMustEndInAFileNameThatStaysInTheCache() {
        for (String url :
                new String[] {
                    "https://models.example/",
                    "https://models.example/a/..",
                    "https://models.example/a/%2e%2e",
                    "https://models.example/a/x%20y.onnx",
                    "s3://models/a/.."
                }) {
            assertThatThrownBy(() -> load(Map.of("model.path", url, "model.sha256", OTHER_SHA)))
                    .as(url)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("must end in a file name");
        }
        assertThat(ModelCatalog.isFileName("lama_fp32.onnx")).isTrue();
        assertThat(ModelCatalog.isFileName("..")).isFalse();
        assertThat(ModelCatalog.isFileName("a/b")).isFalse();
    }

    @Test
    void aMirrorIsS3OrHttpsAndNeedsSomethingToMirror() {
        assertThat(load(Map.of("model.path", "lama", "model.mirror", "s3://models/lama")).mirror())
                .isEqualTo("s3://models/lama");
        assertThatThrownBy(() -> load(Map.of("model.path", "lama", "model.mirror", "ftp://x/y")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("model.mirror");
        assertThatThrownBy(() -> load(Map.of("model.path", "/m/x.onnx", "model.mirror", "s3://m/")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("applies to a catalogue name");
    }

    @Test
    void filesAndS3StayAsTheyWere() {
        assertThat(load(Map.of("model.path", "./lama")).path()).isEqualTo(Path.of("./lama"));
        assertThat(load(Map.of("model.path", "s3://models/lama.onnx")).remote())
                .isEqualTo("s3://models/lama.onnx");
    }

    @Test
    void aCatalogueFileAddsEntries(@TempDir Path dir) throws Exception {
        Path catalog = dir.resolve("catalog.json");
        Files.writeString(
                catalog,
                "[{\"name\":\"test-a\",\"file\":\"t.onnx\",\"url\":\"http://127.0.0.1:9/t.onnx\","
                        + "\"bytes\":10,\"sha256\":\""
                        + OTHER_SHA
                        + "\",\"contract\":\"a\",\"licence\":\"test\",\"source\":\"a test\"}]");
        WorkerConfig.Model model =
                load(Map.of("model.path", "test-a", "model.catalog", catalog.toString()));
        assertThat(model.remote()).isEqualTo("http://127.0.0.1:9/t.onnx");
        assertThat(model.expectedBytes()).isEqualTo(10);
        assertThat(ModelCatalog.load(catalog).entries())
                .extracting(ModelCatalog.Entry::name)
                .containsExactly("lama", "test-a");
    }

    @Test
    void theProxyComesFromTheKeyOrTheEnvironment() {
        assertThat(
                        ConfigLoader.load(
                                        null, Map.of("HTTPS_PROXY", "http://proxy:3128"), Map.of())
                                .model()
                                .proxy())
                .hasHost("proxy")
                .hasPort(3128);
        assertThat(load(Map.of("model.proxy", "gate:8080")).proxy()).hasHost("gate");
        assertThat(load(Map.of()).proxy()).isNull();
        assertThat(
                        ConfigLoader.load(
                                        null,
                                        Map.of("NO_PROXY", "corp.example, .lan,*.svc"),
                                        Map.of())
                                .model()
                                .noProxy())
                .containsExactly("corp.example", "lan", "svc");
    }
}
