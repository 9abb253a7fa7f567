package org.lamaworker.worker.storage;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Download progress as log lines (percent, MB, speed, time left), at most one every few seconds:
 * for a worker without a terminal, whose output goes to a log collector where a redrawn bar would
 * be thousands of lines. A last line says how much arrived and how long it took.
 */
public final class ProgressLog implements DownloadProgress {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressLog.class);

    private final String what;
    private final Consumer<String> sink;
    private final LongSupplier clock;
    private final long everyNanos;
    private final ProgressText.Speed speed = new ProgressText.Speed();
    private long lastLogged = Long.MIN_VALUE;

    /**
     * Logs through SLF4J every 5 seconds at most.
     *
     * @param what names the download in each line, e.g. the file name
     */
    public ProgressLog(String what) {
        this(what, LOG::info, System::nanoTime, Duration.ofSeconds(5));
    }

    ProgressLog(String what, Consumer<String> sink, LongSupplier clock, Duration every) {
        this.what = what;
        this.sink = sink;
        this.clock = clock;
        this.everyNanos = every.toNanos();
    }

    @Override
    public void onProgress(long bytes, long total) {
        long now = clock.getAsLong();
        double rate = speed.at(bytes, now);
        if (lastLogged == Long.MIN_VALUE) {
            // The first sample only starts the clock: a speed needs two of them.
            lastLogged = now;
        } else if (now - lastLogged >= everyNanos) {
            sink.accept(ProgressText.logLine(what, bytes, total, rate));
            lastLogged = now;
        }
    }

    @Override
    public void onEnd(long bytes, long total) {
        sink.accept(ProgressText.endLine(what, bytes, total, speed.elapsed(clock.getAsLong())));
        lastLogged = Long.MIN_VALUE;
    }
}
