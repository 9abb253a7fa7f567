package org.lamaworker.worker.tools.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Apache Kafka broker (KRaft, combined broker and controller) running inside this
 * JVM, for development and tests only.
 *
 * <p>The node listens on {@code 127.0.0.1} with free ports chosen at start. Every internal topic
 * uses replication factor 1, the offsets topic has few partitions, consumer groups rebalance
 * without the initial delay, and the log cleaner's dedupe buffer is lowered to keep the heap small.
 *
 * <p>The log directory lives under the given data directory. When that directory already holds a
 * log directory formatted by a previous run, it is reused, so topics and records survive a restart;
 * the cluster id is kept in {@code cluster.id} next to it.
 *
 * <p>While a broker runs, Kafka's {@code Exit} procedures are replaced so that a fatal broker error
 * is logged and thrown instead of ending the JVM.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int START_ATTEMPTS = 3;
    private static final long ADMIN_TIMEOUT_SECONDS = 30;
    private static final Object EXIT_LOCK = new Object();
    private static int running;

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final String clusterId;
    private boolean closed;

    private final Path dataDir;
    private final int brokerPort;
    private final int controllerPort;

    private EmbeddedKafka(
            KafkaRaftServer server,
            String clusterId,
            Path dataDir,
            int brokerPort,
            int controllerPort) {
        this.server = server;
        this.bootstrapServers = "127.0.0.1:" + brokerPort;
        this.clusterId = clusterId;
        this.dataDir = dataDir;
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
    }

    /**
     * Starts this broker again, after {@link #close()}, on the same ports and data: clients
     * configured with {@link #bootstrapServers()} reconnect to it. For fault tests.
     *
     * @return the restarted broker
     */
    public EmbeddedKafka restart() {
        close();
        return start(dataDir, brokerPort, controllerPort);
    }

    /**
     * Starts a broker whose data lives under {@code dataDir}, formatting the log directory on the
     * first run and reusing it afterwards. Returns once the broker accepts clients.
     *
     * @param dataDir directory for the broker's logs and metadata; created if missing
     * @return the running broker
     * @throws IllegalStateException if the log directory cannot be formatted or the broker fails to
     *     start
     */
    public static EmbeddedKafka start(Path dataDir) {
        Objects.requireNonNull(dataDir, "dataDir");
        Path logDir = dataDir.toAbsolutePath().resolve("kraft-logs");
        String clusterId = clusterId(dataDir.toAbsolutePath());
        interceptExit();
        RuntimeException failure = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            try {
                int[] ports = FreePorts.pick(2);
                return startOn(dataDir, clusterId, ports[0], ports[1]);
            } catch (RuntimeException e) {
                failure = failure == null ? e : addSuppressed(failure, e);
                if (!isBindFailure(e)) {
                    break;
                }
                LOG.warn("Embedded Kafka port taken, retrying ({}/{})", attempt, START_ATTEMPTS);
            }
        }
        releaseExit();
        throw new IllegalStateException("Embedded Kafka failed to start in " + logDir, failure);
    }

    private static EmbeddedKafka start(Path dataDir, int brokerPort, int controllerPort) {
        interceptExit();
        try {
            return startOn(
                    dataDir.toAbsolutePath(),
                    clusterId(dataDir.toAbsolutePath()),
                    brokerPort,
                    controllerPort);
        } catch (RuntimeException e) {
            releaseExit();
            throw new IllegalStateException("Embedded Kafka failed to restart in " + dataDir, e);
        }
    }

    private static EmbeddedKafka startOn(
            Path dataDir, String clusterId, int brokerPort, int controllerPort) {
        Path logDir = dataDir.toAbsolutePath().resolve("kraft-logs");
        Properties props = brokerProperties(logDir, brokerPort, controllerPort);
        KafkaRaftServer server = null;
        try {
            format(logDir, clusterId, props);
            server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            LOG.info(
                    "Embedded Kafka {} started on 127.0.0.1:{} (data in {})",
                    clusterId,
                    brokerPort,
                    logDir);
            return new EmbeddedKafka(
                    server, clusterId, dataDir.toAbsolutePath(), brokerPort, controllerPort);
        } catch (RuntimeException e) {
            if (server != null) {
                stopQuietly(server);
            }
            throw e;
        }
    }

    /** Returns the bootstrap servers clients connect to, as {@code 127.0.0.1:PORT}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Returns the id of the cluster, stable across restarts on the same data directory. */
    public String clusterId() {
        return clusterId;
    }

    /**
     * Creates the given topics with replication factor 1. Topics that already exist are left as
     * they are.
     *
     * @param partitionsByName number of partitions for each topic name
     * @throws IllegalStateException if a topic cannot be created
     */
    public void createTopics(Map<String, Integer> partitionsByName) {
        createTopics(bootstrapServers(), partitionsByName);
    }

    /**
     * Creates topics with replication factor 1 on any broker, leaving those that exist: for
     * single-node development and test brokers.
     *
     * @throws IllegalStateException if a topic cannot be created
     */
    public static void createTopics(
            String bootstrapServers, Map<String, Integer> partitionsByName) {
        if (partitionsByName.isEmpty()) {
            return;
        }
        List<NewTopic> topics = new ArrayList<>();
        partitionsByName.forEach(
                (name, partitions) -> topics.add(new NewTopic(name, partitions, (short) 1)));
        Map<String, Object> config =
                Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        AdminClientConfig.CLIENT_ID_CONFIG,
                        "embedded-kafka-admin");
        try (Admin admin = Admin.create(config)) {
            CreateTopicsResult result = admin.createTopics(topics);
            for (Map.Entry<String, KafkaFuture<Void>> entry : result.values().entrySet()) {
                try {
                    entry.getValue().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException(
                                "Cannot create topic " + entry.getKey(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topics", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Timed out creating topics " + partitionsByName, e);
        }
    }

    /** Stops the broker and waits until it has shut down. Calling it again does nothing. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            server.shutdown();
            server.awaitShutdown();
            LOG.info("Embedded Kafka {} stopped", clusterId);
        } finally {
            releaseExit();
        }
    }

    private static Properties brokerProperties(Path logDir, int brokerPort, int controllerPort) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.setProperty(
                "listeners",
                "PLAINTEXT://127.0.0.1:"
                        + brokerPort
                        + ",CONTROLLER://127.0.0.1:"
                        + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("log.dirs", logDir.toString());
        p.setProperty("num.partitions", "1");
        p.setProperty("default.replication.factor", "1");
        p.setProperty("min.insync.replicas", "1");
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "4");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("transaction.state.log.num.partitions", "4");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.num.partitions", "1");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        p.setProperty("log.cleaner.dedupe.buffer.size", "2097152");
        return p;
    }

    /** Formats {@code logDir} unless a previous run already did (then it is kept as it is). */
    private static void format(Path logDir, String clusterId, Properties props) {
        try {
            Files.createDirectories(logDir);
            Path config = Files.createTempFile(logDir.getParent(), "server", ".properties");
            try {
                try (Writer out = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
                    props.store(out, "embedded Kafka, written for StorageTool format");
                }
                ByteArrayOutputStream buffer = new ByteArrayOutputStream();
                int code;
                try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
                    code =
                            StorageTool.execute(
                                    new String[] {
                                        "format",
                                        "--ignore-formatted",
                                        "-t",
                                        clusterId,
                                        "-c",
                                        config.toString()
                                    },
                                    out);
                }
                String output = buffer.toString(StandardCharsets.UTF_8).strip();
                if (code != 0) {
                    throw new IllegalStateException(
                            "Formatting " + logDir + " failed (" + code + "): " + output);
                }
                LOG.debug("StorageTool format: {}", output);
            } finally {
                Files.deleteIfExists(config);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare Kafka log directory " + logDir, e);
        }
    }

    /**
     * Returns the cluster id kept in {@code dataDir/cluster.id}, or, when the directory is new, a
     * fresh one that is written there.
     */
    private static String clusterId(Path dataDir) {
        Path file = dataDir.resolve("cluster.id");
        try {
            Files.createDirectories(dataDir);
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (!id.isEmpty()) {
                    return id;
                }
            }
            String fromMeta = clusterIdFromMetaProperties(dataDir.resolve("kraft-logs"));
            String id = fromMeta != null ? fromMeta : Uuid.randomUuid().toString();
            Files.writeString(file, id + System.lineSeparator(), StandardCharsets.UTF_8);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or write " + file, e);
        }
    }

    private static String clusterIdFromMetaProperties(Path logDir) throws IOException {
        Path meta = logDir.resolve("meta.properties");
        if (!Files.exists(meta)) {
            return null;
        }
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            props.load(in);
        }
        return props.getProperty("cluster.id");
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
        }
        return false;
    }

    private static RuntimeException addSuppressed(RuntimeException first, RuntimeException next) {
        first.addSuppressed(next);
        return first;
    }

    private static void stopQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.debug("Ignoring error while stopping a broker that failed to start", e);
        }
    }

    /** Replaces Kafka's exit and halt procedures while at least one embedded broker runs. */
    private static void interceptExit() {
        synchronized (EXIT_LOCK) {
            if (running++ == 0) {
                Exit.setExitProcedure(EmbeddedKafka::refuseExit);
                Exit.setHaltProcedure(EmbeddedKafka::refuseExit);
            }
        }
    }

    private static void releaseExit() {
        synchronized (EXIT_LOCK) {
            if (--running == 0) {
                Exit.resetExitProcedure();
                Exit.resetHaltProcedure();
            }
        }
    }

    private static void refuseExit(int status, String message) {
        String text =
                "Embedded Kafka asked to end the JVM with status "
                        + status
                        + (message == null ? "" : ": " + message);
        LOG.error(text);
        throw new IllegalStateException(text);
    }
}
