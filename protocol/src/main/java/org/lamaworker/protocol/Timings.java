package org.lamaworker.protocol;

/**
 * Milliseconds spent in each stage of one job.
 *
 * @param queued from the record's timestamp to the start of work
 * @param download fetching image and mask from storage
 * @param decode decoding both pictures
 * @param inference preparing tensors, running the model and compositing
 * @param encode encoding the output picture
 * @param upload storing the output
 * @param total from the start of work to the result being ready to publish
 */
public record Timings(
        long queued,
        long download,
        long decode,
        long inference,
        long encode,
        long upload,
        long total) {
    /** No time spent anywhere. */
    public static final Timings ZERO = new Timings(0, 0, 0, 0, 0, 0, 0);

    /** Validates that no stage is negative. */
    public Timings {
        Checks.nonNegative("queued", queued);
        Checks.nonNegative("download", download);
        Checks.nonNegative("decode", decode);
        Checks.nonNegative("inference", inference);
        Checks.nonNegative("encode", encode);
        Checks.nonNegative("upload", upload);
        Checks.nonNegative("total", total);
    }
}
