package org.lamaworker.worker.inference;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads which operators an ONNX model uses. ONNX Runtime's Java API does not tell which provider
 * each node was placed on, so the worker predicts CPU fallbacks from the operator types instead.
 */
public final class ModelInspector {
    private ModelInspector() {}

    /** Operator type counts of a model file (the parsed model is dropped right after). */
    public static Map<String, Integer> operatorCounts(Path model) throws IOException {
        try (InputStream in = Files.newInputStream(model)) {
            return count(OnnxMl.ModelProto.parseFrom(in));
        }
    }

    /** Operator type counts of a serialized model. */
    public static Map<String, Integer> operatorCounts(byte[] model)
            throws InvalidProtocolBufferException {
        return count(OnnxMl.ModelProto.parseFrom(model));
    }

    private static Map<String, Integer> count(OnnxMl.ModelProto model) {
        Map<String, Integer> counts = new TreeMap<>();
        for (OnnxMl.NodeProto node : model.getGraph().getNodeList()) {
            counts.merge(node.getOpType(), 1, Integer::sum);
        }
        return counts;
    }
}
