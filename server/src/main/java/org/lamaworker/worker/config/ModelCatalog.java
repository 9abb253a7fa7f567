package org.lamaworker.worker.config;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Models known by name, each pinned to one public file by size and SHA-256, so that {@code
 * model.path=lama} gives every worker the same bytes, checked, wherever it downloads them from. The
 * built-in list ships with the worker ({@code model-catalog.json} beside this class); {@code
 * model.catalog} names a JSON file of the same form whose entries are added, or replace built-in
 * ones of the same name (a fleet's own pinned exports, or a test's).
 */
public final class ModelCatalog {
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One pinned model.
     *
     * @param name what {@code model.path} says, e.g. {@code lama}
     * @param file the file's name in the cache and on a mirror
     * @param url where the public file is
     * @param bytes its size
     * @param sha256 its SHA-256, lower-case hex
     * @param contract its LaMa contract (a, b or c)
     * @param licence the weights' licence
     * @param source where the weights come from, for people
     */
    public record Entry(
            String name,
            String file,
            URI url,
            long bytes,
            String sha256,
            String contract,
            String licence,
            String source) {
        /** Validates that the entry pins one file. */
        public Entry {
            if (name == null || !isName(name)) {
                throw new ConfigException(
                        "catalogue entry name must be letters, digits, - or _, got " + name);
            }
            if (file == null || !isFileName(file)) {
                throw new ConfigException(
                        "catalogue entry "
                                + name
                                + ": file must be a file name of letters, digits, . _ -");
            }
            if (url == null
                    || !("https".equals(url.getScheme()) || "http".equals(url.getScheme()))) {
                throw new ConfigException("catalogue entry " + name + ": url must be http(s)");
            }
            if (bytes <= 0) {
                throw new ConfigException("catalogue entry " + name + ": bytes must be > 0");
            }
            if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
                throw new ConfigException(
                        "catalogue entry " + name + ": sha256 must be 64 lower-case hex digits");
            }
            ModelContract.parse(contract);
        }
    }

    private final Map<String, Entry> entries;

    private ModelCatalog(Map<String, Entry> entries) {
        this.entries = entries;
    }

    /** The built-in entries, plus those of {@code extra} when it is not {@code null}. */
    public static ModelCatalog load(Path extra) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        try (InputStream in = ModelCatalog.class.getResourceAsStream("model-catalog.json")) {
            read(in).forEach(e -> entries.put(e.name(), e));
        } catch (IOException e) {
            throw new IllegalStateException("the built-in model catalogue is unreadable", e);
        }
        if (extra != null) {
            try (InputStream in = Files.newInputStream(extra)) {
                read(in).forEach(e -> entries.put(e.name(), e));
            } catch (IOException | IllegalArgumentException e) {
                throw new ConfigException(
                        "model.catalog "
                                + extra
                                + " is not a readable catalogue: "
                                + e.getMessage());
            }
        }
        return new ModelCatalog(entries);
    }

    private static List<Entry> read(InputStream in) throws IOException {
        return JSON.readValue(in, new TypeReference<List<Entry>>() {});
    }

    /** The entry of that name. */
    public Optional<Entry> find(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    /** Every entry, built-in first. */
    public List<Entry> entries() {
        return new ArrayList<>(entries.values());
    }

    /**
     * Whether {@code name} can be a file in the cache as it is: letters, digits, {@code . _ -}, and
     * not {@code .} or {@code ..}, so that no name leads out of its folder.
     */
    public static boolean isFileName(String name) {
        return name != null && name.matches("[A-Za-z0-9._-]+") && !name.matches("\\.+");
    }

    /**
     * Whether {@code model.path} reads as a catalogue name rather than a file: no {@code /}, no
     * {@code .}, no scheme. A file named like an entry is given as {@code ./lama}.
     */
    public static boolean isName(String value) {
        return value.matches("[A-Za-z0-9_-]+");
    }
}
