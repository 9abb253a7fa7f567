package org.lamaworker.worker.inference;

/**
 * The spatial input size a model accepts.
 *
 * @param fixedWidth the width every input must have, or 0 when the width is dynamic
 * @param fixedHeight the height every input must have, or 0 when the height is dynamic
 * @param multiple dynamic sizes are padded up to a multiple of this
 */
public record ModelShape(int fixedWidth, int fixedHeight, int multiple) {
    /** Validates that sizes are both fixed or both dynamic. */
    public ModelShape {
        if ((fixedWidth == 0) != (fixedHeight == 0) || fixedWidth < 0 || fixedHeight < 0) {
            throw new IllegalArgumentException(
                    "height and width must both be fixed or both dynamic: "
                            + fixedWidth
                            + "x"
                            + fixedHeight);
        }
        if (multiple < 1) {
            throw new IllegalArgumentException("multiple must be >= 1");
        }
    }

    /** Whether height and width are dynamic. */
    public boolean dynamic() {
        return fixedWidth == 0;
    }
}
