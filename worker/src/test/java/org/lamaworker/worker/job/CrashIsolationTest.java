package org.lamaworker.worker.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A suspect job waits for the jobs running to finish, runs with nothing beside it, and holds back
 * the jobs behind it; ordinary jobs run side by side.
 */
class CrashIsolationTest {
    private final CrashIsolation gate = new CrashIsolation();

    @Test
    void ordinaryJobsRunSideBySide() {
        Future<Runnable> a = gate.enter(false);
        Future<Runnable> b = gate.enter(false);
        assertThat(a.succeeded()).isTrue();
        assertThat(b.succeeded()).isTrue();
    }

    @Test
    void aSuspectWaitsForTheOthersRunsAloneAndHoldsBackTheJobsBehindIt() {
        Future<Runnable> first = gate.enter(false);
        Future<Runnable> suspect = gate.enter(true);
        Future<Runnable> behind = gate.enter(false);
        assertThat(first.succeeded()).isTrue();
        assertThat(suspect.isComplete()).as("waits for the job running").isFalse();
        assertThat(behind.isComplete()).as("does not overtake the suspect").isFalse();
        assertThat(gate.waiting()).isEqualTo(2);

        first.result().run();
        assertThat(suspect.succeeded()).isTrue();
        assertThat(behind.isComplete()).as("nothing beside the suspect").isFalse();

        suspect.result().run();
        suspect.result().run(); // a second call changes nothing
        assertThat(behind.succeeded()).isTrue();
        assertThat(gate.enter(false).succeeded()).as("two ordinary jobs again").isTrue();
    }

    @Test
    void suspectsRunOneAfterTheOther() {
        List<Future<Runnable>> suspects = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            suspects.add(gate.enter(true));
        }
        for (int i = 0; i < 3; i++) {
            assertThat(suspects.get(i).succeeded()).isTrue();
            for (int j = i + 1; j < 3; j++) {
                assertThat(suspects.get(j).isComplete()).isFalse();
            }
            suspects.get(i).result().run();
        }
        assertThat(gate.waiting()).isZero();
    }
}
