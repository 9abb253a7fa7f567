package org.lamaworker.worker.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.config.ConfigException;
import org.lamaworker.worker.config.ModelContract;
import org.lamaworker.worker.inference.ContractDetector.Port;

/** The contract read off declared inputs and outputs alone, without loading a model. */
class ContractDetectorTest {
    private static Port floats(String name, long... shape) {
        return new Port(name, "float", shape);
    }

    private static ModelInfo detect(List<Port> inputs, List<Port> outputs) {
        return ContractDetector.detect("m@1", inputs, outputs, null);
    }

    @Test
    void fixedImageAndMaskAreContractA() {
        ModelInfo info =
                detect(
                        List.of(floats("image", 1, 3, 512, 512), floats("mask", 1, 1, 512, 512)),
                        List.of(floats("output", 1, 3, 512, 512)));
        assertThat(info)
                .isEqualTo(
                        new ModelInfo(ModelContract.A, new ModelShape(512, 512, 1), false, 255f));
    }

    @Test
    void aSymbolicOrLargerBatchDimensionTakesBatches() {
        List<Port> output = List.of(floats("output", -1, 3, 256, 256));
        assertThat(
                        detect(
                                        List.of(
                                                floats("image", -1, 3, 256, 256),
                                                floats("mask", -1, 1, 256, 256)),
                                        output)
                                .batchAxis())
                .isTrue();
        // Declared in the other order: found by name, not by position.
        assertThat(
                        detect(
                                        List.of(
                                                floats("mask", 4, 1, 256, 256),
                                                floats("image", 4, 3, 256, 256)),
                                        output)
                                .batchAxis())
                .isTrue();
    }

    @Test
    void dynamicImageAndMaskAreContractBPaddedToEight() {
        ModelInfo info =
                detect(
                        List.of(floats("image", -1, 3, -1, -1), floats("mask", -1, 1, -1, -1)),
                        List.of(floats("output", -1, 3, -1, -1)));
        assertThat(info)
                .isEqualTo(new ModelInfo(ModelContract.B, new ModelShape(0, 0, 8), true, 255f));
    }

    @Test
    void oneFourChannelInputIsContractC() {
        assertThat(
                        detect(
                                List.of(floats("input", 1, 4, -1, -1)),
                                List.of(floats("out", 1, 3, -1, -1))))
                .isEqualTo(new ModelInfo(ModelContract.C, new ModelShape(0, 0, 32), false, 1f));
        assertThat(
                        detect(
                                        List.of(floats("input", 1, 4, 512, 512)),
                                        List.of(floats("out", 1, 3, 512, 512)))
                                .shape())
                .isEqualTo(new ModelShape(512, 512, 1));
    }

    @Test
    void aForcedContractOverridesWhatTheGeometrySays() {
        List<Port> inputs =
                List.of(floats("image", 1, 3, 512, 512), floats("mask", 1, 1, 512, 512));
        List<Port> outputs = List.of(floats("output", 1, 3, 512, 512));
        ModelInfo info = ContractDetector.detect("m@1", inputs, outputs, ModelContract.B);
        assertThat(info.contract()).isEqualTo(ModelContract.B);
        assertThat(info.shape()).isEqualTo(new ModelShape(512, 512, 1));
        assertThat(
                        ContractDetector.detect(
                                        "m@1",
                                        List.of(floats("input", 1, 4, -1, -1)),
                                        outputs,
                                        ModelContract.C)
                                .contract())
                .isEqualTo(ModelContract.C);
    }

    @Test
    void refusesAForcedContractTheInputsCannotHave() {
        List<Port> outputs = List.of(floats("output", 1, 3, -1, -1));
        assertThatThrownBy(
                        () ->
                                ContractDetector.detect(
                                        "m@1",
                                        List.of(
                                                floats("image", 1, 3, -1, -1),
                                                floats("mask", 1, 1, -1, -1)),
                                        outputs,
                                        ModelContract.C))
                .isInstanceOf(ConfigException.class)
                .hasMessage(
                        "model m@1 has two inputs, so it cannot be contract c; inputs [image"
                                + " float[1, 3, -1, -1], mask float[1, 1, -1, -1]], outputs"
                                + " [output float[1, 3, -1, -1]]");
        assertThatThrownBy(
                        () ->
                                ContractDetector.detect(
                                        "m@1",
                                        List.of(floats("input", 1, 4, -1, -1)),
                                        outputs,
                                        ModelContract.A))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("model m@1 has one input, so it can only be contract c;");
    }

    @Test
    void refusesAnotherLayoutSayingWhatItFound() {
        assertThatThrownBy(
                        () ->
                                detect(
                                        List.of(floats("pixels", 1, 5, -1, -1)),
                                        List.of(floats("output", 1, 5, -1, -1))))
                .isInstanceOf(ConfigException.class)
                .hasMessage(
                        "model m@1 has inputs [pixels float[1, 5, -1, -1]], outputs [output"
                                + " float[1, 5, -1, -1]]; "
                                + ContractDetector.SUPPORTED);
    }

    @Test
    void refusesWhatIsNotFloatFourDimensionalOrConsistent() {
        List<Port> image = List.of(floats("image", 1, 3, -1, -1), floats("mask", 1, 1, -1, -1));
        List<Port> output = List.of(floats("output", 1, 3, -1, -1));
        List<List<List<Port>>> refused =
                List.of(
                        // An integer mask.
                        List.of(
                                List.of(
                                        floats("image", 1, 3, -1, -1),
                                        new Port("mask", "int64", new long[] {1, 1, -1, -1})),
                                output),
                        // A fixed height with a dynamic width.
                        List.of(
                                List.of(
                                        floats("image", 1, 3, 512, -1),
                                        floats("mask", 1, 1, 512, -1)),
                                output),
                        // Two outputs.
                        List.of(image, List.of(floats("output", 1, 3, -1, -1), floats("extra", 1))),
                        // An output that is not a tensor.
                        List.of(image, List.of(new Port("output", "a sequence of maps", null))),
                        // A three-channel single input.
                        List.of(List.of(floats("input", 1, 3, -1, -1)), output),
                        // Image and mask plus a third input.
                        List.of(
                                List.of(
                                        floats("image", 1, 3, -1, -1),
                                        floats("mask", 1, 1, -1, -1),
                                        floats("seed", 1)),
                                output));
        for (List<List<Port>> graph : refused) {
            assertThatThrownBy(() -> detect(graph.get(0), graph.get(1)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("supported: (a)");
        }
        assertThatThrownBy(
                        () ->
                                detect(
                                        image,
                                        List.of(new Port("output", "a sequence of maps", null))))
                .hasMessageContaining("outputs [output a sequence of maps]");
    }
}
