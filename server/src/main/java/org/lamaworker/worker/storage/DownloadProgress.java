package org.lamaworker.worker.storage;

/**
 * Hears how far a model download has come, so that whoever waits for a file of hundreds of MB at
 * start-up sees it move. {@link ProgressBar} draws on a terminal, {@link ProgressLog} writes log
 * lines; the caller picks the bar when {@code System.console() != null}. Called on the downloading
 * thread only, so implementations need no locking.
 */
@FunctionalInterface
public interface DownloadProgress {
    /** Reports nothing. */
    DownloadProgress NONE = (bytes, total) -> {};

    /**
     * The file now holds {@code bytes} bytes. The count may go back to 0 when the source cannot
     * resume and the download starts over.
     *
     * @param total the size of the whole file, or -1 when unknown
     */
    void onProgress(long bytes, long total);

    /**
     * The transfer stopped, complete or not (the download then verifies, or fails with its reason).
     *
     * @param total the size of the whole file, or -1 when unknown
     */
    default void onEnd(long bytes, long total) {}

    /**
     * What a person watching sees: a bar on a terminal, else a log line every few seconds (plain or
     * JSON logs alike).
     *
     * @param what names the download in log lines, e.g. {@code model lama_fp32.onnx}
     */
    static DownloadProgress shown(String what) {
        return System.console() != null ? new ProgressBar(System.err) : new ProgressLog(what);
    }
}
