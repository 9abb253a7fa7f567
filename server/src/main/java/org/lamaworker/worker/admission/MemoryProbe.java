package org.lamaworker.worker.admission;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.lamaworker.worker.inference.InpaintModel;

/**
 * Reads the memory that calibration measures over a window (one model run): the process's resident
 * memory when the model runs on the CPU, the GPU's memory when it runs on one.
 */
public interface MemoryProbe {
    /** Opens a window; returns the memory in use now, in bytes. */
    long start() throws IOException;

    /** Closes the window; returns the most memory in use during it, in bytes. */
    long peak() throws IOException;

    /** The probe for where {@code model} runs: the CPU, or its GPU. */
    static MemoryProbe forModel(InpaintModel model) {
        if (model.nvidiaSmiId() == null) {
            return new ResidentMemory();
        }
        return NvidiaSmiProbe.forGpu(model.nvidiaSmiId());
    }

    /**
     * The process's resident memory: Linux keeps its peak ({@code VmHWM}), which writing 5 to
     * {@code /proc/self/clear_refs} resets (Linux 4.0 and later).
     */
    final class ResidentMemory implements MemoryProbe {
        @Override
        public long start() throws IOException {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return statusBytes("VmRSS:");
        }

        @Override
        public long peak() throws IOException {
            return statusBytes("VmHWM:");
        }

        /** A memory figure of {@code /proc/self/status} ({@code VmRSS:}, ...), in bytes. */
        public static long statusBytes(String field) throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
            throw new IOException(field + " not in /proc/self/status");
        }
    }
}
