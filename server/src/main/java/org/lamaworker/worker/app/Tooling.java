package org.lamaworker.worker.app;

import java.util.List;
import java.util.ServiceLoader;
import org.lamaworker.worker.config.WorkerConfig;

/**
 * What the full jar ({@code worker/target/lama-worker.jar}) adds to the serving jar's command line:
 * development servers for {@code run} with nothing configured, and tool commands ({@code submit},
 * {@code bench}, {@code model generate}). It exists so that the production image can carry only the
 * job path: the serving jar finds no implementation through {@link ServiceLoader} and says so where
 * a tool is asked for.
 */
public interface Tooling {
    /** Top-level commands to add: picocli command objects. */
    List<Object> commands();

    /** Commands to add under {@code model}: picocli command objects. */
    List<Object> modelCommands();

    /**
     * Starts an in-process Kafka broker and S3 server with the topics and bucket the configuration
     * names, for {@code run} when neither Kafka nor S3 is configured.
     */
    LocalStack startLocalStack(WorkerConfig config);

    /** Development servers started by {@link #startLocalStack}; closing stops them. */
    interface LocalStack extends AutoCloseable {
        /** The configuration pointed at these servers. */
        WorkerConfig apply(WorkerConfig config);

        /** The one line that tells a developer how to reach the servers. */
        String describe();

        /**
         * The environment ({@code LAMA_*} variables) that points another worker process at these
         * servers: Kafka, S3, bucket and credentials.
         */
        java.util.Map<String, String> workerEnvironment();

        @Override
        void close();
    }

    /** The tooling on the class path, if any (the full jar has one; the serving jar none). */
    static java.util.Optional<Tooling> installed() {
        return ServiceLoader.load(Tooling.class).findFirst();
    }
}
