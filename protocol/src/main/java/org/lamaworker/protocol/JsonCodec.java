package org.lamaworker.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.stream.Collectors;

/**
 * Encodes and decodes the protocol's messages as UTF-8 JSON.
 *
 * <p>Jobs are decoded strictly: unknown fields, wrong types and invalid values are refused with a
 * {@link ProtocolException} naming the field. Results and events are decoded leniently (unknown
 * fields ignored) so that readers keep working when a newer worker adds fields.
 */
public final class JsonCodec {
    private static final int MAX_JOB_BYTES = 64 * 1024;

    private static final ObjectMapper STRICT = mapper(true);
    private static final ObjectMapper LENIENT = mapper(false);

    private JsonCodec() {}

    private static ObjectMapper mapper(boolean strict) {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, strict)
                .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
                .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
                .configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false)
                .configure(MapperFeature.ALLOW_COERCION_OF_SCALARS, false)
                .configure(StreamReadFeature.STRICT_DUPLICATE_DETECTION, true)
                .configure(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS, false)
                .defaultPropertyInclusion(
                        JsonInclude.Value.construct(
                                JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
                .build();
    }

    /** Encodes any protocol record as UTF-8 JSON. */
    public static byte[] encode(Object message) {
        try {
            return LENIENT.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(
                    "cannot encode " + message.getClass().getSimpleName(), e);
        }
    }

    /**
     * Decodes and validates a job.
     *
     * @throws ProtocolException naming the offending field, with the job id when one was readable
     */
    public static InpaintJob decodeJob(byte[] json) {
        if (json == null || json.length == 0) {
            throw new ProtocolException(
                    ProtocolException.Reason.MALFORMED,
                    null,
                    "the record has no value",
                    null,
                    null);
        }
        if (json.length > MAX_JOB_BYTES) {
            throw new ProtocolException(
                    ProtocolException.Reason.MALFORMED,
                    null,
                    "the record is "
                            + json.length
                            + " bytes; a job may have at most "
                            + MAX_JOB_BYTES,
                    null,
                    null);
        }
        JsonNode tree;
        try {
            tree = STRICT.readTree(json);
        } catch (IOException e) {
            throw new ProtocolException(
                    ProtocolException.Reason.MALFORMED,
                    null,
                    "not valid JSON: " + firstLine(e.getMessage()),
                    null,
                    e);
        }
        if (tree == null || !tree.isObject()) {
            throw new ProtocolException(
                    ProtocolException.Reason.MALFORMED,
                    null,
                    "a job must be a JSON object",
                    null,
                    null);
        }
        String readableJobId = readableJobId(tree);
        try {
            return STRICT.treeToValue(tree, InpaintJob.class);
        } catch (JsonMappingException e) {
            throw translate(e, readableJobId);
        } catch (JsonProcessingException e) {
            throw new ProtocolException(
                    ProtocolException.Reason.MALFORMED,
                    null,
                    firstLine(e.getMessage()),
                    readableJobId,
                    e);
        }
    }

    /** Decodes a result, ignoring fields this version does not know. */
    public static InpaintResult decodeResult(byte[] json) {
        return decodeLenient(json, InpaintResult.class);
    }

    /** Decodes a latency event, ignoring fields this version does not know. */
    public static LatencyEvent decodeEvent(byte[] json) {
        return decodeLenient(json, LatencyEvent.class);
    }

    private static <T> T decodeLenient(byte[] json, Class<T> type) {
        try {
            return LENIENT.readValue(json, type);
        } catch (JsonMappingException e) {
            throw translate(e, null);
        } catch (IOException e) {
            throw new ProtocolException(
                    ProtocolException.Reason.MALFORMED, null, firstLine(e.getMessage()), null, e);
        }
    }

    private static String readableJobId(JsonNode tree) {
        JsonNode id = tree.get("jobId");
        if (id != null && id.isTextual() && Checks.JOB_ID.matcher(id.textValue()).matches()) {
            return id.textValue();
        }
        return null;
    }

    private static ProtocolException translate(JsonMappingException e, String readableJobId) {
        String path =
                e.getPath().stream()
                        .map(
                                r ->
                                        r.getFieldName() != null
                                                ? r.getFieldName()
                                                : "[" + r.getIndex() + "]")
                        .collect(Collectors.joining("."))
                        .replace(".[", "[");
        Throwable cause = e.getCause();
        while (cause != null && !(cause instanceof ProtocolException)) {
            cause = cause.getCause();
        }
        if (cause instanceof ProtocolException pe) {
            // Jackson's path ends at the property holding the record whose constructor refused a
            // field.
            return pe.withContext(path, readableJobId);
        }
        String detail;
        if (e instanceof UnrecognizedPropertyException u) {
            detail = "unknown field; known fields are " + u.getKnownPropertyIds();
        } else {
            detail = "has the wrong type or format: " + firstLine(e.getOriginalMessage());
        }
        return new ProtocolException(
                ProtocolException.Reason.INVALID_FIELD,
                path.isEmpty() ? null : path,
                detail,
                readableJobId,
                e);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
