package org.lamaworker.worker.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine runs in CI, so {@code compose.yaml} is checked by reading it: its images are the
 * official ones, the workers publish the management port and every {@code LAMA_*} variable it sets
 * names a key of the configuration reference, so a typo cannot silently fall back to a default.
 */
class ComposeConfigTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static JsonNode compose() throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("compose.yaml").toFile());
    }

    private static Set<String> referenceKeys() throws IOException {
        Properties reference = new Properties();
        try (Reader in =
                Files.newBufferedReader(
                        ROOT.resolve("deploy/lama-worker.properties"), StandardCharsets.UTF_8)) {
            reference.load(in);
        }
        return reference.stringPropertyNames();
    }

    /** The environment variable a configuration key is read from. */
    private static String environmentName(String key) {
        return "LAMA_"
                + key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('.', '_').toUpperCase();
    }

    private static List<Map.Entry<String, JsonNode>> workers(JsonNode compose) {
        List<Map.Entry<String, JsonNode>> workers = new ArrayList<>();
        compose.get("services")
                .properties()
                .forEach(
                        service -> {
                            if (service.getValue().has("build")) {
                                workers.add(service);
                            }
                        });
        return workers;
    }

    @Test
    void everyWorkerVariableNamesADocumentedKey() throws IOException {
        Set<String> known = new HashSet<>();
        for (String key : referenceKeys()) {
            known.add(environmentName(key));
        }
        List<Map.Entry<String, JsonNode>> workers = workers(compose());
        assertThat(workers).as("services built from deploy/").isNotEmpty();
        for (Map.Entry<String, JsonNode> worker : workers) {
            Set<String> names = new HashSet<>();
            JsonNode environment = worker.getValue().get("environment");
            if (environment.isArray()) {
                environment.forEach(e -> names.add(e.asText().split("=", 2)[0]));
            } else {
                environment.fieldNames().forEachRemaining(names::add);
            }
            assertThat(names).as(worker.getKey()).contains("LAMA_KAFKA_BOOTSTRAP_SERVERS");
            for (String name : names) {
                // kafka.* passes through to the Kafka clients; everything else must be documented.
                if (!name.startsWith("LAMA_KAFKA_")
                        || name.equals("LAMA_KAFKA_BOOTSTRAP_SERVERS")) {
                    assertThat(known).as(worker.getKey() + " sets " + name).contains(name);
                }
            }
        }
    }

    @Test
    void officialImagesAndTheManagementPort() throws IOException {
        JsonNode compose = compose();
        JsonNode services = compose.get("services");
        assertThat(services.get("kafka").get("image").asText()).startsWith("apache/kafka:");
        assertThat(services.get("minio").get("image").asText()).startsWith("minio/minio:");
        String port = ConfigKeys.DEFAULTS.get("management.port");
        for (Map.Entry<String, JsonNode> worker : workers(compose)) {
            List<String> ports = new ArrayList<>();
            worker.getValue().get("ports").forEach(p -> ports.add(p.asText()));
            assertThat(ports).as(worker.getKey()).anyMatch(p -> p.endsWith(":" + port));
            String dockerfile = worker.getValue().get("build").get("dockerfile").asText();
            assertThat(ROOT.resolve(dockerfile)).as(worker.getKey()).exists();
            assertThat(Files.readString(ROOT.resolve(dockerfile)))
                    .contains("HEALTHCHECK")
                    .contains("USER")
                    .contains("EXPOSE " + port);
        }
    }
}
