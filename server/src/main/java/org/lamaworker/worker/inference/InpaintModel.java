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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.worker.config.ConfigException;
import org.lamaworker.worker.config.Device;
import org.lamaworker.worker.config.ModelContract;
import org.lamaworker.worker.failure.JobFailure;
import org.lamaworker.worker.inference.reference.ReferenceFillModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ONNX Runtime session for a LaMa export of one of the {@link ModelContract}s, detected from the
 * model's inputs and outputs and a probe run of its output range (both overridable). The sole owner
 * of its session. {@link #run} may be called from several threads at once: ONNX Runtime allows
 * concurrent runs of one session, and each call packs its own tensors.
 */
public final class InpaintModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InpaintModel.class);
    private static final String SUPPORTED =
            "supported: (a) inputs image float[B,3,S,S] 0..1 and mask float[B,1,S,S], output"
                    + " float[B,3,S,S]; (b) the same with dynamic H and W; (c) one input"
                    + " float[1,4,H,W] (masked RGB + mask), output float[1,3,H,W]";

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

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final String id;
    private final String device;
    private final String nvidiaSmiId;
    private final List<String> inputNames;
    private final String outputName;
    private final ModelInfo info;
    private final java.util.concurrent.atomic.AtomicLong busyNanos =
            new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong sessionRuns =
            new java.util.concurrent.atomic.AtomicLong();

    /** The options of the runs in progress, so that {@link #close} can stop them. */
    private final java.util.Set<OrtSession.RunOptions> running = new java.util.HashSet<>();

    /** Set once {@link #close} begins; guarded with {@link #running} by its monitor. */
    private boolean closing;

    private InpaintModel(
            OrtEnvironment environment,
            OrtSession session,
            String id,
            String device,
            Options options)
            throws OrtException {
        this.environment = environment;
        this.session = session;
        this.id = id;
        this.device = device;
        this.nvidiaSmiId = device.equals("cpu") ? null : options.device().nvidiaSmiId();
        this.inputNames = new ArrayList<>(session.getInputNames());
        this.outputName = session.getOutputNames().iterator().next();
        ModelInfo detected = detect(session, id, options.contract());
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
                            + " LaMa (set model.path or --model to a LaMa ONNX export such as"
                            + " lama_fp32.onnx)");
            return fromBytes(ReferenceFillModel.build(), "reference-fill", options);
        }
        Path path = options.path();
        String id = path.getFileName() + "@" + fileSha256(path).substring(0, 12);
        // ONNX Runtime reads the file itself: a 200 MB model never passes through the Java heap.
        return create(
                id,
                options,
                (environment, sessionOptions) ->
                        environment.createSession(path.toString(), sessionOptions),
                () -> ModelInspector.operatorCounts(path));
    }

    /** Creates a session from a serialized model. */
    public static InpaintModel fromBytes(byte[] bytes, String name, Options options) {
        String id = name + "@" + HexFormat.of().formatHex(digest().digest(bytes)).substring(0, 12);
        return create(
                id,
                options,
                (environment, sessionOptions) -> environment.createSession(bytes, sessionOptions),
                () -> ModelInspector.operatorCounts(bytes));
    }

    /** Opens a session the way the caller's source allows. */
    @FunctionalInterface
    private interface SessionSource {
        OrtSession open(OrtEnvironment environment, OrtSession.SessionOptions options)
                throws OrtException;
    }

    /** The operator counts of the model being loaded, read only when a GPU asks for them. */
    @FunctionalInterface
    private interface Operators {
        Map<String, Integer> counts() throws IOException;
    }

    private static InpaintModel create(
            String id, Options options, SessionSource source, Operators operators) {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions()) {
            int threads =
                    options.threads() > 0
                            ? options.threads()
                            : Runtime.getRuntime().availableProcessors();
            sessionOptions.setIntraOpNumThreads(threads);
            sessionOptions.setInterOpNumThreads(1);
            sessionOptions.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // inference.cpuArena: repeated shapes reuse their buffers, which saves the page faults
            // of fresh allocations (2.35x the throughput of big-lama at 512 on 2 cores) at the
            // price of keeping the largest run's memory. Off, memory follows the run in progress.
            sessionOptions.setCPUArenaAllocator(options.cpuArena());
            sessionOptions.setMemoryPatternOptimization(options.cpuArena());
            if (!options.allowSpinning()) {
                // Idle intra-op threads then sleep instead of spinning, leaving the cores to
                // decoding, encoding and I/O, at some cost to the model's own speed.
                sessionOptions.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            String placed = ExecutionProviders.apply(options.device(), sessionOptions);
            OrtSession session = source.open(environment, sessionOptions);
            LOG.info("Model {} runs on {}", id, placed);
            if (!placed.equals("cpu")) {
                try {
                    ExecutionProviders.gpuWarnings(operators.counts())
                            .forEach(w -> LOG.warn("Model {}: {}", id, w));
                } catch (IOException e) {
                    LOG.warn("Model {}: cannot list its operators: {}", id, e.getMessage());
                }
            }
            try {
                return new InpaintModel(environment, session, id, placed, options);
            } catch (RuntimeException | OrtException e) {
                session.close();
                throw e;
            }
        } catch (OrtException e) {
            throw new ConfigException(
                    "cannot load model "
                            + id.substring(0, id.lastIndexOf('@'))
                            + ": "
                            + e.getMessage());
        }
    }

    private static String fileSha256(Path path) {
        MessageDigest digest = digest();
        byte[] buffer = new byte[1 << 20];
        try (var in = Files.newInputStream(path)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new ConfigException("cannot read model " + path + ": " + e.getMessage());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads the contract off the graph's inputs and outputs. */
    private static ModelInfo detect(OrtSession session, String id, ModelContract forced)
            throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        String found = "inputs " + describe(inputs) + ", outputs " + describe(outputs);
        ConfigException refusal =
                new ConfigException("model " + id + " has " + found + "; " + SUPPORTED);
        if (outputs.size() != 1) {
            throw refusal;
        }
        long[] output = floatShape(outputs.values().iterator().next());
        if (output == null || output.length != 4 || output[1] != 3) {
            throw refusal;
        }
        if (inputs.size() == 2 && inputs.containsKey("image") && inputs.containsKey("mask")) {
            long[] image = floatShape(inputs.get("image"));
            long[] mask = floatShape(inputs.get("mask"));
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
            if (forced != null && forced != ModelContract.C) {
                contract = forced;
            } else if (forced == ModelContract.C) {
                throw new ConfigException(
                        "model " + id + " has two inputs, so it cannot be contract c; " + found);
            }
            ModelShape shape =
                    fixed
                            ? new ModelShape((int) image[3], (int) image[2], 1)
                            : new ModelShape(0, 0, 8);
            return new ModelInfo(contract, shape, image[0] < 0 || image[0] > 1, 255f);
        }
        if (inputs.size() == 1) {
            long[] input = floatShape(inputs.values().iterator().next());
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

    /**
     * Runs a grey picture with a hole once and reads the output's range: exports differ in whether
     * they return 0..1 or 0..255. Doubles as the first warm-up run.
     */
    private float probeScale(ModelInfo detected) {
        int side = detected.shape().dynamic() ? 64 : detected.shape().fixedWidth();
        int height = detected.shape().dynamic() ? 64 : detected.shape().fixedHeight();
        float[] image = new float[3 * side * height];
        java.util.Arrays.fill(image, 0.6f);
        float[] mask = new float[side * height];
        for (int y = height / 4; y < height * 3 / 4; y++) {
            for (int x = side / 4; x < side * 3 / 4; x++) {
                mask[y * side + x] = 1f;
            }
        }
        float[] output =
                runRaw(
                                List.of(
                                        new InferenceInput(
                                                image, mask, side, height, side, height)),
                                detected.contract())
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

    private static long[] floatShape(NodeInfo node) {
        if (node.getInfo() instanceof TensorInfo t && t.type == OnnxJavaType.FLOAT) {
            return t.getShape();
        }
        return null;
    }

    private static String describe(Map<String, NodeInfo> nodes) {
        return nodes.entrySet().stream()
                .map(
                        e -> {
                            if (e.getValue().getInfo() instanceof TensorInfo t) {
                                return e.getKey()
                                        + " "
                                        + t.type.toString().toLowerCase(java.util.Locale.ROOT)
                                        + java.util.Arrays.toString(t.getShape());
                            }
                            return e.getKey() + " " + e.getValue().getInfo();
                        })
                .collect(Collectors.joining(", ", "[", "]"));
    }

    /** Name and content hash, e.g. {@code lama_fp32.onnx@3f2a9c0d11aa}. */
    public String id() {
        return id;
    }

    /** Where the session runs: {@code cpu}, {@code cuda:N} or {@code tensorrt:N}. */
    public String device() {
        return device;
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
        int first = inputs.get(0).tensorWidth() * 65536 + inputs.get(0).tensorHeight();
        for (InferenceInput input : inputs) {
            if (input.tensorWidth() * 65536 + input.tensorHeight() != first) {
                throw new IllegalArgumentException("inputs of one run must share a tensor size");
            }
        }
        List<float[]> outputs = new ArrayList<>(inputs.size());
        if (info.batchAxis()) {
            outputs.addAll(runRaw(inputs, info.contract()));
        } else {
            for (InferenceInput input : inputs) {
                outputs.addAll(runRaw(List.of(input), info.contract()));
            }
        }
        if (info.outputScale() != 255f) {
            float factor = 255f / info.outputScale();
            for (float[] output : outputs) {
                for (int i = 0; i < output.length; i++) {
                    output[i] *= factor;
                }
            }
        }
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
        synchronized (running) {
            return running.size();
        }
    }

    /** How many times ONNX Runtime ran this model, probe included: a batch counts once. */
    public long sessionRuns() {
        return sessionRuns.get();
    }

    /** Total time spent inside ONNX Runtime's run, for the device-busy fraction. */
    public long busyNanos() {
        return busyNanos.get();
    }

    private List<float[]> runRaw(List<InferenceInput> inputs, ModelContract contract) {
        sessionRuns.incrementAndGet();
        InferenceInput first = inputs.get(0);
        int h = first.tensorHeight();
        int w = first.tensorWidth();
        int plane = h * w;
        int batch = inputs.size();
        try {
            Map<String, OnnxTensor> feeds = new java.util.HashMap<>();
            try {
                if (contract == ModelContract.C) {
                    float[] packed = new float[batch * 4 * plane];
                    for (int b = 0; b < batch; b++) {
                        InferenceInput in = inputs.get(b);
                        int base = b * 4 * plane;
                        for (int c = 0; c < 3; c++) {
                            for (int i = 0; i < plane; i++) {
                                packed[base + c * plane + i] =
                                        in.image()[c * plane + i] * (1f - in.mask()[i]);
                            }
                        }
                        System.arraycopy(in.mask(), 0, packed, base + 3 * plane, plane);
                    }
                    feeds.put(
                            inputNames.get(0),
                            OnnxTensor.createTensor(
                                    environment,
                                    FloatBuffer.wrap(packed),
                                    new long[] {batch, 4, h, w}));
                } else {
                    float[] images = new float[batch * 3 * plane];
                    float[] masks = new float[batch * plane];
                    for (int b = 0; b < batch; b++) {
                        System.arraycopy(
                                inputs.get(b).image(), 0, images, b * 3 * plane, 3 * plane);
                        System.arraycopy(inputs.get(b).mask(), 0, masks, b * plane, plane);
                    }
                    feeds.put(
                            "image",
                            OnnxTensor.createTensor(
                                    environment,
                                    FloatBuffer.wrap(images),
                                    new long[] {batch, 3, h, w}));
                    feeds.put(
                            "mask",
                            OnnxTensor.createTensor(
                                    environment,
                                    FloatBuffer.wrap(masks),
                                    new long[] {batch, 1, h, w}));
                }
                long started = System.nanoTime();
                try (OrtSession.RunOptions runOptions = new OrtSession.RunOptions();
                        OrtSession.Result result = runTracked(feeds, runOptions)) {
                    busyNanos.addAndGet(System.nanoTime() - started);
                    OnnxTensor output = (OnnxTensor) result.get(outputName).orElseThrow();
                    FloatBuffer buffer = output.getFloatBuffer();
                    if (buffer.remaining() != batch * 3 * plane) {
                        throw new JobFailure(
                                ErrorCode.INFERENCE_FAILED,
                                "model "
                                        + id
                                        + " returned "
                                        + buffer.remaining()
                                        + " values for "
                                        + batch
                                        + " input(s) of "
                                        + w
                                        + "x"
                                        + h);
                    }
                    List<float[]> outputs = new ArrayList<>(batch);
                    for (int b = 0; b < batch; b++) {
                        float[] values = new float[3 * plane];
                        buffer.get(values);
                        outputs.add(values);
                    }
                    return outputs;
                }
            } finally {
                feeds.values().forEach(OnnxTensor::close);
            }
        } catch (OrtException e) {
            throw new JobFailure(
                    ErrorCode.INFERENCE_FAILED,
                    "model "
                            + id
                            + " failed on "
                            + batch
                            + " input(s) of "
                            + w
                            + "x"
                            + h
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * Runs the session with options {@link #close} can set to terminate; refused once closing
     * began, so that no run starts on a session being closed.
     */
    private OrtSession.Result runTracked(
            Map<String, OnnxTensor> feeds, OrtSession.RunOptions runOptions) throws OrtException {
        synchronized (running) {
            if (closing) {
                throw new JobFailure(ErrorCode.INFERENCE_FAILED, "model " + id + " is closing");
            }
            running.add(runOptions);
        }
        try {
            return session.run(feeds, runOptions);
        } finally {
            // Before try-with-resources frees the options: close() only touches listed ones.
            synchronized (running) {
                running.remove(runOptions);
                running.notifyAll();
            }
        }
    }

    /**
     * Closes the session. Runs still in progress (a shutdown whose grace ran out) are told to
     * terminate and waited for, up to 30 s: freeing a session under a run would crash the process.
     * If one still has not stopped, the session is left for the process's exit to reclaim.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        synchronized (running) {
            if (closing) {
                return;
            }
            closing = true;
            for (OrtSession.RunOptions options : running) {
                try {
                    options.setTerminate(true);
                } catch (OrtException e) {
                    LOG.warn("Model {}: cannot stop a run: {}", id, e.getMessage());
                }
            }
            try {
                while (!running.isEmpty()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        LOG.warn(
                                "Model {}: {} run(s) did not stop within 30 s; the session is left"
                                        + " open",
                                id,
                                running.size());
                        return;
                    }
                    running.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.warn(
                        "Model {}: interrupted while its runs stopped; the session is left open",
                        id);
                return;
            }
        }
        try {
            session.close();
        } catch (OrtException e) {
            LOG.warn("Closing model {} failed: {}", id, e.getMessage());
        }
    }
}
