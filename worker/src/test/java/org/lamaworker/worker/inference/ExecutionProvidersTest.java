package org.lamaworker.worker.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.config.ConfigException;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.Device;
import org.lamaworker.worker.config.ModelContract;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.reference.ReferenceFillModel;
import org.lamaworker.worker.tools.generate.BigLamaModel;

/** On this CPU-only build a GPU device fails loudly, or falls back only when allowed. */
class ExecutionProvidersTest {
    private static InpaintModel.Options on(String device, boolean fallback) {
        return new InpaintModel.Options(null, 1, null, null, true, new Device(device, fallback));
    }

    @Test
    void aGpuThatCannotLoadStopsTheWorkerWithTheReasonAndTheFix() {
        assertThatThrownBy(
                        () ->
                                InpaintModel.fromBytes(
                                        ReferenceFillModel.build(),
                                        "reference",
                                        on("cuda:0", false)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cuda:0 execution provider cannot load")
                .hasMessageContaining("-Pgpu")
                .hasMessageContaining("inference.allowCpuFallback=true");
    }

    @Test
    void fallbackToTheCpuOnlyWhenAllowed() {
        try (InpaintModel model =
                InpaintModel.fromBytes(
                        ReferenceFillModel.build(), "reference", on("cuda:0", true))) {
            assertThat(model.info().contract()).isEqualTo(ModelContract.B);
        }
    }

    @Test
    void deviceSettingsAreValidated() {
        assertThatThrownBy(
                        () ->
                                ConfigLoader.load(
                                        null, Map.of("LAMA_INFERENCE_DEVICE", "gpu"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("inference.device");
        assertThatThrownBy(
                        () ->
                                ConfigLoader.load(
                                        null,
                                        Map.of("LAMA_INFERENCE_CUDA_ARENA_STRATEGY", "big"),
                                        Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("inference.cuda.arenaStrategy");
        WorkerConfig config =
                ConfigLoader.load(
                        null,
                        Map.of(
                                "LAMA_INFERENCE_DEVICE",
                                "CUDA:1",
                                "LAMA_INFERENCE_CUDA_MEMORY_LIMIT_BYTES",
                                "8000000000"),
                        Map.of());
        assertThat(config.inference().device().device()).isEqualTo("cuda:1");
        assertThat(ExecutionProviders.cudaOptions(config.inference().device().cuda()))
                .containsEntry("gpu_mem_limit", "8000000000")
                .containsEntry("arena_extend_strategy", "kNextPowerOfTwo")
                .containsEntry("cudnn_conv_algo_search", "EXHAUSTIVE");
    }

    @Test
    void dftNodesAreReportedAsCpuFallbacks() throws Exception {
        Map<String, Integer> dynamic =
                ModelInspector.operatorCounts(
                        BigLamaModel.build(ModelContract.B, BigLamaModel.SMALL));
        Map<String, Integer> fixed =
                ModelInspector.operatorCounts(
                        BigLamaModel.build(ModelContract.A, BigLamaModel.SMALL));
        assertThat(dynamic.get("DFT")).isPositive();
        assertThat(fixed).doesNotContainKey("DFT").containsKey("MatMul");
        assertThat(ExecutionProviders.gpuWarnings(dynamic))
                .singleElement()
                .asString()
                .contains("DFT")
                .contains("MatMul");
        assertThat(ExecutionProviders.gpuWarnings(fixed)).isEmpty();
    }
}
