package org.lamaworker.worker.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;

/** What a recipe covers: everything that shapes an output, and nothing that does not. */
class FinishedWorkTest {
    private static final WorkerConfig CONFIG = ConfigLoader.load(null, Map.of(), Map.of());

    private static InpaintJob job(String id, JobOptions options) {
        return new InpaintJob(
                InpaintJob.VERSION,
                id,
                new ObjectRef("photos", "in/a.jpg"),
                new ObjectRef("photos", "in/a.mask.png"),
                null,
                options,
                null,
                null);
    }

    private static JobOptions options(Integer dilate, Boolean force) {
        return new JobOptions(null, null, dilate, null, null, null, null, null, null, force);
    }

    @Test
    void theRecipeFollowsInputsOptionsSettingsAndModelButNotForceOrJobId() {
        FinishedWork work = new FinishedWork(null, "lama@1234", CONFIG);
        String base = work.recipe(job("a", options(null, null)), "etag-1", "etag-2");
        assertThat(base).matches("[0-9a-f]{64}");
        assertThat(work.recipe(job("another-id", options(null, true)), "etag-1", "etag-2"))
                .as("the job id and force do not change what is made")
                .isEqualTo(base);
        assertThat(work.recipe(job("a", options(null, null)), "etag-9", "etag-2"))
                .as("another image")
                .isNotEqualTo(base);
        assertThat(work.recipe(job("a", options(null, null)), "etag-1", "etag-9"))
                .as("another mask")
                .isNotEqualTo(base);
        assertThat(work.recipe(job("a", options(8, null)), "etag-1", "etag-2"))
                .as("another option")
                .isNotEqualTo(base);
        assertThat(
                        new FinishedWork(null, "lama@5678", CONFIG)
                                .recipe(job("a", options(null, null)), "etag-1", "etag-2"))
                .as("another model")
                .isNotEqualTo(base);
        WorkerConfig wider = ConfigLoader.load(null, Map.of(), Map.of("mask.dilatePx", "9"));
        assertThat(
                        new FinishedWork(null, "lama@1234", wider)
                                .recipe(job("a", options(null, null)), "etag-1", "etag-2"))
                .as("another worker default that shapes outputs")
                .isNotEqualTo(base);
    }
}
