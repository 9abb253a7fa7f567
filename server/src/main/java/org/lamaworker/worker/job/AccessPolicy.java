package org.lamaworker.worker.job;

import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.failure.JobFailure;

/**
 * What a job may touch in storage: only allowed buckets ({@code storage.allowedBuckets}), and
 * outputs only under the configured prefix ({@code storage.outputPrefix}), never through a {@code
 * ..} segment or a leading {@code /}. Checked before any storage call, so a refused job costs
 * nothing and learns nothing about other buckets.
 */
public final class AccessPolicy {
    private final WorkerConfig.Storage storage;

    /** The policy the storage configuration describes. */
    public AccessPolicy(WorkerConfig.Storage storage) {
        this.storage = storage;
    }

    /**
     * Where a job's output goes: the job's own output, or without one {@code results/JOBID.EXT}
     * beside the image, or {@code PREFIX JOBID.EXT} when a prefix is configured. The extension
     * follows the output's format, known once the image is read when the job asks for {@code auto}.
     *
     * @param given the job's own output, or {@code null}
     * @param bucket the default output's bucket
     * @param stem the default output's key without its extension, ending in {@code JOBID.}
     */
    public record OutputLocation(ObjectRef given, String bucket, String stem) {
        /** The output object for output in the given format. */
        public ObjectRef resolve(String format) {
            return given != null
                    ? given
                    : new ObjectRef(bucket, stem + InpaintJob.extension(format));
        }
    }

    /**
     * Checks a job's objects and returns where its output goes.
     *
     * @throws JobFailure {@code BUCKET_NOT_ALLOWED} or {@code OUTPUT_KEY_NOT_ALLOWED}
     */
    public OutputLocation check(InpaintJob job) {
        bucket(job.image(), "image");
        bucket(job.mask(), "mask");
        // The extension does not change what is allowed: PNG's stands for every format's.
        ObjectRef output = job.outputOrDefault("png");
        String prefix = storage.outputPrefix();
        if (job.output() == null && !prefix.isEmpty()) {
            String name = output.key().substring(output.key().lastIndexOf('/') + 1);
            output = new ObjectRef(output.bucket(), prefix + name);
        }
        bucket(output, "output");
        String key = output.key();
        if (key.startsWith("/") || key.contains("\\") || hasDotSegment(key)) {
            throw new JobFailure(
                    ErrorCode.OUTPUT_KEY_NOT_ALLOWED,
                    "output.key must not start with /, contain \\ or have . or .. segments: "
                            + key);
        }
        if (!key.startsWith(prefix)) {
            throw new JobFailure(
                    ErrorCode.OUTPUT_KEY_NOT_ALLOWED,
                    "output.key must start with " + prefix + " (storage.outputPrefix); got " + key);
        }
        if (job.output() != null) {
            return new OutputLocation(output, null, null);
        }
        return new OutputLocation(
                null, output.bucket(), key.substring(0, key.length() - "png".length()));
    }

    private void bucket(ObjectRef ref, String field) {
        if (!storage.bucketAllowed(ref.bucket())) {
            throw new JobFailure(
                    ErrorCode.BUCKET_NOT_ALLOWED,
                    field
                            + ".bucket "
                            + ref.bucket()
                            + " is not one this worker may use (storage.allowedBuckets)");
        }
    }

    private static boolean hasDotSegment(String key) {
        for (String segment : key.split("/", -1)) {
            if (segment.equals("..") || segment.equals(".")) {
                return true;
            }
        }
        return false;
    }
}
