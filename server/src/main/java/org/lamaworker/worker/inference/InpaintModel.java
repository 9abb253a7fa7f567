package org.lamaworker.worker.inference;

import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.worker.config.ConfigException;
import org.lamaworker.worker.config.Device;
import org.lamaworker.worker.config.ModelContract;
import org.lamaworker.worker.failure.JobFailure;
import org.lamaworker.worker.inference.reference.ReferenceFillModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LaMa export of one of the {@link ModelContract}s, loaded and ready to run: what the rest of the
 * worker sees of ONNX Runtime. It puts together the parts that each change for their own reason:
 * {@link ContractDetector} reads the contract off the graph, {@link TensorLayout} packs and unpacks
 * tensors, {@link ModelSession} owns the native session, and {@link Batches} says what may share a
 * run; the output range is probed here once. {@link #run} may be called from several threads at
 * once: ONNX Runtime allows concurrent runs of one session, and each call packs its own tensors.
 */
public final class InpaintModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InpaintModel.class);

    /**
     * How to load a model.
     *
     * @param path the ONNX file, or {@code null} for the built-in reference fill model
     * @param threads intra-op threads; 0 means one per available processor
     * @param contract the contract to assume, or {@code null} to detect it
     * @param outputScale the output's full-intensity value (1 or 255), or {@code null} to probe it
     * @param allowSpinning whether idle intra-op threads spin (ONNX Runtime's default)
     * @param device where the model runs
     * @param cpuArena whether ONNX Runtime keeps freed CPU buffers for the next run (and plans
     *     memory per shape) instead of returning them to the system
     */
    public record Options(
            Path path,
            int threads,
            ModelContract contract,
            Float outputScale,
            boolean allowSpinning,
            Device device,
            boolean cpuArena) {
        /** With ONNX Runtime's CPU arena, its default. */
        public Options(
                Path path,
                int threads,
                ModelContract contract,
                Float outputScale,
                boolean allowSpinning,
                Device device) {
            this(path, threads, contract, outputScale, allowSpinning, device, true);
        }

        /**
         * Intra-op threads per session: its share of the processors, less one for each further
         * runner that shares it. A session's pool serves all its concurrent runs, each of which
         * also computes on its own calling thread; so two runners sharing a session of a 2-core
         * share run one thread each, and on 16 cores share 14 pool threads, one run alone taking
         * them all.
         */
        public static int threadsFor(int processors, int sessions, int runners) {
            int share = Math.max(1, processors / sessions);
            int runnersPerSession = (runners + sessions - 1) / sessions;
            return Math.max(1, share - runnersPerSession + 1);
        }

        /** Detect everything; ONNX Runtime's default thread spinning; the CPU. */
        public static Options detect(Path path, int threads) {
            return new Options(path, threads, null, null, true, Device.CPU);
        }

        /**
         * The options the worker's configuration asks for, with intra-op threads per {@link
         * #threadsFor} unless the configuration sets them.
         */
        public static Options of(org.lamaworker.worker.config.WorkerConfig config) {
            return of(config, config.inference().sessions(), config.inference().runners());
        }

        /**
         * The options for a command that runs one model run at a time on one session ({@code
         * inpaint}, the bench's crop-policy comparison): all the cores unless the configuration
         * sets the threads.
         */
        public static Options forOneRunAtATime(org.lamaworker.worker.config.WorkerConfig config) {
            return of(config, 1, 1);
        }

        private static Options of(
                org.lamaworker.worker.config.WorkerConfig config, int sessions, int runners) {
            if (config.model().remote() != null) {
                // A path of null would load the reference fill in place of the model asked for.
                throw new IllegalStateException(
                        "model "
                                + config.model().fileName()
                                + " must be fetched into model.cacheDir before it is loaded");
            }
            int threads = config.inference().threads();
            if (threads == 0) {
                threads = threadsFor(Runtime.getRuntime().availableProcessors(), sessions, runners);
            }
            return new Options(
                    config.model().path(),
                    threads,
                    config.model().contract(),
                    config.model().outputScale(),
                    config.inference().allowSpinning(),
                    config.inference().device(),
                    config.inference().cpuArena());
        }
    }

    private final ModelSession session;
    private final String id;
    private final String nvidiaSmiId;
    private final TensorLayout layout;
    private final ModelInfo info;

    private InpaintModel(ModelSession session, String id, Options options) throws OrtException {
        this.session = session;
        this.id = id;
        this.nvidiaSmiId = session.device().equals("cpu") ? null : options.device().nvidiaSmiId();
        List<ContractDetector.Port> inputs = session.inputs();
        ModelInfo detected =
                ContractDetector.detect(id, inputs, session.outputs(), options.contract());
        this.layout = new TensorLayout(detected.contract(), inputs.get(0).name());
        float scale = options.outputScale() != null ? options.outputScale() : probeScale(detected);
        this.info =
                new ModelInfo(detected.contract(), detected.shape(), detected.batchAxis(), scale);
        LOG.info("Model {}: {}", id, info);
    }

    /** Loads a model, detecting its contract and output range. */
    public static InpaintModel load(Path path, int threads) {
        return load(Options.detect(path, threads));
    }

    /**
     * Loads the model at {@code options.path()}, or builds the reference fill model when it is
     * {@code null}.
     *
     * @throws ConfigException when the file is missing, unreadable, or has no supported contract
     */
    public static InpaintModel load(Options options) {
        if (options.path() == null) {
            LOG.warn(
                    "No model configured: using the built-in reference fill model, which is NOT"
                            + " LaMa. For real object removal run with --model lama (downloads"
                            + " big-lama's 208 MB ONNX export once, checked by SHA-256), or set"
                            + " model.path to an export");
            return fromBytes(ReferenceFillModel.build(), "reference-fill", options);
        }
        Path path = options.path();
        // ONNX Runtime reads the file itself: a 200 MB model never passes through the Java heap.
        return create(
                ModelId.ofFile(path),
                options,
                (environment, sessionOptions) ->
                        environment.createSession(path.toString(), sessionOptions),
                () -> ModelInspector.operatorCounts(path));
    }

    /** Creates a session from a serialized model. */
    public static InpaintModel fromBytes(byte[] bytes, String name, Options options) {
        return create(
                ModelId.ofBytes(name, bytes),
                options,
                (environment, sessionOptions) -> environment.createSession(bytes, sessionOptions),
                () -> ModelInspector.operatorCounts(bytes));
    }

    /** The operator counts of the model being loaded, read only when a GPU asks for them. */
    @FunctionalInterface
    private interface Operators {
        Map<String, Integer> counts() throws IOException;
    }

    private static InpaintModel create(
            String id, Options options, ModelSession.Source source, Operators operators) {
        ModelSession session;
        try {
            session = ModelSession.open(id, options, source);
        } catch (OrtException e) {
            throw cannotLoad(id, e);
        }
        LOG.info("Model {} runs on {}", id, session.device());
        if (!session.device().equals("cpu")) {
            try {
                ExecutionProviders.gpuWarnings(operators.counts())
                        .forEach(w -> LOG.warn("Model {}: {}", id, w));
            } catch (IOException e) {
                LOG.warn("Model {}: cannot list its operators: {}", id, e.getMessage());
            }
        }
        try {
            return new InpaintModel(session, id, options);
        } catch (OrtException e) {
            session.close();
            throw cannotLoad(id, e);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    private static ConfigException cannotLoad(String id, OrtException e) {
        return new ConfigException("cannot load model " + ModelId.name(id) + ": " + e.getMessage());
    }

    /**
     * Runs a grey picture with a hole once and reads the output's range: exports differ in whether
     * they return 0..1 or 0..255. Doubles as the first warm-up run.
     */
    private float probeScale(ModelInfo detected) {
        int side = detected.shape().dynamic() ? 64 : detected.shape().fixedWidth();
        int height = detected.shape().dynamic() ? 64 : detected.shape().fixedHeight();
        float[] image = new float[3 * side * height];
        Arrays.fill(image, 0.6f);
        float[] mask = new float[side * height];
        for (int y = height / 4; y < height * 3 / 4; y++) {
            for (int x = side / 4; x < side * 3 / 4; x++) {
                mask[y * side + x] = 1f;
            }
        }
        float[] output =
                runOnce(List.of(new InferenceInput(image, mask, side, height, side, height)))
                        .get(0);
        float max = 0;
        for (float v : output) {
            max = Math.max(max, v);
        }
        // Known pixels are 0.6: a 0..255 model returns about 153 there, a 0..1 model about 0.6.
        float scale = max > 2f ? 255f : 1f;
        LOG.info("Model {}: probe output maximum {} -> output range 0..{}", id, max, (int) scale);
        return scale;
    }

    /** Name and content hash, e.g. {@code lama_fp32.onnx@3f2a9c0d11aa}. */
    public String id() {
        return id;
    }

    /** Where the session runs: {@code cpu}, {@code cuda:N} or {@code tensorrt:N}. */
    public String device() {
        return session.device();
    }

    /**
     * The id {@code nvidia-smi --id} knows this model's GPU by (see {@link Device#nvidiaSmiId}), or
     * {@code null} when it runs on the CPU.
     */
    public String nvidiaSmiId() {
        return nvidiaSmiId;
    }

    /** Contract, geometry, batching and output range. */
    public ModelInfo info() {
        return info;
    }

    /** The input size the model accepts. */
    public ModelShape shape() {
        return info.shape();
    }

    /** Runs the model on one input; see {@link #run(List)}. */
    public float[] run(InferenceInput input) {
        return run(List.of(input)).get(0);
    }

    /**
     * Runs the model on inputs of one tensor size, in one run when the model takes batches, and
     * returns for each a planar RGB array in 0..255 on its tensor grid.
     *
     * @throws JobFailure INFERENCE_FAILED when ONNX Runtime refuses the input
     */
    public List<float[]> run(List<InferenceInput> inputs) {
        long size = Batches.size(inputs.get(0));
        for (InferenceInput input : inputs) {
            if (Batches.size(input) != size) {
                throw new IllegalArgumentException("inputs of one run must share a tensor size");
            }
        }
        List<float[]> outputs = new ArrayList<>(inputs.size());
        for (List<InferenceInput> batch : Batches.cut(inputs, Batches.limit(info, inputs.size()))) {
            outputs.addAll(runOnce(batch));
        }
        TensorLayout.toFullRange(outputs, info.outputScale());
        return outputs;
    }

    /**
     * Runs every input shape the worker will use once, so that the first jobs do not pay for ONNX
     * Runtime's first-run work: for a fixed-size model, each batch size from 1 to {@code maxBatch}
     * (1 without a batch axis); for a dynamic one, a 512x512 input.
     *
     * @return the number of shapes run
     */
    public int warmUp(int maxBatch) {
        ModelShape shape = info.shape();
        int w = shape.dynamic() ? 512 : shape.fixedWidth();
        int h = shape.dynamic() ? 512 : shape.fixedHeight();
        int batches = info.batchAxis() && !shape.dynamic() ? maxBatch : 1;
        for (int b = 1; b <= batches; b++) {
            List<InferenceInput> inputs = new ArrayList<>(b);
            for (int i = 0; i < b; i++) {
                float[] mask = new float[w * h];
                mask[(h / 2) * w + w / 2] = 1f;
                inputs.add(new InferenceInput(new float[3 * w * h], mask, w, h, w, h));
            }
            run(inputs);
        }
        LOG.info("Model {}: warmed up {} shape(s)", id, batches);
        return batches;
    }

    /** Runs inside ONNX Runtime now. */
    int runsInProgress() {
        return session.runsInProgress();
    }

    /** How many times ONNX Runtime ran this model, probe included: a batch counts once. */
    public long sessionRuns() {
        return session.runs();
    }

    /** Total time spent inside ONNX Runtime's run, for the device-busy fraction. */
    public long busyNanos() {
        return session.busyNanos();
    }

    /** One session run of inputs the model can take together; outputs in the model's range. */
    private List<float[]> runOnce(List<InferenceInput> inputs) {
        try {
            FloatBuffer output = session.run(layout.pack(inputs));
            if (output.remaining() != TensorLayout.outputLength(inputs)) {
                throw new JobFailure(
                        ErrorCode.INFERENCE_FAILED,
                        "model "
                                + id
                                + " returned "
                                + output.remaining()
                                + " values for "
                                + describe(inputs));
            }
            return TensorLayout.unpack(output, inputs);
        } catch (OrtException e) {
            throw new JobFailure(
                    ErrorCode.INFERENCE_FAILED,
                    "model " + id + " failed on " + describe(inputs) + ": " + e.getMessage(),
                    e);
        }
    }

    /** E.g. {@code 2 input(s) of 512x512}, for the failure messages. */
    private static String describe(List<InferenceInput> inputs) {
        InferenceInput first = inputs.get(0);
        return inputs.size() + " input(s) of " + first.tensorWidth() + "x" + first.tensorHeight();
    }

    /**
     * Closes the session. Runs still in progress (a shutdown whose grace ran out) are told to
     * terminate and waited for, up to 30 s: freeing a session under a run would crash the process.
     * If one still has not stopped, the session is left for the process's exit to reclaim.
     */
    @Override
    public void close() {
        session.close();
    }
}
