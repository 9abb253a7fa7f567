package org.lamaworker.worker.inference;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.lamaworker.worker.config.ConfigException;
import org.lamaworker.worker.config.ModelContract;

/**
 * Tells which {@link ModelContract} a graph follows from what its inputs and outputs are declared
 * as. It works on plain descriptions rather than on ONNX Runtime's node infos, so the rules (and
 * the refusals, which users read when they point the worker at the wrong export) can be tested
 * without building or loading a model.
 */
final class ContractDetector {
    static final String SUPPORTED =
            "supported: (a) inputs image float[B,3,S,S] 0..1 and mask float[B,1,S,S], output"
                    + " float[B,3,S,S]; (b) the same with dynamic H and W; (c) one input"
                    + " float[1,4,H,W] (masked RGB + mask), output float[1,3,H,W]";

    private ContractDetector() {}

    /**
     * One input or output of a graph as declared.
     *
     * @param name its name in the graph
     * @param type a tensor's element type in lower case ({@code float}, {@code int64}, ...), or
     *     what the value is when it is not a tensor
     * @param shape a tensor's dimensions, negative where symbolic; {@code null} when not a tensor
     */
    record Port(String name, String type, long[] shape) {
        /** The shape when this is a float tensor, else {@code null}. */
        long[] floatShape() {
            return shape != null && type.equals("float") ? shape : null;
        }

        /** As the refusal messages show it, e.g. {@code image float[1, 3, 512, 512]}. */
        @Override
        public String toString() {
            return name + " " + type + (shape != null ? Arrays.toString(shape) : "");
        }
    }

    /**
     * The contract, geometry and batching of a graph with these inputs and outputs. The output
     * scale is the contract's usual one (255 for a and b, 1 for c) until a probe or the
     * configuration says otherwise.
     *
     * @param id the model's id, for the messages
     * @param forced the contract the configuration asks for, or {@code null} to detect it
     * @throws ConfigException when the graph follows no supported contract, or not the forced one
     */
    static ModelInfo detect(
            String id, List<Port> inputs, List<Port> outputs, ModelContract forced) {
        String found = "inputs " + describe(inputs) + ", outputs " + describe(outputs);
        ConfigException refusal =
                new ConfigException("model " + id + " has " + found + "; " + SUPPORTED);
        if (outputs.size() != 1) {
            throw refusal;
        }
        long[] output = outputs.get(0).floatShape();
        if (output == null || output.length != 4 || output[1] != 3) {
            throw refusal;
        }
        Port imagePort = named(inputs, "image");
        Port maskPort = named(inputs, "mask");
        if (inputs.size() == 2 && imagePort != null && maskPort != null) {
            long[] image = imagePort.floatShape();
            long[] mask = maskPort.floatShape();
            if (image == null
                    || mask == null
                    || image.length != 4
                    || mask.length != 4
                    || image[1] != 3
                    || mask[1] != 1
                    || (image[2] > 0) != (image[3] > 0)) {
                throw refusal;
            }
            boolean fixed = image[2] > 0;
            ModelContract contract = fixed ? ModelContract.A : ModelContract.B;
            if (forced == ModelContract.C) {
                throw new ConfigException(
                        "model " + id + " has two inputs, so it cannot be contract c; " + found);
            } else if (forced != null) {
                contract = forced;
            }
            ModelShape shape =
                    fixed
                            ? new ModelShape((int) image[3], (int) image[2], 1)
                            : new ModelShape(0, 0, 8);
            // A batch dimension that is symbolic (-1) or larger than 1 takes several inputs.
            return new ModelInfo(contract, shape, image[0] < 0 || image[0] > 1, 255f);
        }
        if (inputs.size() == 1) {
            long[] input = inputs.get(0).floatShape();
            if (input == null
                    || input.length != 4
                    || input[1] != 4
                    || (input[2] > 0) != (input[3] > 0)) {
                throw refusal;
            }
            if (forced != null && forced != ModelContract.C) {
                throw new ConfigException(
                        "model " + id + " has one input, so it can only be contract c; " + found);
            }
            boolean fixed = input[2] > 0;
            ModelShape shape =
                    fixed
                            ? new ModelShape((int) input[3], (int) input[2], 1)
                            : new ModelShape(0, 0, 32);
            return new ModelInfo(ModelContract.C, shape, false, 1f);
        }
        throw refusal;
    }

    private static Port named(List<Port> ports, String name) {
        return ports.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
    }

    private static String describe(List<Port> ports) {
        return ports.stream().map(Port::toString).collect(Collectors.joining(", ", "[", "]"));
    }
}
