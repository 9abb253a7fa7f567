package org.lamaworker.worker.storage;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * Download progress for a person at a terminal: one line, redrawn in place with a carriage return
 * (bar, percent, bytes, speed, time left) a few times a second, ended with a newline. Only for an
 * interactive console: in a log file or a pod's output the redraws would pile up, which is what
 * {@link ProgressLog} is for.
 */
public final class ProgressBar implements DownloadProgress {
    // Often enough to look alive, rarely enough that drawing costs nothing next to the transfer.
    private static final long REDRAW_NANOS = 200_000_000L;

    private final PrintStream out;
    private final LongSupplier clock;
    private final ProgressText.Speed speed = new ProgressText.Speed();
    private long lastDrawn;
    private int lastLength = -1;

    /** A bar drawn on {@code out}, usually {@code System.err}. */
    public ProgressBar(PrintStream out) {
        this(out, System::nanoTime);
    }

    ProgressBar(PrintStream out, LongSupplier clock) {
        this.out = out;
        this.clock = clock;
    }

    @Override
    public void onProgress(long bytes, long total) {
        long now = clock.getAsLong();
        double rate = speed.at(bytes, now);
        if (lastLength >= 0 && now - lastDrawn < REDRAW_NANOS && bytes != total) {
            return;
        }
        draw(ProgressText.bar(bytes, total, rate), now);
    }

    @Override
    public void onEnd(long bytes, long total) {
        if (lastLength < 0) {
            return;
        }
        long now = clock.getAsLong();
        draw(ProgressText.bar(bytes, total, speed.at(bytes, now)), now);
        out.println();
        out.flush();
        lastLength = -1;
    }

    private void draw(String text, long now) {
        // Spaces wipe what a longer previous line left behind.
        out.print('\r' + text + " ".repeat(Math.max(0, lastLength - text.length())));
        out.flush();
        lastLength = text.length();
        lastDrawn = now;
    }
}
