package org.lamaworker.protocol;

import java.time.Instant;
import java.util.Map;

/**
 * An inpaint job: fill the masked region of an image stored in S3. Produced to the jobs topic with
 * the record key set to {@link #jobId()}.
 *
 * @param version protocol version, always {@link #VERSION}
 * @param jobId caller-chosen id, 1-128 characters of {@code [A-Za-z0-9._-]}
 * @param image the picture to edit
 * @param mask a single-channel (or grey RGB) picture of the same size, white = fill
 * @param output where to store the result; {@code null} means {@link #outputOrDefault(String)}
 * @param options per-job options; never {@code null} after construction
 * @param deadline the instant after which the result is no longer wanted, or {@code null}
 * @param attributes caller data echoed back on the result; never {@code null} after construction
 */
public record InpaintJob(
        Integer version,
        String jobId,
        ObjectRef image,
        ObjectRef mask,
        ObjectRef output,
        JobOptions options,
        Instant deadline,
        Map<String, String> attributes) {

    /** The protocol version this code reads and writes. */
    public static final int VERSION = 1;

    /** Validates every field; optional ones get their defaults. */
    public InpaintJob {
        Checks.required("version", version);
        if (version != VERSION) {
            throw new ProtocolException(
                    ProtocolException.Reason.UNSUPPORTED_VERSION,
                    "version",
                    "version "
                            + version
                            + " is not supported; this worker speaks version "
                            + VERSION,
                    null,
                    null);
        }
        Checks.jobId("jobId", jobId);
        Checks.required("image", image);
        Checks.required("mask", mask);
        options = options == null ? JobOptions.DEFAULTS : options;
        attributes = Checks.attributes("attributes", attributes);
    }

    /** Convenience constructor for a job with default output, options and no deadline. */
    public static InpaintJob of(String jobId, ObjectRef image, ObjectRef mask) {
        return new InpaintJob(VERSION, jobId, image, mask, null, null, null, null);
    }

    /**
     * The output location for output in the given format: {@link #output()} when given, otherwise
     * key {@code results/<jobId>.<ext>} in the image's bucket, where ext follows the format ({@code
     * png}, {@code jpg} or {@code webp}). With {@code format=auto} the format is the input's, known
     * once the image is read.
     *
     * @param format the output's format: {@code png}, {@code jpeg} or {@code webp}
     */
    public ObjectRef outputOrDefault(String format) {
        if (output != null) {
            return output;
        }
        return new ObjectRef(image.bucket(), "results/" + jobId + "." + extension(format));
    }

    /** The file name extension for an output format: {@code png}, {@code jpg} or {@code webp}. */
    public static String extension(String format) {
        return switch (format) {
            case "jpeg" -> "jpg";
            case "webp" -> "webp";
            default -> "png";
        };
    }
}
