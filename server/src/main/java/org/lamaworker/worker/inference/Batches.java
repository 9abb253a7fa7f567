package org.lamaworker.worker.inference;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How inputs become model runs: one run takes inputs of one tensor size only, and at most {@code
 * maxBatch} of them, or one when the model has no batch axis. The batching runner, its synchronous
 * path and {@link InpaintModel#run(List)} all cut their runs here, so that they cannot disagree on
 * what may share a run.
 */
final class Batches {
    private Batches() {}

    /** The most inputs one run of this model may take when the configuration allows {@code max}. */
    static int limit(ModelInfo info, int max) {
        return info.batchAxis() ? max : 1;
    }

    /** Equal for inputs of one tensor size, which are the only ones that can share a run. */
    static long size(InferenceInput input) {
        return ((long) input.tensorWidth() << 32) | input.tensorHeight();
    }

    /** The indexes of the inputs grouped by tensor size, groups in order of first appearance. */
    static List<List<Integer>> bySize(List<InferenceInput> inputs) {
        Map<Long, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            groups.computeIfAbsent(size(inputs.get(i)), k -> new ArrayList<>()).add(i);
        }
        return List.copyOf(groups.values());
    }

    /** The items in order, in consecutive slices of at most {@code max}. */
    static <T> List<List<T>> cut(List<T> items, int max) {
        List<List<T>> slices = new ArrayList<>();
        for (int start = 0; start < items.size(); start += max) {
            slices.add(items.subList(start, Math.min(items.size(), start + max)));
        }
        return slices;
    }

    /** Puts the outputs of a group's run back at the positions its inputs had. */
    static void place(float[][] outputs, List<Integer> indexes, List<float[]> results) {
        for (int k = 0; k < indexes.size(); k++) {
            outputs[indexes.get(k)] = results.get(k);
        }
    }
}
