package org.lamaworker.worker.inference;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lamaworker.worker.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a model on the configured device: {@code cpu}, {@code cuda:N} or {@code tensorrt:N}. A GPU
 * provider that cannot load (the CPU build of ONNX Runtime, or CUDA 12 / cuDNN 9 missing) stops the
 * worker with the reason, unless CPU fallback was allowed: a silent fallback would run a GPU fleet
 * at CPU speed.
 */
public final class ExecutionProviders {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutionProviders.class);

    /**
     * Device settings.
     *
     * @param device {@code cpu}, {@code cuda:N} or {@code tensorrt:N}
     * @param allowCpuFallback run on the CPU when the GPU provider cannot load
     * @param cudaOptions ONNX Runtime CUDA provider options (e.g. {@code gpu_mem_limit}, {@code
     *     arena_extend_strategy}, {@code cudnn_conv_algo_search})
     * @param visibleDevices the entries of {@code CUDA_VISIBLE_DEVICES}, empty when it is unset
     */
    public record Device(
            String device,
            boolean allowCpuFallback,
            Map<String, String> cudaOptions,
            List<String> visibleDevices) {
        /** The CPU. */
        public static final Device CPU = new Device("cpu", false, Map.of());

        /** A device in a process that sees every GPU under its own number. */
        public Device(String device, boolean allowCpuFallback, Map<String, String> cudaOptions) {
            this(device, allowCpuFallback, cudaOptions, List.of());
        }

        /** Validates the device name. */
        public Device {
            device = device.trim().toLowerCase(Locale.ROOT);
            if (!device.equals("cpu") && !device.matches("(cuda|tensorrt):\\d+")) {
                throw new ConfigException(
                        "inference.device must be cpu, cuda:N or tensorrt:N, got '" + device + "'");
            }
            cudaOptions = Map.copyOf(cudaOptions);
            visibleDevices = List.copyOf(visibleDevices);
        }

        /** Whether a GPU was asked for. */
        public boolean gpu() {
            return !device.equals("cpu");
        }

        int deviceId() {
            return Integer.parseInt(device.substring(device.indexOf(':') + 1));
        }

        /**
         * The GPU's id for nvidia-smi's {@code --id}: entry N of {@code CUDA_VISIBLE_DEVICES} for
         * {@code cuda:N} where that variable renumbers the GPUs, else N; {@code null} on the CPU.
         * An index there means CUDA's order, which is nvidia-smi's (PCI bus) order unless GPUs of
         * different speeds are mixed without {@code CUDA_DEVICE_ORDER=PCI_BUS_ID}; a UUID is exact.
         */
        public String nvidiaSmiId() {
            if (!gpu()) {
                return null;
            }
            int id = deviceId();
            return id < visibleDevices.size() ? visibleDevices.get(id) : Integer.toString(id);
        }
    }

    private ExecutionProviders() {}

    /**
     * Adds the device's providers to the options.
     *
     * @return the device the model will run on: the one asked for, or {@code cpu} after a permitted
     *     fallback
     * @throws ConfigException when the provider cannot load and fallback is not allowed
     */
    public static String apply(Device device, OrtSession.SessionOptions options) {
        if (!device.gpu()) {
            return "cpu";
        }
        try {
            if (device.device().startsWith("tensorrt:")) {
                options.addTensorrt(device.deviceId());
            }
            OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(device.deviceId());
            for (Map.Entry<String, String> option : device.cudaOptions().entrySet()) {
                cuda.add(option.getKey(), option.getValue());
            }
            options.addCUDA(cuda);
            return device.device();
        } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
            String reason =
                    "the "
                            + device.device()
                            + " execution provider cannot load: "
                            + e.getMessage()
                            + ". Build the worker with -Pgpu (onnxruntime_gpu), install CUDA 12.x and"
                            + " cuDNN 9 (TensorRT 10 for tensorrt:N), or set"
                            + " inference.allowCpuFallback=true to run on the CPU";
            if (!device.allowCpuFallback()) {
                throw new ConfigException(reason);
            }
            LOG.warn("Falling back to the CPU: {}", reason);
            return "cpu";
        }
    }

    /**
     * Warnings about operators the GPU providers have no kernel for, given a model's operator
     * counts: such nodes run on the CPU, with copies between devices around them.
     */
    public static java.util.List<String> gpuWarnings(Map<String, Integer> operatorCounts) {
        java.util.List<String> warnings = new java.util.ArrayList<>();
        Integer dft = operatorCounts.get("DFT");
        if (dft != null && dft > 0) {
            warnings.add(
                    dft
                            + " node(s) of type DFT have no CUDA kernel and will run on the CPU (slow):"
                            + " export the model with its Fourier units as MatMul, like lama_fp32.onnx");
        }
        return warnings;
    }
}
