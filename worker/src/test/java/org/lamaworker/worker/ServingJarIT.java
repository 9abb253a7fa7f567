package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.worker.testing.CoffeeJobs;
import org.lamaworker.worker.testing.ResultLog;
import org.lamaworker.worker.testing.TestServers;
import org.lamaworker.worker.testing.WorkerProcess;

/**
 * The serving jar, the one production images carry: it holds no Kafka broker, S3 server, bench or
 * model generator, says how to proceed when nothing is configured instead of starting servers, and
 * serves jobs against real ones.
 */
class ServingJarIT {
    @Test
    void holdsNoDevelopmentServersOrTools() throws Exception {
        try (ZipFile jar = new ZipFile(WorkerProcess.SERVING_JAR.toFile())) {
            List<String> names = jar.stream().map(java.util.zip.ZipEntry::getName).toList();
            assertThat(names).contains("org/lamaworker/worker/app/Main.class");
            assertThat(names)
                    .as("Kafka broker, S3Proxy, Jetty, tooling")
                    .noneMatch(
                            n ->
                                    n.startsWith("kafka/server/")
                                            || n.startsWith("org/apache/kafka/raft/")
                                            || n.startsWith("org/gaul/")
                                            || n.startsWith("org/eclipse/jetty/")
                                            || n.startsWith("org/lamaworker/worker/tools/"));
        }
        try (ZipFile full = new ZipFile(WorkerProcess.FULL_JAR.toFile())) {
            assertThat(full.getEntry("kafka/server/KafkaRaftServer.class"))
                    .as("the full jar still has the broker for run with nothing configured")
                    .isNotNull();
        }
    }

    @Test
    void withNothingConfiguredItSaysWhatToDo(@TempDir Path dir) throws Exception {
        Process run =
                WorkerProcess.packagedJar(WorkerProcess.SERVING_JAR, dir, List.of(), "run")
                        .redirectErrorStream(true)
                        .start();
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(run.getInputStream().readAllBytes());
        assertThat(run.exitValue()).isEqualTo(2);
        assertThat(output)
                .contains("kafka.bootstrap.servers")
                .contains("serving jar")
                .contains("worker/target/lama-worker.jar");
        Process submit =
                WorkerProcess.packagedJar(WorkerProcess.SERVING_JAR, dir, List.of(), "submit")
                        .redirectErrorStream(true)
                        .start();
        assertThat(submit.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(submit.exitValue()).as("no submit command in the serving jar").isEqualTo(2);
    }

    @Test
    void servesJobs(@TempDir Path dir) throws Exception {
        TestServers servers = TestServers.get();
        String run = servers.coffeeRun("serving");
        Map<String, String> env = servers.workerEnvironment(run, run);
        try (ResultLog results =
                        new ResultLog(servers.bootstrapServers(), run + ".results", false);
                WorkerProcess worker =
                        WorkerProcess.launch(WorkerProcess.SERVING_JAR, dir, env).awaitReady()) {
            List<String> ids =
                    CoffeeJobs.produce(servers.bootstrapServers(), run + ".jobs", run, "s-", 2);
            List<InpaintResult> got = results.awaitDistinct(ids.size(), () -> worker.output());
            assertThat(got).extracting(InpaintResult::status).containsOnly(JobStatus.SUCCEEDED);
        }
    }
}
