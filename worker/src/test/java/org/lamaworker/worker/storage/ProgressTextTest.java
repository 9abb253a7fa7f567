package org.lamaworker.worker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The text of download progress (terminal bar and log lines) and when each is shown, with a clock
 * the test moves.
 */
class ProgressTextTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long LAMA = 208_044_816L;

    @Test
    void sizesAndDurationsReadAsPeopleWriteThem() {
        assertThat(ProgressText.size(0)).isEqualTo("0 B");
        assertThat(ProgressText.size(999)).isEqualTo("999 B");
        assertThat(ProgressText.size(1_500)).isEqualTo("1.5 kB");
        assertThat(ProgressText.size(LAMA)).isEqualTo("208.0 MB");
        assertThat(ProgressText.size(1_250_000_000L)).isEqualTo("1.25 GB");
        assertThat(ProgressText.rate(12_300_000)).isEqualTo("12.3 MB/s");
        assertThat(ProgressText.duration(9)).isEqualTo("0:09");
        assertThat(ProgressText.duration(725)).isEqualTo("12:05");
        assertThat(ProgressText.duration(3_723)).isEqualTo("1:02:03");
    }

    @Test
    void percentAndTimeLeftNeedATotalAndASpeed() {
        assertThat(ProgressText.percent(93_600_000, LAMA)).isEqualTo(44);
        assertThat(ProgressText.percent(LAMA, LAMA)).isEqualTo(100);
        assertThat(ProgressText.percent(5, -1)).isEqualTo(-1);
        assertThat(ProgressText.timeLeft(93_600_000, LAMA, 12_300_000)).isEqualTo("0:10 left");
        assertThat(ProgressText.timeLeft(0, LAMA, 0)).isEqualTo("--:-- left");
        assertThat(ProgressText.timeLeft(0, -1, 1e6)).isEqualTo("--:-- left");
    }

    @Test
    void theBarShowsPartDonePercentBytesSpeedAndTimeLeft() {
        assertThat(ProgressText.bar(93_600_000, LAMA, 12_300_000))
                .isEqualTo(
                        "[==========>             ]  44%  93.6 MB of 208.0 MB  12.3 MB/s  0:10"
                                + " left");
        assertThat(ProgressText.bar(LAMA, LAMA, 12_300_000))
                .isEqualTo(
                        "[========================] 100%  208.0 MB of 208.0 MB  12.3 MB/s  0:00"
                                + " left");
        assertThat(ProgressText.bar(0, LAMA, 0))
                .isEqualTo("[>                       ]   0%  0 B of 208.0 MB  0 B/s  --:-- left");
        assertThat(ProgressText.bar(1_500_000, -1, 2_000_000)).isEqualTo("1.5 MB  2.0 MB/s");
    }

    @Test
    void logLinesSayPercentMegabytesSpeedAndTimeLeft() {
        assertThat(ProgressText.logLine("lama_fp32.onnx", 93_600_000, LAMA, 12_300_000))
                .isEqualTo("lama_fp32.onnx: 44% (93.6 of 208.0 MB) at 12.3 MB/s, 0:10 left");
        assertThat(ProgressText.logLine("m.onnx", 93_600_000, -1, 12_300_000))
                .isEqualTo("m.onnx: 93.6 MB at 12.3 MB/s");
        assertThat(ProgressText.endLine("m.onnx", LAMA, LAMA, 17 * SECOND))
                .isEqualTo("m.onnx: 208.0 MB in 0:17");
        assertThat(ProgressText.endLine("m.onnx", 93_600_000, LAMA, 17 * SECOND))
                .isEqualTo("m.onnx: stopped at 93.6 MB of 208.0 MB after 0:17");
    }

    @Test
    void theLogReporterWritesAtMostOneLinePerInterval() {
        AtomicLong now = new AtomicLong();
        List<String> lines = new ArrayList<>();
        ProgressLog log = new ProgressLog("m.onnx", lines::add, now::get, Duration.ofSeconds(5));
        long total = 100_000_000;

        for (int second = 0; second <= 10; second++) {
            now.set(second * SECOND);
            log.onProgress(second * 10_000_000L, total);
        }
        log.onEnd(total, total);

        assertThat(lines)
                .containsExactly(
                        "m.onnx: 50% (50.0 of 100.0 MB) at 10.0 MB/s, 0:05 left",
                        "m.onnx: 100% (100.0 of 100.0 MB) at 10.0 MB/s, 0:00 left",
                        "m.onnx: 100.0 MB in 0:10");
    }

    @Test
    void theBarRedrawsInPlaceAFewTimesASecondAndEndsTheLine() {
        AtomicLong now = new AtomicLong();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ProgressBar bar = new ProgressBar(out, now::get);

        bar.onProgress(0, -1);
        now.set(SECOND / 10);
        bar.onProgress(100, -1); // too soon after the last drawing
        now.set(SECOND);
        bar.onProgress(1_500_000, -1);
        bar.onEnd(1_500_000, -1);

        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .isEqualTo(
                        "\r0 B  0 B/s"
                                + "\r1.5 MB  1.5 MB/s"
                                + "\r1.5 MB  1.5 MB/s"
                                + System.lineSeparator());
    }

    @Test
    void aShorterLineWipesTheRestOfTheLongerOne() {
        AtomicLong now = new AtomicLong();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar =
                new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), now::get);

        bar.onProgress(100, -1);
        now.set(SECOND);
        bar.onProgress(2_000_000, -1);
        now.set(2 * SECOND);
        // The download started over: the count went back.
        bar.onProgress(0, -1);

        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .isEqualTo("\r100 B  0 B/s" + "\r2.0 MB  2.0 MB/s" + "\r0 B  0 B/s      ");
    }
}
