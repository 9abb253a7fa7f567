package org.lamaworker.worker.inference.reference;

import static org.lamaworker.worker.inference.reference.OnnxGraphBuilder.Attribute;

import java.util.List;
import org.lamaworker.worker.config.ModelContract;

/**
 * The picture and mask tensors of a generated model, declared as a contract lays them out: two
 * inputs {@code image} and {@code mask} (a, b), or one {@code input} split into both (c).
 *
 * @param picture RGB in 0..1, [B,3,H,W]
 * @param mask 1 = hole, [B,1,H,W]
 */
public record ContractInputs(String picture, String mask) {
    public static ContractInputs declare(
            OnnxGraphBuilder g, ModelContract contract, Object height, Object width) {
        if (contract == ModelContract.C) {
            String input = g.input("input", 1, 4, height, width);
            List<String> parts =
                    g.node(
                            "Split",
                            List.of(input, g.longs(new long[] {3, 1}, 2)),
                            2,
                            Attribute.of("axis", 1L));
            return new ContractInputs(parts.get(0), parts.get(1));
        }
        return new ContractInputs(
                g.input("image", "batch", 3, height, width),
                g.input("mask", "batch", 1, height, width));
    }
}
