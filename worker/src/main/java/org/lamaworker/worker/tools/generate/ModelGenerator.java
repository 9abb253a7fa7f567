package org.lamaworker.worker.tools.generate;

import java.util.Locale;
import org.lamaworker.worker.config.ModelContract;
import org.lamaworker.worker.inference.reference.ReferenceFillModel;

/** Generates the models the {@code model generate} command writes, by architecture name. */
public final class ModelGenerator {
    /** The fixed side used when none is given: {@code lama_fp32.onnx}'s. */
    public static final int DEFAULT_SIZE = 512;

    private ModelGenerator() {}

    /**
     * Builds a serialized ONNX model.
     *
     * @param arch {@code big-lama} (a random-weight {@link BigLamaModel} at full size) or {@code
     *     reference} (the {@link ReferenceFillModel}); any case
     * @param contract the I/O layout
     * @param size the fixed side for contracts A and C ({@code null}: {@value #DEFAULT_SIZE}; 0 for
     *     contract C: dynamic height and width); ignored for contract B. big-lama needs a multiple
     *     of 8.
     * @throws IllegalArgumentException for an unknown architecture or an unusable size
     */
    public static byte[] generate(String arch, ModelContract contract, Integer size) {
        if (contract == null) {
            throw new IllegalArgumentException("a model contract (a, b or c) is needed");
        }
        String name = arch == null ? "" : arch.trim().toLowerCase(Locale.ROOT);
        int side = size == null ? DEFAULT_SIZE : size;
        if (contract == ModelContract.B) {
            side = 0;
        }
        return switch (name) {
            case "big-lama" -> {
                BigLamaModel.Size full = BigLamaModel.FULL;
                yield BigLamaModel.build(
                        contract, new BigLamaModel.Size(side, full.baseChannels(), full.blocks()));
            }
            case "reference" -> ReferenceFillModel.build(contract, side);
            default ->
                    throw new IllegalArgumentException(
                            "unknown model architecture '"
                                    + arch
                                    + "': expected big-lama or reference");
        };
    }
}
