package org.lamaworker.worker.app;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.protocol.ProtocolException;

/**
 * Turns repeated {@code --option name=value} arguments into job options, typed as JSON would be.
 */
public final class OptionArguments {
    private OptionArguments() {}

    /**
     * Parses {@code name=value} pairs: whole numbers become integers, {@code true}/{@code false}
     * booleans, anything else a string.
     *
     * @throws IllegalArgumentException for an argument without {@code =}
     */
    public static Map<String, Object> parse(List<String> arguments) {
        Map<String, Object> options = new LinkedHashMap<>();
        for (String argument : arguments) {
            int eq = argument.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(
                        "--option takes NAME=VALUE, got '" + argument + "'");
            }
            String value = argument.substring(eq + 1);
            Object typed;
            if (value.matches("-?\\d{1,9}")) {
                typed = Integer.parseInt(value);
            } else if (value.equals("true") || value.equals("false")) {
                typed = Boolean.parseBoolean(value);
            } else {
                typed = value;
            }
            options.put(argument.substring(0, eq), typed);
        }
        return options;
    }

    /**
     * Validates options the way the worker will, by decoding a job that carries them.
     *
     * @throws ProtocolException naming the bad option
     */
    public static JobOptions validate(Map<String, Object> options) {
        return job(
                        "local",
                        new ObjectRef("local", "image"),
                        new ObjectRef("local", "mask"),
                        options)
                .options();
    }

    /**
     * Validates a job before anything is uploaded.
     *
     * @throws ProtocolException naming the bad field or option
     */
    public static InpaintJob job(
            String jobId, ObjectRef image, ObjectRef mask, Map<String, Object> options) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", InpaintJob.VERSION);
        json.put("jobId", jobId);
        json.put("image", image);
        json.put("mask", mask);
        if (!options.isEmpty()) {
            json.put("options", options);
        }
        return JsonCodec.decodeJob(JsonCodec.encode(json));
    }
}
