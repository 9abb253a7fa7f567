package org.lamaworker.worker.tools;

import java.util.List;
import org.lamaworker.worker.app.Tooling;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.tools.bench.BenchCommand;
import org.lamaworker.worker.tools.embedded.DevServers;
import org.lamaworker.worker.tools.generate.GenerateCommand;
import org.lamaworker.worker.tools.submit.SubmitCommand;

/**
 * The full jar's additions to the serving jar, found through {@link java.util.ServiceLoader}: the
 * embedded development servers, {@code submit}, {@code bench} and {@code model generate}.
 */
public final class DevelopmentTooling implements Tooling {
    @Override
    public List<Object> commands() {
        return List.of(new SubmitCommand(), new BenchCommand());
    }

    @Override
    public List<Object> modelCommands() {
        return List.of(new GenerateCommand());
    }

    @Override
    public LocalStack startLocalStack(WorkerConfig config) {
        return DevServers.start(config);
    }
}
