package org.lamaworker.worker.config;

import java.util.List;
import java.util.Locale;

/**
 * Where models run, as configured: {@code cpu}, {@code cuda:N} or {@code tensorrt:N}, with the CUDA
 * provider's settings in the configuration's own words. The inference package translates them into
 * ONNX Runtime's option names; this record knows nothing of them.
 *
 * @param device {@code cpu}, {@code cuda:N} or {@code tensorrt:N}
 * @param allowCpuFallback run on the CPU when the GPU provider cannot load
 * @param cuda the CUDA provider's settings ({@code inference.cuda.*})
 * @param visibleDevices the entries of {@code CUDA_VISIBLE_DEVICES}, empty when it is unset
 */
public record Device(
        String device, boolean allowCpuFallback, Cuda cuda, List<String> visibleDevices) {
    /** The CPU. */
    public static final Device CPU = new Device("cpu", false, Cuda.DEFAULTS, List.of());

    /** A device in a process that sees every GPU under its own number, CUDA defaults. */
    public Device(String device, boolean allowCpuFallback) {
        this(device, allowCpuFallback, Cuda.DEFAULTS, List.of());
    }

    /** Validates the device name. */
    public Device {
        device = device.trim().toLowerCase(Locale.ROOT);
        if (!device.equals("cpu") && !device.matches("(cuda|tensorrt):\\d+")) {
            throw new ConfigException(
                    "inference.device must be cpu, cuda:N or tensorrt:N, got '" + device + "'");
        }
        visibleDevices = List.copyOf(visibleDevices);
    }

    /** Whether a GPU was asked for. */
    public boolean gpu() {
        return !device.equals("cpu");
    }

    /** N of {@code cuda:N} or {@code tensorrt:N}; 0 on the CPU. */
    public int deviceId() {
        return gpu() ? Integer.parseInt(device.substring(device.indexOf(':') + 1)) : 0;
    }

    /**
     * The GPU's id for nvidia-smi's {@code --id}: entry N of {@code CUDA_VISIBLE_DEVICES} for
     * {@code cuda:N} where that variable renumbers the GPUs, else N; {@code null} on the CPU. An
     * index there means CUDA's order, which is nvidia-smi's (PCI bus) order unless GPUs of
     * different speeds are mixed without {@code CUDA_DEVICE_ORDER=PCI_BUS_ID}; a UUID is exact.
     */
    public String nvidiaSmiId() {
        if (!gpu()) {
            return null;
        }
        int id = deviceId();
        return id < visibleDevices.size() ? visibleDevices.get(id) : Integer.toString(id);
    }

    /**
     * The CUDA provider's settings.
     *
     * @param memoryLimitBytes {@code inference.cuda.memoryLimitBytes}; 0 for no limit
     * @param arenaStrategy {@code inference.cuda.arenaStrategy}: {@code nextPowerOfTwo} or {@code
     *     sameAsRequested}
     * @param cudnnConvAlgoSearch {@code inference.cuda.cudnnConvAlgoSearch}: {@code exhaustive},
     *     {@code heuristic} or {@code default}
     */
    public record Cuda(long memoryLimitBytes, String arenaStrategy, String cudnnConvAlgoSearch) {
        /** The defaults of {@code deploy/lama-worker.properties}. */
        public static final Cuda DEFAULTS = new Cuda(0, "nextPowerOfTwo", "exhaustive");

        /** Validates each setting. */
        public Cuda {
            if (memoryLimitBytes < 0) {
                throw new ConfigException(
                        "inference.cuda.memoryLimitBytes must be >= 0 (0: no limit)");
            }
            if (!List.of("nextPowerOfTwo", "sameAsRequested").contains(arenaStrategy)) {
                throw new ConfigException(
                        "inference.cuda.arenaStrategy must be nextPowerOfTwo or sameAsRequested");
            }
            if (!List.of("exhaustive", "heuristic", "default").contains(cudnnConvAlgoSearch)) {
                throw new ConfigException(
                        "inference.cuda.cudnnConvAlgoSearch must be exhaustive, heuristic or"
                                + " default");
            }
        }
    }
}
