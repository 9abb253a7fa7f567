package org.lamaworker.worker.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The page's files, read from the jar once ({@code console/} on the class path): a fixed list, so
 * that no request path ever names a resource by itself.
 */
final class StaticFiles {
    /** A file and its content type. */
    record File(byte[] bytes, String contentType) {}

    private final Map<String, File> files;

    private StaticFiles(Map<String, File> files) {
        this.files = Map.copyOf(files);
    }

    /** Reads the page's files; fails when one is missing from the jar. */
    static StaticFiles load() {
        Map<String, File> files = new HashMap<>();
        File index = read("index.html", "text/html; charset=utf-8");
        files.put("/", index);
        files.put("/index.html", index);
        files.put("/console.css", read("console.css", "text/css; charset=utf-8"));
        files.put("/console.js", read("console.js", "text/javascript; charset=utf-8"));
        for (ConsoleServer.Sample sample : ConsoleServer.SAMPLES) {
            files.put("/samples/" + sample.file(), read("samples/" + sample.file(), "image/jpeg"));
        }
        return new StaticFiles(files);
    }

    /** The file served at this path, or {@code null}. */
    File get(String path) {
        return files.get(path);
    }

    private static File read(String name, String contentType) {
        try (InputStream in = StaticFiles.class.getResourceAsStream("/console/" + name)) {
            if (in == null) {
                throw new IllegalStateException("console/" + name + " is missing from the jar");
            }
            return new File(in.readAllBytes(), contentType);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read console/" + name + " from the jar", e);
        }
    }
}
