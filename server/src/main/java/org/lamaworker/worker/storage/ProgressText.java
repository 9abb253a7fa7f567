package org.lamaworker.worker.storage;

import java.util.Locale;

/**
 * The words and numbers of download progress, as pure functions of bytes, size and speed: the
 * terminal bar and the log reporter only decide when to show them, and tests check the text without
 * a clock or a terminal. Sizes use decimal units (1 MB = 1,000,000 bytes), as download sizes
 * usually are quoted.
 */
final class ProgressText {
    private static final int BAR_WIDTH = 24;

    private ProgressText() {}

    /** A byte count with a unit: {@code 512 B}, {@code 93.6 MB}, {@code 1.25 GB}. */
    static String size(long bytes) {
        if (bytes < 1_000) {
            return bytes + " B";
        }
        if (bytes < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
        }
        if (bytes < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }

    /** A speed: {@code 12.3 MB/s}. */
    static String rate(double bytesPerSecond) {
        return size((long) bytesPerSecond) + "/s";
    }

    /** A duration as a clock shows it: {@code 0:09}, {@code 12:05}, {@code 1:02:03}. */
    static String duration(long seconds) {
        long h = seconds / 3600, m = seconds % 3600 / 60, s = seconds % 60;
        return h > 0
                ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
                : String.format(Locale.ROOT, "%d:%02d", m, s);
    }

    /** How much of {@code total} is done, 0 to 100, rounded down; -1 when the total is unknown. */
    static int percent(long bytes, long total) {
        if (total <= 0) {
            return total == 0 ? 100 : -1;
        }
        return (int) Math.max(0, Math.min(100, bytes * 100 / total));
    }

    /** The time still needed at this speed, {@code --:--} while it cannot be told. */
    static String timeLeft(long bytes, long total, double bytesPerSecond) {
        if (total < 0 || bytesPerSecond <= 0) {
            return "--:-- left";
        }
        return duration((long) Math.ceil(Math.max(0, total - bytes) / bytesPerSecond)) + " left";
    }

    /**
     * One state of the terminal bar, e.g. {@code [==========> ] 45% 93.6 MB of 208.0 MB 12.3 MB/s
     * 0:09 left}; without a known total just the bytes and the speed.
     */
    static String bar(long bytes, long total, double bytesPerSecond) {
        int percent = percent(bytes, total);
        if (percent < 0) {
            return size(bytes) + "  " + rate(bytesPerSecond);
        }
        int filled = percent * BAR_WIDTH / 100;
        String drawn =
                filled == BAR_WIDTH
                        ? "=".repeat(BAR_WIDTH)
                        : "=".repeat(filled) + ">" + " ".repeat(BAR_WIDTH - filled - 1);
        return String.format(
                Locale.ROOT,
                "[%s] %3d%%  %s of %s  %s  %s",
                drawn,
                percent,
                size(bytes),
                size(total),
                rate(bytesPerSecond),
                timeLeft(bytes, total, bytesPerSecond));
    }

    /**
     * One progress line of the log, e.g. {@code lama_fp32.onnx: 45% (93.6 of 208.0 MB) at 12.3
     * MB/s, 0:09 left}.
     */
    static String logLine(String what, long bytes, long total, double bytesPerSecond) {
        if (total < 0) {
            return String.format(
                    Locale.ROOT, "%s: %.1f MB at %s", what, bytes / 1e6, rate(bytesPerSecond));
        }
        return String.format(
                Locale.ROOT,
                "%s: %d%% (%.1f of %.1f MB) at %s, %s",
                what,
                percent(bytes, total),
                bytes / 1e6,
                total / 1e6,
                rate(bytesPerSecond),
                timeLeft(bytes, total, bytesPerSecond));
    }

    /** The log's last line of a transfer: done, or where it stopped. */
    static String endLine(String what, long bytes, long total, long elapsedNanos) {
        String took = duration(elapsedNanos / 1_000_000_000L);
        if (total < 0 || bytes >= total) {
            return String.format(Locale.ROOT, "%s: %s in %s", what, size(bytes), took);
        }
        return String.format(
                Locale.ROOT,
                "%s: stopped at %s of %s after %s",
                what,
                size(bytes),
                size(total),
                took);
    }

    /**
     * The average speed since the transfer began, which is steadier than the last chunk's for a
     * time-left estimate. A count that goes back (the download started over) starts a new average.
     */
    static final class Speed {
        private long startNanos;
        private long startBytes = -1;

        /** Bytes per second from the first sample to this one; 0 until time has passed. */
        double at(long bytes, long nanos) {
            if (startBytes < 0 || bytes < startBytes) {
                startBytes = bytes;
                startNanos = nanos;
                return 0;
            }
            long elapsed = nanos - startNanos;
            return elapsed <= 0 ? 0 : (bytes - startBytes) * 1e9 / elapsed;
        }

        /** Nanoseconds since the first sample (0 before it). */
        long elapsed(long nanos) {
            return startBytes < 0 ? 0 : nanos - startNanos;
        }
    }
}
