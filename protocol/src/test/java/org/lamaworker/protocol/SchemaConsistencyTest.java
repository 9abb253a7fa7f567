package org.lamaworker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The published JSON Schemas must describe exactly the fields the records have. */
class SchemaConsistencyTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static JsonNode schema(String name) throws IOException {
        try (InputStream in = SchemaConsistencyTest.class.getResourceAsStream("/schemas/" + name)) {
            assertThat(in).as(name).isNotNull();
            return MAPPER.readTree(in);
        }
    }

    private static Set<String> components(Class<?> type) {
        Set<String> names = new HashSet<>();
        Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).forEach(names::add);
        return names;
    }

    private static Set<String> names(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @ParameterizedTest
    @CsvSource({
        "inpaint-job.v1.schema.json, org.lamaworker.protocol.InpaintJob",
        "inpaint-result.v1.schema.json, org.lamaworker.protocol.InpaintResult",
        "latency-event.v1.schema.json, org.lamaworker.protocol.LatencyEvent"
    })
    void topLevelPropertiesMatchTheRecord(String file, String recordClass) throws Exception {
        JsonNode schema = schema(file);
        Class<?> type = Class.forName(recordClass);
        assertThat(names(schema.get("properties"))).isEqualTo(components(type));
        for (JsonNode required : schema.get("required")) {
            assertThat(components(type)).contains(required.asText());
        }
    }

    @ParameterizedTest
    @CsvSource({
        "inpaint-job.v1.schema.json, /$defs/objectRef/properties, org.lamaworker.protocol.ObjectRef",
        "inpaint-job.v1.schema.json, /properties/options/properties, org.lamaworker.protocol.JobOptions",
        "inpaint-result.v1.schema.json, /properties/output/properties, org.lamaworker.protocol.OutputObject",
        "inpaint-result.v1.schema.json, /properties/error/properties, org.lamaworker.protocol.JobError",
        "inpaint-result.v1.schema.json, /$defs/timings/properties, org.lamaworker.protocol.Timings"
    })
    void nestedPropertiesMatchTheRecord(String file, String pointer, String recordClass)
            throws Exception {
        JsonNode node = schema(file).at(pointer);
        assertThat(node.isMissingNode()).as(pointer).isFalse();
        assertThat(names(node)).isEqualTo(components(Class.forName(recordClass)));
    }

    @Test
    void errorCodesInTheResultSchemaAreExactlyTheEnum() throws Exception {
        Set<String> listed = new HashSet<>();
        schema("inpaint-result.v1.schema.json")
                .at("/properties/error/properties/code/enum")
                .forEach(code -> listed.add(code.asText()));
        Set<String> codes = new HashSet<>();
        for (ErrorCode code : ErrorCode.values()) {
            codes.add(code.name());
        }
        assertThat(listed).isEqualTo(codes);
    }

    @Test
    void jpegPatchIsABooleanOptionAndAnEnumOfTheResultPaths() throws Exception {
        assertThat(
                        schema("inpaint-job.v1.schema.json")
                                .at("/properties/options/properties/jpegPatch/type")
                                .asText())
                .isEqualTo("boolean");
        Set<String> listed = new HashSet<>();
        schema("inpaint-result.v1.schema.json")
                .at("/properties/output/properties/jpegPatch/enum")
                .forEach(path -> listed.add(path.asText()));
        assertThat(listed).isEqualTo(OutputObject.JPEG_PATCH_VALUES);
        // Optional in the result: PNG and WebP results have none.
        for (JsonNode required :
                schema("inpaint-result.v1.schema.json").at("/properties/output/required")) {
            assertThat(required.asText()).isNotEqualTo("jpegPatch");
        }
    }
}
