package org.lamaworker.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.image.ImageEncoder;
import org.lamaworker.worker.image.Picture;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.inference.reference.ReferenceFillModel;

/** Crops of one size share a run on models with a batch axis, at most inference.maxBatch each. */
class BatchingTest {
    /** A 2000x1000 picture whose mask has five small blobs far apart: five crops. */
    private static byte[][] fiveBlobs() {
        int w = 2000;
        int h = 1000;
        int[] image = new int[w * h];
        int[] mask = new int[w * h];
        for (int i = 0; i < image.length; i++) {
            image[i] = 0xff000000 | (i % w / 8) << 16 | (i / w / 4) << 8 | 0x40;
        }
        int[][] centres = {{150, 150}, {700, 150}, {1700, 800}, {1800, 200}, {1000, 500}};
        for (int[] c : centres) {
            for (int y = c[1] - 10; y < c[1] + 10; y++) {
                for (int x = c[0] - 10; x < c[0] + 10; x++) {
                    mask[y * w + x] = 0xffffffff;
                }
            }
        }
        return new byte[][] {
            ImageEncoder.encodePng(new Picture(w, h, image, false)),
            ImageEncoder.encodePng(new Picture(w, h, mask, false))
        };
    }

    private static long runsFor(String maxBatch) {
        WorkerConfig config =
                ConfigLoader.load(null, Map.of(), Map.of("inference.maxBatch", maxBatch));
        try (InpaintModel model =
                InpaintModel.fromBytes(
                        ReferenceFillModel.build(512),
                        "reference-512",
                        InpaintModel.Options.detect(null, 1))) {
            Inpainting work = new Inpainting(model, config);
            byte[][] files = fiveBlobs();
            JobOptions crop = new JobOptions("crop", null, null, null, null, null, null);
            Inpainting.Decoded decoded = work.decode(files[0], files[1], crop);
            assertThat(decoded.tiles()).hasSize(5);
            long before = model.sessionRuns();
            List<float[]> outputs = work.run(work.tensors(decoded));
            assertThat(outputs).hasSize(5).doesNotContainNull();
            return model.sessionRuns() - before;
        }
    }

    @Test
    void fiveCropsRunInBatchesOfTheConfiguredSize() {
        assertThat(runsFor("8")).isEqualTo(1);
        assertThat(runsFor("2")).isEqualTo(3);
        assertThat(runsFor("1")).isEqualTo(5);
    }
}
