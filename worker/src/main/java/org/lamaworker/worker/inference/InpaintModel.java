package org.lamaworker.worker.inference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Collectors;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.worker.config.ConfigException;
import org.lamaworker.worker.inference.generate.ReferenceFillModel;
import org.lamaworker.worker.job.JobFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ONNX Runtime session for a model with the LaMa two-input contract: inputs {@code image} float
 * [B,3,H,W] in 0..1 and {@code mask} float [B,1,H,W] (1 = hole), output [B,3,H,W] in 0..255. The
 * sole owner of its session; {@link #run} must be called from one thread at a time (the worker's
 * inference executor).
 */
public final class InpaintModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InpaintModel.class);
    private static final String IMAGE = "image";
    private static final String MASK = "mask";

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final String id;
    private final ModelShape shape;
    private final String outputName;

    private InpaintModel(OrtEnvironment environment, OrtSession session, String id)
            throws OrtException {
        this.environment = environment;
        this.session = session;
        this.id = id;
        this.shape = checkContract(session, id);
        this.outputName = session.getOutputNames().iterator().next();
    }

    /**
     * Loads the model at {@code path}, or builds the reference fill model when {@code path} is
     * {@code null}.
     *
     * @param threads intra-op threads; 0 means one per available processor
     * @throws ConfigException when the file is missing or does not have the contract
     */
    public static InpaintModel load(Path path, int threads) {
        byte[] bytes;
        String name;
        if (path == null) {
            LOG.warn(
                    "No model configured: using the built-in reference fill model, which is NOT"
                            + " LaMa (set model.path or --model to a LaMa ONNX export such as"
                            + " lama_fp32.onnx)");
            bytes = ReferenceFillModel.build();
            name = "reference-fill";
        } else {
            try {
                bytes = Files.readAllBytes(path);
            } catch (IOException e) {
                throw new ConfigException("cannot read model " + path + ": " + e.getMessage());
            }
            name = path.getFileName().toString();
        }
        return fromBytes(bytes, name, threads);
    }

    /** Creates a session from a serialized model. */
    public static InpaintModel fromBytes(byte[] bytes, String name, int threads) {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        String id = name + "@" + sha256(bytes).substring(0, 12);
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(
                    threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            OrtSession session = environment.createSession(bytes, options);
            try {
                return new InpaintModel(environment, session, id);
            } catch (RuntimeException | OrtException e) {
                session.close();
                throw e;
            }
        } catch (OrtException e) {
            throw new ConfigException("cannot load model " + name + ": " + e.getMessage());
        }
    }

    private static ModelShape checkContract(OrtSession session, String id) throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        String found = "inputs " + describe(inputs) + ", outputs " + describe(outputs);
        String supported =
                "supported: inputs image float[B,3,H,W] (0..1) and mask float[B,1,H,W] (1 = hole),"
                        + " one output float[B,3,H,W] (0..255), H and W both fixed or both dynamic";
        if (inputs.size() != 2
                || !inputs.containsKey(IMAGE)
                || !inputs.containsKey(MASK)
                || outputs.size() != 1) {
            throw new ConfigException("model " + id + " has " + found + "; " + supported);
        }
        long[] image = floatShape(inputs.get(IMAGE));
        long[] mask = floatShape(inputs.get(MASK));
        long[] output = floatShape(outputs.values().iterator().next());
        if (image == null
                || mask == null
                || output == null
                || image.length != 4
                || mask.length != 4
                || output.length != 4
                || image[1] != 3
                || mask[1] != 1
                || output[1] != 3
                || (image[2] > 0) != (image[3] > 0)) {
            throw new ConfigException("model " + id + " has " + found + "; " + supported);
        }
        ModelShape shape =
                image[2] > 0
                        ? new ModelShape((int) image[3], (int) image[2], 1)
                        : new ModelShape(0, 0, 8);
        LOG.info("Model {}: {} ({})", id, found, shape.dynamic() ? "dynamic size" : "fixed size");
        return shape;
    }

    private static long[] floatShape(NodeInfo node) {
        if (node.getInfo() instanceof TensorInfo t && t.type == OnnxJavaType.FLOAT) {
            return t.getShape();
        }
        return null;
    }

    private static String describe(Map<String, NodeInfo> nodes) {
        return nodes.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue().getInfo())
                .collect(Collectors.joining(", ", "[", "]"));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Name and content hash, e.g. {@code lama_fp32.onnx@3f2a9c0d11aa}. */
    public String id() {
        return id;
    }

    /** The input size the model accepts. */
    public ModelShape shape() {
        return shape;
    }

    /**
     * Runs the model on one input and returns planar RGB in 0..255 on the tensor grid.
     *
     * @throws JobFailure INFERENCE_FAILED when ONNX Runtime refuses the input
     */
    public float[] run(InferenceInput input) {
        long[] imageShape = {1, 3, input.tensorHeight(), input.tensorWidth()};
        long[] maskShape = {1, 1, input.tensorHeight(), input.tensorWidth()};
        try (OnnxTensor image =
                        OnnxTensor.createTensor(
                                environment, FloatBuffer.wrap(input.image()), imageShape);
                OnnxTensor mask =
                        OnnxTensor.createTensor(
                                environment, FloatBuffer.wrap(input.mask()), maskShape);
                OrtSession.Result result = session.run(Map.of(IMAGE, image, MASK, mask))) {
            OnnxTensor output = (OnnxTensor) result.get(outputName).orElseThrow();
            FloatBuffer buffer = output.getFloatBuffer();
            float[] values = new float[buffer.remaining()];
            buffer.get(values);
            if (values.length != input.image().length) {
                throw new JobFailure(
                        ErrorCode.INFERENCE_FAILED,
                        "model "
                                + id
                                + " returned "
                                + values.length
                                + " values for a "
                                + input.tensorWidth()
                                + "x"
                                + input.tensorHeight()
                                + " input");
            }
            return values;
        } catch (OrtException e) {
            throw new JobFailure(
                    ErrorCode.INFERENCE_FAILED,
                    "model "
                            + id
                            + " failed on a "
                            + input.tensorWidth()
                            + "x"
                            + input.tensorHeight()
                            + " input: "
                            + e.getMessage(),
                    e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            LOG.warn("Closing model {} failed: {}", id, e.getMessage());
        }
    }
}
