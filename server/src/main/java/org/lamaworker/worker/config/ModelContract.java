package org.lamaworker.worker.config;

import java.util.Locale;

/** The input/output layouts of the LaMa ONNX exports the worker runs. */
public enum ModelContract {
    /**
     * Inputs {@code image} float [B,3,S,S] in 0..1 and {@code mask} float [B,1,S,S] (1 = hole);
     * output [B,3,S,S] in 0..255, composited. Fixed size S, dynamic batch: the layout of {@code
     * lama_fp32.onnx} (S = 512).
     */
    A,
    /** As {@link #A} with dynamic height and width; inputs are padded to a multiple of 8. */
    B,
    /**
     * One input {@code input} float [1,4,H,W]: the RGB picture in 0..1 with the hole zeroed, then
     * the mask (1 = hole); output [1,3,H,W] in 0..1. H and W dynamic multiples of 32, or fixed 512.
     */
    C;

    /** The contract named {@code a}, {@code b} or {@code c} (any case). */
    public static ModelContract parse(String name) {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
    }
}
