package org.lamaworker.worker.image.jpeg;

/**
 * Why a JPEG cannot be edited at the coefficient level: a coding this package does not read
 * (arithmetic, lossless, hierarchical, 12-bit), a colour model other than YCbCr or grey (CMYK,
 * YCCK, RGB), or data it cannot follow (truncated or damaged). The caller decodes and re-encodes
 * such a picture whole, which also owns the errors a damaged file is reported with.
 */
public final class UnpatchableJpeg extends Exception {
    private static final long serialVersionUID = 1L;

    /** Whether the file itself is damaged, as opposed to coded in a way this package skips. */
    private final boolean damaged;

    UnpatchableJpeg(String reason, boolean damaged) {
        super(reason, null, false, false);
        this.damaged = damaged;
    }

    static UnpatchableJpeg unsupported(String reason) {
        return new UnpatchableJpeg(reason, false);
    }

    static UnpatchableJpeg damaged(String reason) {
        return new UnpatchableJpeg(reason, true);
    }

    /** Whether the file is damaged (truncated, bad codes), not merely coded differently. */
    public boolean damaged() {
        return damaged;
    }
}
