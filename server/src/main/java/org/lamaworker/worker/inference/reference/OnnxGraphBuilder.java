package org.lamaworker.worker.inference.reference;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Builds ONNX models op by op over the raw ONNX protobuf messages: graph inputs and outputs with
 * fixed or symbolic dimensions, float and int64 initializers stored as raw little-endian data, and
 * nodes of any operator with int, float, ints, floats or string attributes. Tensor names are
 * generated; the caller passes them from node to node.
 */
public final class OnnxGraphBuilder {
    private static final int IR_VERSION = 8;

    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private final int opset;
    private int counter;

    /** A graph of the default ONNX domain at the given opset. */
    public OnnxGraphBuilder(String name, int opset) {
        graph.setName(name);
        this.opset = opset;
    }

    /** A node attribute. */
    public record Attribute(OnnxMl.AttributeProto proto) {
        /** An integer attribute. */
        public static Attribute of(String name, long value) {
            return new Attribute(
                    base(name, OnnxMl.AttributeProto.AttributeType.INT).setI(value).build());
        }

        /** A float attribute. */
        public static Attribute of(String name, float value) {
            return new Attribute(
                    base(name, OnnxMl.AttributeProto.AttributeType.FLOAT).setF(value).build());
        }

        /** An integer-list attribute. */
        public static Attribute of(String name, long... values) {
            OnnxMl.AttributeProto.Builder b = base(name, OnnxMl.AttributeProto.AttributeType.INTS);
            for (long v : values) {
                b.addInts(v);
            }
            return new Attribute(b.build());
        }

        /** A float-list attribute. */
        public static Attribute of(String name, float... values) {
            OnnxMl.AttributeProto.Builder b =
                    base(name, OnnxMl.AttributeProto.AttributeType.FLOATS);
            for (float v : values) {
                b.addFloats(v);
            }
            return new Attribute(b.build());
        }

        /** A string attribute. */
        public static Attribute of(String name, String value) {
            return new Attribute(
                    base(name, OnnxMl.AttributeProto.AttributeType.STRING)
                            .setS(ByteString.copyFrom(value, StandardCharsets.UTF_8))
                            .build());
        }

        private static OnnxMl.AttributeProto.Builder base(
                String name, OnnxMl.AttributeProto.AttributeType type) {
            return OnnxMl.AttributeProto.newBuilder().setName(name).setType(type);
        }
    }

    /**
     * Declares a float graph input.
     *
     * @param dims each an {@link Integer} (fixed) or a {@link String} (symbolic)
     */
    public String input(String name, Object... dims) {
        graph.addInput(valueInfo(name, dims));
        return name;
    }

    /** Declares {@code tensor} as a float graph output named {@code name}. */
    public void output(String tensor, String name, Object... dims) {
        String produced = tensor.equals(name) ? tensor : node("Identity", List.of(tensor), name);
        graph.addOutput(valueInfo(produced, dims));
    }

    /** A float initializer. */
    public String floats(float[] values, long... dims) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return initializer(OnnxMl.TensorProto.DataType.FLOAT, buffer, dims);
    }

    /** A float scalar initializer. */
    public String scalar(float value) {
        return floats(new float[] {value});
    }

    /** An int64 initializer. */
    public String longs(long[] values, long... dims) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asLongBuffer().put(values);
        return initializer(OnnxMl.TensorProto.DataType.INT64, buffer, dims);
    }

    private String initializer(OnnxMl.TensorProto.DataType type, ByteBuffer data, long... dims) {
        String name = fresh("const");
        OnnxMl.TensorProto.Builder tensor =
                OnnxMl.TensorProto.newBuilder()
                        .setName(name)
                        .setDataType(type.getNumber())
                        .setRawData(ByteString.copyFrom(data.array()));
        for (long d : dims) {
            tensor.addDims(d);
        }
        graph.addInitializer(tensor);
        return name;
    }

    /** Adds a node with one output and returns the output's name. */
    public String node(String op, List<String> inputs, Attribute... attributes) {
        return node(op, inputs, fresh(op.toLowerCase(java.util.Locale.ROOT)), attributes);
    }

    private String node(String op, List<String> inputs, String output, Attribute... attributes) {
        nodes(op, inputs, List.of(output), attributes);
        return output;
    }

    /** Adds a node with several outputs; returns their names. */
    public List<String> node(String op, List<String> inputs, int outputs, Attribute... attributes) {
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            names.add(fresh(op.toLowerCase(java.util.Locale.ROOT)));
        }
        nodes(op, inputs, names, attributes);
        return names;
    }

    private void nodes(
            String op, List<String> inputs, List<String> outputs, Attribute... attributes) {
        OnnxMl.NodeProto.Builder node =
                OnnxMl.NodeProto.newBuilder()
                        .setOpType(op)
                        .setName(fresh("n_" + op))
                        .addAllInput(inputs)
                        .addAllOutput(outputs);
        for (Attribute a : attributes) {
            node.addAttribute(a.proto());
        }
        graph.addNode(node);
    }

    /** Serializes the model. */
    public byte[] toBytes() {
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("lama-worker")
                .addOpsetImport(
                        OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph)
                .build()
                .toByteArray();
    }

    private String fresh(String prefix) {
        return prefix + "_" + counter++;
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, Object... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (Object d : dims) {
            OnnxMl.TensorShapeProto.Dimension.Builder dim =
                    OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (d instanceof Integer i) {
                dim.setDimValue(i);
            } else {
                dim.setDimParam(d.toString());
            }
            shape.addDim(dim);
        }
        return OnnxMl.ValueInfoProto.newBuilder()
                .setName(name)
                .setType(
                        OnnxMl.TypeProto.newBuilder()
                                .setTensorType(
                                        OnnxMl.TypeProto.Tensor.newBuilder()
                                                .setElemType(
                                                        OnnxMl.TensorProto.DataType.FLOAT
                                                                .getNumber())
                                                .setShape(shape)))
                .build();
    }
}
