package org.lamaworker.worker.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A picture of the workload and its mask, read into memory once so that the raw phase, the
 * end-to-end phase and the crop-policy comparison all work on the same bytes.
 */
record Sample(String name, byte[] image, byte[] mask) {
    /**
     * The pictures of {@code dir} that have a {@code NAME.mask.png} beside them, in file-name
     * order; only those named in {@code only} unless it is null. Empty when none qualifies: the
     * caller decides how to report that.
     */
    static List<Sample> readAll(Path dir, List<String> only) throws IOException {
        List<Sample> samples = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (!name.matches("(?i).+\\.(png|jpe?g|webp|tiff?)") || name.contains(".mask.")) {
                    continue;
                }
                Path mask = dir.resolve(name.substring(0, name.lastIndexOf('.')) + ".mask.png");
                if (Files.isRegularFile(mask) && (only == null || only.contains(name))) {
                    samples.add(
                            new Sample(name, Files.readAllBytes(file), Files.readAllBytes(mask)));
                }
            }
        }
        return samples;
    }
}
