package org.lamaworker.worker.admission;

import java.io.IOException;
import org.lamaworker.worker.inference.InpaintModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory a percentage budget is a share of: the GPU's ({@code memory.total} through nvidia-smi)
 * when the model runs on one, this machine's physical memory on the CPU. Reading a GPU's runs a
 * process: call it off the event loop.
 */
public final class DeviceMemory {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceMemory.class);

    private DeviceMemory() {}

    /** The memory of the device the model runs on, in bytes. */
    public static long bytesFor(InpaintModel model) {
        if (model.nvidiaSmiId() == null) {
            return physicalMemoryBytes();
        }
        try {
            return NvidiaSmiProbe.totalMemoryBytes(model.nvidiaSmiId());
        } catch (IOException e) {
            long host = physicalMemoryBytes();
            LOG.warn(
                    "Cannot read {}'s memory (nvidia-smi --id={}: {}); the memory budget is taken"
                            + " from this machine's {} MiB instead: set inference.memoryBudget to a"
                            + " byte count for the GPU",
                    model.device(),
                    model.nvidiaSmiId(),
                    e.getMessage(),
                    host >> 20);
            return host;
        }
    }

    /** Physical memory of this machine: the device's memory when inference runs on the CPU. */
    public static long physicalMemoryBytes() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean hotspot) {
            return hotspot.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }
}
