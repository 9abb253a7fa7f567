package org.lamaworker.worker.inference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.worker.failure.JobFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only owner of a model's ONNX Runtime session and of the {@link OrtSession.SessionOptions} it
 * was created from. ONNX Runtime's Java API requires the options to stay open until every session
 * made from them is closed, so the two are opened and closed together here, the options last. It
 * also knows the runs in progress: freeing a session under a run would crash the process, so {@link
 * #close} first tells them to stop and waits for them. Runs may come from several threads at once,
 * which ONNX Runtime allows on one session.
 */
final class ModelSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelSession.class);
    private static final long CLOSE_WAIT_SECONDS = 30;

    /** Opens a session the way the caller's source allows: from a file or from bytes. */
    @FunctionalInterface
    interface Source {
        OrtSession open(OrtEnvironment environment, OrtSession.SessionOptions options)
                throws OrtException;
    }

    /** ONNX Runtime's process-wide environment: shared by every session, so not ours to close. */
    private final OrtEnvironment environment;

    private final OrtSession.SessionOptions sessionOptions;
    private final OrtSession session;
    private final String id;
    private final String device;
    private final AtomicLong busyNanos = new AtomicLong();
    private final AtomicLong runs = new AtomicLong();

    /** The options of the runs in progress, so that {@link #close} can stop them. */
    private final Set<OrtSession.RunOptions> running = new HashSet<>();

    /** Set once {@link #close} begins; guarded with {@link #running} by its monitor. */
    private boolean closing;

    private ModelSession(
            OrtEnvironment environment,
            OrtSession.SessionOptions sessionOptions,
            OrtSession session,
            String id,
            String device) {
        this.environment = environment;
        this.sessionOptions = sessionOptions;
        this.session = session;
        this.id = id;
        this.device = device;
    }

    /**
     * Opens a session with the threads, memory and device the options ask for.
     *
     * @param id the model's id, for the logs
     * @throws OrtException when ONNX Runtime cannot load the model
     */
    static ModelSession open(String id, InpaintModel.Options options, Source source)
            throws OrtException {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions();
        try {
            configure(sessionOptions, options);
            String device = ExecutionProviders.apply(options.device(), sessionOptions);
            OrtSession session = source.open(environment, sessionOptions);
            return new ModelSession(environment, sessionOptions, session, id, device);
        } catch (OrtException | RuntimeException e) {
            // No session was made from them, so nothing else can be using them.
            sessionOptions.close();
            throw e;
        }
    }

    private static void configure(OrtSession.SessionOptions sessionOptions, InpaintModel.Options o)
            throws OrtException {
        int threads = o.threads() > 0 ? o.threads() : Runtime.getRuntime().availableProcessors();
        sessionOptions.setIntraOpNumThreads(threads);
        sessionOptions.setInterOpNumThreads(1);
        sessionOptions.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        // inference.cpuArena: repeated shapes reuse their buffers, which saves the page faults
        // of fresh allocations (2.35x the throughput of big-lama at 512 on 2 cores) at the
        // price of keeping the largest run's memory. Off, memory follows the run in progress.
        sessionOptions.setCPUArenaAllocator(o.cpuArena());
        sessionOptions.setMemoryPatternOptimization(o.cpuArena());
        if (!o.allowSpinning()) {
            // Idle intra-op threads then sleep instead of spinning, leaving the cores to
            // decoding, encoding and I/O, at some cost to the model's own speed.
            sessionOptions.addConfigEntry("session.intra_op.allow_spinning", "0");
        }
    }

    /** Where the session runs: {@code cpu}, {@code cuda:N} or {@code tensorrt:N}. */
    String device() {
        return device;
    }

    /** The graph's inputs as declared, in the graph's order. */
    List<ContractDetector.Port> inputs() throws OrtException {
        return ports(session.getInputInfo());
    }

    /** The graph's outputs as declared, in the graph's order. */
    List<ContractDetector.Port> outputs() throws OrtException {
        return ports(session.getOutputInfo());
    }

    private static List<ContractDetector.Port> ports(Map<String, NodeInfo> nodes) {
        return nodes.values().stream().map(ModelSession::port).toList();
    }

    /** ONNX Runtime's node info as the plain description the contract detector reads. */
    private static ContractDetector.Port port(NodeInfo node) {
        if (node.getInfo() instanceof TensorInfo t) {
            String type = t.type.toString().toLowerCase(Locale.ROOT);
            return new ContractDetector.Port(node.getName(), type, t.getShape());
        }
        return new ContractDetector.Port(node.getName(), String.valueOf(node.getInfo()), null);
    }

    /**
     * Runs the graph once and returns its only output.
     *
     * @return the output's values, copied to the Java heap so they outlive the native result
     * @throws JobFailure INFERENCE_FAILED once {@link #close} has begun
     */
    FloatBuffer run(List<TensorLayout.Feed> feeds) throws OrtException {
        runs.incrementAndGet();
        Map<String, OnnxTensor> tensors = new HashMap<>();
        try {
            for (TensorLayout.Feed feed : feeds) {
                tensors.put(
                        feed.name(),
                        OnnxTensor.createTensor(
                                environment, FloatBuffer.wrap(feed.values()), feed.shape()));
            }
            long started = System.nanoTime();
            try (OrtSession.RunOptions runOptions = new OrtSession.RunOptions();
                    OrtSession.Result result = runTracked(tensors, runOptions)) {
                busyNanos.addAndGet(System.nanoTime() - started);
                return ((OnnxTensor) result.get(0)).getFloatBuffer();
            }
        } finally {
            tensors.values().forEach(OnnxTensor::close);
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

    /** Runs inside ONNX Runtime now. */
    int runsInProgress() {
        synchronized (running) {
            return running.size();
        }
    }

    /** How many times the graph ran: a batch counts once. */
    long runs() {
        return runs.get();
    }

    /** Total time spent inside ONNX Runtime's run. */
    long busyNanos() {
        return busyNanos.get();
    }

    /**
     * Closes the session, then its options. Runs still in progress (a shutdown whose grace ran out)
     * are told to terminate and waited for, up to 30 s. If one still has not stopped, both are left
     * for the process's exit to reclaim.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_WAIT_SECONDS);
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
                                "Model {}: {} run(s) did not stop within {} s; the session is"
                                        + " left open",
                                id,
                                running.size(),
                                CLOSE_WAIT_SECONDS);
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
            // The session may still hold what its options gave it: they stay open with it.
            LOG.warn("Closing model {} failed: {}", id, e.getMessage());
            return;
        }
        sessionOptions.close();
    }
}
