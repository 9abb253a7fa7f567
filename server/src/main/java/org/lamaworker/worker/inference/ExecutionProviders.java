package org.lamaworker.worker.inference;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import java.util.Locale;
import java.util.Map;
import org.lamaworker.worker.config.ConfigException;
import org.lamaworker.worker.config.Device;
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
            // The session options keep their own copy of the provider's settings: the native
            // handle is freed here, whatever happens.
            try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(device.deviceId())) {
                for (Map.Entry<String, String> option : cudaOptions(device.cuda()).entrySet()) {
                    cuda.add(option.getKey(), option.getValue());
                }
                options.addCUDA(cuda);
            }
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

    /** The CUDA settings in ONNX Runtime's option names and values. */
    public static Map<String, String> cudaOptions(Device.Cuda cuda) {
        Map<String, String> options = new java.util.TreeMap<>();
        if (cuda.memoryLimitBytes() > 0) {
            options.put("gpu_mem_limit", String.valueOf(cuda.memoryLimitBytes()));
        }
        options.put(
                "arena_extend_strategy",
                cuda.arenaStrategy().equals("sameAsRequested")
                        ? "kSameAsRequested"
                        : "kNextPowerOfTwo");
        options.put("cudnn_conv_algo_search", cuda.cudnnConvAlgoSearch().toUpperCase(Locale.ROOT));
        return options;
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
