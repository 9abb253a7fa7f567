package org.lamaworker.worker.tools.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.lamaworker.worker.config.ModelContract;

class ModelGeneratorTest {
    private static OnnxMl.GraphProto graph(byte[] model) throws InvalidProtocolBufferException {
        return OnnxMl.ModelProto.parseFrom(model).getGraph();
    }

    private static List<Long> dims(OnnxMl.ValueInfoProto value) {
        return value.getType().getTensorType().getShape().getDimList().stream()
                .map(d -> d.hasDimValue() ? d.getDimValue() : -1L)
                .toList();
    }

    @Test
    void referenceInEachContract() throws InvalidProtocolBufferException {
        OnnxMl.GraphProto a = graph(ModelGenerator.generate("reference", ModelContract.A, null));
        assertThat(a.getInputList())
                .extracting(OnnxMl.ValueInfoProto::getName)
                .containsExactly("image", "mask");
        assertThat(dims(a.getInput(0))).containsExactly(-1L, 3L, 512L, 512L);
        OnnxMl.GraphProto b = graph(ModelGenerator.generate("Reference", ModelContract.B, 64));
        assertThat(dims(b.getInput(0))).containsExactly(-1L, 3L, -1L, -1L);
        OnnxMl.GraphProto c = graph(ModelGenerator.generate("reference", ModelContract.C, 0));
        assertThat(c.getInputList())
                .extracting(OnnxMl.ValueInfoProto::getName)
                .containsExactly("input");
        assertThat(dims(c.getInput(0))).containsExactly(1L, 4L, -1L, -1L);
        assertThat(dims(c.getOutput(0))).containsExactly(1L, 3L, -1L, -1L);
    }

    @Test
    void bigLamaIsTheFullNetworkInTheGivenContract() throws InvalidProtocolBufferException {
        OnnxMl.GraphProto b = graph(ModelGenerator.generate("big-lama", ModelContract.B, null));
        assertThat(dims(b.getInput(0))).containsExactly(-1L, 3L, -1L, -1L);
        assertThat(b.getNodeList()).anyMatch(n -> n.getOpType().equals("DFT"));
        assertThat(b.getNodeList().stream().filter(n -> n.getOpType().equals("Conv")).count())
                .as("convs of 18 blocks and the rest")
                .isEqualTo(222);
    }

    @Test
    void refusesUnknownArchitecturesAndSizes() {
        assertThatThrownBy(() -> ModelGenerator.generate("lama-large", ModelContract.A, 512))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lama-large")
                .hasMessageContaining("big-lama or reference");
        assertThatThrownBy(() -> ModelGenerator.generate("big-lama", ModelContract.A, 100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 8");
        assertThatThrownBy(() -> ModelGenerator.generate("big-lama", ModelContract.A, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
