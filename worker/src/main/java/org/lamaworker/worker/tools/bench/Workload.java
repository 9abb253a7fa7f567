package org.lamaworker.worker.tools.bench;

import java.util.List;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.worker.config.WorkerConfig;

/**
 * What every phase of one bench run works on: the worker configuration (model, sessions, runners),
 * the pictures and the options of every job. The raw and end-to-end figures are only comparable
 * because both phases take them from this one place.
 */
record Workload(WorkerConfig config, List<Sample> samples, JobOptions options) {
    /** The pictures' file names, as the JSON lists them. */
    List<String> pictureNames() {
        return samples.stream().map(Sample::name).toList();
    }
}
