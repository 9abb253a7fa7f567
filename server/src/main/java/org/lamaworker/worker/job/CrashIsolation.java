package org.lamaworker.worker.job;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Runs a suspect job alone. When a worker dies, every job it was running is charged with the death,
 * the guilty one and the bystanders alike; run side by side again, a bystander would be charged
 * again and quarantined with the guilty job. So a job whose earlier start ended with its worker
 * dying waits until nothing else runs, and nothing else starts while it runs: the next death is its
 * own. Jobs pass in the order they came; a waiting suspect holds back the jobs behind it. Confined
 * to the handler's context, like the rest of the handler.
 */
final class CrashIsolation {
    private record Waiting(boolean alone, Promise<Runnable> promise) {}

    private final Deque<Waiting> queue = new ArrayDeque<>();
    private int running;
    private boolean aloneRunning;

    /**
     * Completes when the job may start, with what to run when it is done.
     *
     * @param alone whether the job must run with nothing beside it
     */
    Future<Runnable> enter(boolean alone) {
        Promise<Runnable> promise = Promise.promise();
        queue.add(new Waiting(alone, promise));
        admit();
        return promise.future();
    }

    /** Jobs waiting behind a suspect job, or a suspect waiting for the others to finish. */
    int waiting() {
        return queue.size();
    }

    private void admit() {
        while (!queue.isEmpty() && !aloneRunning) {
            Waiting next = queue.peek();
            if (next.alone() && running > 0) {
                return;
            }
            queue.poll();
            running++;
            aloneRunning = next.alone();
            boolean[] left = {false};
            next.promise()
                    .complete(
                            () -> {
                                if (!left[0]) {
                                    left[0] = true;
                                    running--;
                                    aloneRunning = false;
                                    admit();
                                }
                            });
        }
    }
}
