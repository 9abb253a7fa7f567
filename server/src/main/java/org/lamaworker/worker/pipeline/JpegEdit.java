package org.lamaworker.worker.pipeline;

import java.util.List;
import org.lamaworker.worker.image.jpeg.JpegImage;

/**
 * How a JPEG input written as JPEG is edited, and for a patched one what the encoder needs: the
 * picture's coefficients, the window of whole MCUs that was decoded to pixels, and the segments to
 * write back.
 *
 * @param path {@code patched}, {@code reencoded} (the job asked for a whole re-encode) or {@code
 *     fallback} (the input cannot be patched)
 * @param reason why a fallback happened, for the log; {@code null} otherwise
 * @param coefficients the picture as coefficients, when patched
 * @param window the decoded window in the stored pixel grid, when patched
 * @param segments the application and comment segments to write, when patched
 * @param input the input file, read again in the rare case its own Huffman tables cannot code the
 *     edit
 * @param width the picture's width as displayed
 * @param height the picture's height as displayed
 */
public record JpegEdit(
        String path,
        String reason,
        JpegImage coefficients,
        Rect window,
        List<byte[]> segments,
        byte[] input,
        int width,
        int height) {
    /** A job whose JPEG is re-encoded whole, as it asked. */
    static JpegEdit reencoded() {
        return new JpegEdit("reencoded", null, null, null, List.of(), null, 0, 0);
    }

    /** A JPEG that cannot be patched, for the given reason. */
    static JpegEdit fallback(String reason) {
        return new JpegEdit("fallback", reason, null, null, List.of(), null, 0, 0);
    }

    /** The input file's size, to size the output buffer. */
    public int inputBytes() {
        return input == null ? 0 : input.length;
    }

    /** Whether the output is written from the coefficients. */
    public boolean patched() {
        return coefficients != null;
    }

    /**
     * Bytes held for the whole picture beside the decoded window: the coefficients and the
     * full-size mask.
     */
    public long heldBytes() {
        if (coefficients == null) {
            return 0;
        }
        return coefficients.coefficientBytes()
                + (long) coefficients.width() * coefficients.height();
    }
}
