package org.lamaworker.worker.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The {@code --json} side of the bench, shared by every mode: rates and fractions rounded to three
 * decimals, so the files stay readable and diffable between runs, and the figures written indented.
 */
final class Figures {
    private Figures() {}

    /** {@code v} to three decimals. */
    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** Writes {@code figures} to {@code file}, indented, keys in the map's order. */
    static void write(Path file, Map<String, Object> figures) throws IOException {
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(file.toFile(), figures);
    }
}
