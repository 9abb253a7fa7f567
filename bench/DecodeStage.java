// Times a job's whole decode stage (image and mask decoded, mask grown, tiles planned) on one
// picture: the median and minimum of 25 calls of Inpainting.decode with the default options, on
// the built-in reference model. Runs against any build of the worker jar, so two jars can be
// compared on the same picture:
//
//   java -cp worker/target/lama-worker.jar bench/DecodeStage.java kite.jpg kite.mask.png
//
// (BENCHMARKS.md, "Picture codecs before and after fidelity").

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.pipeline.Inpainting;

public class DecodeStage {
    public static void main(String[] args) throws Exception {
        WorkerConfig config = ConfigLoader.loadWithModel(null, null);
        try (InpaintModel model = InpaintModel.load(InpaintModel.Options.forOneRunAtATime(config))) {
            Inpainting work = new Inpainting(model, config);
            byte[] image = Files.readAllBytes(Path.of(args[0]));
            byte[] mask = Files.readAllBytes(Path.of(args[1]));
            long[] ms = new long[25];
            for (int i = 0; i < ms.length; i++) {
                long start = System.nanoTime();
                work.decode(image, mask, JobOptions.DEFAULTS);
                ms[i] = (System.nanoTime() - start) / 1_000_000;
            }
            Arrays.sort(ms);
            System.out.println("decode stage: median " + ms[ms.length / 2] + " ms, min " + ms[0] + " ms");
        }
    }
}
