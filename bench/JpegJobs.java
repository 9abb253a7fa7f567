// Times the CPU-side stages of JPEG-to-JPEG jobs: the decode stage (image and mask decoded, mask
// grown, tiles planned: Inpainting.decode) and the encode stage (Inpainting.encode), in CPU time
// of the calling thread, median of 7 runs after 2 warm-up runs, on the built-in reference model
// (whose run and compositing are not timed). For each NAME.jpg of a directory with NAME.small.png
// and NAME.large.png (bench/jpeg-pictures.sh makes them), prints a row per mask and path:
// "whole" (jpegPatch=false: decode and re-encode the whole picture) and "patched" (the default).
// Runs against any build of the worker jar; on a build before jpegPatch existed it times the one
// path there was, as "before":
//
//   java -cp worker/target/lama-worker.jar bench/JpegJobs.java /tmp/jpeg-bench
//
// (BENCHMARKS.md, "JPEG edits without generation loss").

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.pipeline.Inpainting;

public class JpegJobs {
    private static final int WARM_UP = Integer.getInteger("warmUp", 2);
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        WorkerConfig config = ConfigLoader.loadWithModel(null, null);
        boolean patching = JobOptions.class.getRecordComponents().length >= 9;
        List<String> paths = patching ? List.of("whole", "patched") : List.of("before");
        List<Path> photos;
        try (Stream<Path> files = Files.list(dir)) {
            photos = files.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
        }
        System.out.println("| photo | MP | mask | path | decode ms | encode ms | decode + encode ms | output / input |");
        System.out.println("|---|--:|---|---|--:|--:|--:|--:|");
        try (InpaintModel model = InpaintModel.load(InpaintModel.Options.forOneRunAtATime(config))) {
            Inpainting work = new Inpainting(model, config);
            Method encode = encodeMethod();
            for (Path photo : photos) {
                byte[] image = Files.readAllBytes(photo);
                String name = photo.getFileName().toString().replace(".jpg", "");
                for (String maskName : new String[] {"small", "large"}) {
                    byte[] mask = Files.readAllBytes(dir.resolve(name + "." + maskName + ".png"));
                    for (String path : paths) {
                        JobOptions options = options(path.equals("whole"));
                        long[] decode = new long[7];
                        long[] encodeMs = new long[7];
                        byte[] output = null;
                        double mp = 0;
                        for (int run = -WARM_UP; run < 7; run++) {
                            long t0 = CPU.getCurrentThreadCpuTime();
                            Inpainting.Decoded decoded = work.decode(image, mask, options);
                            long t1 = CPU.getCurrentThreadCpuTime();
                            var composited = work.composite(decoded, work.run(work.tensors(decoded)));
                            long t2 = CPU.getCurrentThreadCpuTime();
                            Inpainting.Encoded encoded = (Inpainting.Encoded) encode.invoke(work, composited, patching ? decoded : decoded.info(), options);
                            long t3 = CPU.getCurrentThreadCpuTime();
                            if (run >= 0) {
                                decode[run] = (t1 - t0) / 1_000_000;
                                encodeMs[run] = (t3 - t2) / 1_000_000;
                            }
                            output = encoded.bytes();
                            mp = encoded.width() * (double) encoded.height() / 1e6;
                        }
                        long d = median(decode);
                        long e = median(encodeMs);
                        System.out.printf("| %s | %.1f | %s | %s | %d | %d | %d | %.3f |%n",
                                name, mp, maskName, path, d, e, d + e, (double) output.length / image.length);
                    }
                }
            }
        }
    }

    private static JobOptions options(boolean whole) {
        String json = "{\"version\":1,\"jobId\":\"bench\",\"image\":{\"bucket\":\"bench\",\"key\":\"i\"},"
                + "\"mask\":{\"bucket\":\"bench\",\"key\":\"m\"}"
                + (whole ? ",\"options\":{\"jpegPatch\":false}" : "") + "}";
        return JsonCodec.decodeJob(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)).options();
    }

    /** encode(Picture, Decoded, JobOptions) since issue 14, encode(Picture, ImageInfo, JobOptions) before. */
    private static Method encodeMethod() {
        for (Method m : Inpainting.class.getMethods()) {
            if (m.getName().equals("encode") && m.getParameterCount() == 3) {
                return m;
            }
        }
        throw new IllegalStateException("no encode method");
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
