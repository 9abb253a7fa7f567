package org.lamaworker.worker.admission;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.lamaworker.worker.config.Device;

/**
 * GPU memory through {@code nvidia-smi}: the memory this process holds on the device ({@code
 * --query-compute-apps}), or, where the process is not listed under its own id (a container's PID
 * namespace), the device's memory in use ({@code --query-gpu=memory.used}), which is right when the
 * worker has the GPU to itself, as the deployment runs it. Which of the two is chosen when a window
 * opens and kept until it closes. While a window is open a thread samples as fast as {@code
 * nvidia-smi} answers; the reading after the run counts too, which for ONNX Runtime's CUDA arena
 * (it keeps what it grew to) is the peak. The GPU is named by nvidia-smi's own id (see {@link
 * Device#nvidiaSmiId}), which differs from CUDA's number where {@code CUDA_VISIBLE_DEVICES}
 * renumbers the GPUs.
 */
public final class NvidiaSmiProbe implements MemoryProbe {
    private static final long MIB = 1L << 20;
    private static final String COMMAND = "nvidia-smi";

    private final String command;
    private final String gpuId;
    private final long pid;
    private final AtomicLong highest = new AtomicLong();
    private final AtomicReference<IOException> samplingFailure = new AtomicReference<>();
    private volatile boolean sampling;
    private volatile boolean perProcess;
    private Thread sampler;

    NvidiaSmiProbe(String command, String gpuId, long pid) {
        this.command = command;
        this.gpuId = gpuId;
        this.pid = pid;
    }

    /** The probe of this process on the GPU nvidia-smi knows as {@code gpuId}. */
    static NvidiaSmiProbe forGpu(String gpuId) {
        return new NvidiaSmiProbe(COMMAND, gpuId, ProcessHandle.current().pid());
    }

    /** The total memory of the GPU nvidia-smi knows as {@code gpuId}, in bytes. */
    public static long totalMemoryBytes(String gpuId) throws IOException {
        return totalMemoryBytes(COMMAND, gpuId);
    }

    /**
     * The GPU's total memory, in bytes: what the worker's memory budget is a share of. Refused for
     * a GPU split into MIG slices, whose memory.total is the whole GPU's, not the slice's.
     */
    static long totalMemoryBytes(String command, String gpuId) throws IOException {
        String migAdvice =
                " is a MIG slice, and nvidia-smi's memory.total is the whole GPU's: set"
                        + " inference.memoryBudget to the slice's share in bytes";
        if (gpuId.startsWith("MIG-")) {
            throw new IOException("GPU " + gpuId + migAdvice);
        }
        NvidiaSmiProbe probe = new NvidiaSmiProbe(command, gpuId, -1);
        List<String> lines =
                probe.run(
                        "--id=" + gpuId,
                        "--query-gpu=memory.total,mig.mode.current",
                        "--format=csv,noheader,nounits");
        if (lines.isEmpty()) {
            throw new IOException(command + " reported no memory.total for GPU " + gpuId);
        }
        String[] fields = lines.get(0).split(",");
        if (fields.length > 1 && fields[1].trim().equalsIgnoreCase("Enabled")) {
            throw new IOException("GPU " + gpuId + migAdvice);
        }
        return parseMib(fields[0].trim()) * MIB;
    }

    @Override
    public long start() throws IOException {
        perProcess = processUsage().isPresent();
        long now = read();
        highest.set(now);
        samplingFailure.set(null);
        sampling = true;
        sampler =
                new Thread(
                        () -> {
                            while (sampling) {
                                try {
                                    highest.accumulateAndGet(read(), Math::max);
                                } catch (IOException e) {
                                    samplingFailure.set(e);
                                    return;
                                }
                            }
                        },
                        "calibration-nvidia-smi");
        sampler.setDaemon(true);
        sampler.start();
        return now;
    }

    @Override
    public long peak() throws IOException {
        sampling = false;
        if (sampler != null) {
            try {
                sampler.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while stopping the nvidia-smi sampler", e);
            }
        }
        if (samplingFailure.get() != null) {
            throw samplingFailure.get();
        }
        return Math.max(highest.get(), read());
    }

    /** The memory in use now, in bytes, by the measure chosen when the window opened. */
    long read() throws IOException {
        if (perProcess) {
            // Not listed any more: it holds nothing on the device now.
            return processUsage().orElse(0) * MIB;
        }
        List<String> device =
                run("--id=" + gpuId, "--query-gpu=memory.used", "--format=csv,noheader,nounits");
        if (device.isEmpty()) {
            throw new IOException(command + " reported no memory.used for GPU " + gpuId);
        }
        return parseMib(device.get(0).trim()) * MIB;
    }

    private OptionalLong processUsage() throws IOException {
        return ownUsage(
                run(
                        "--id=" + gpuId,
                        "--query-compute-apps=pid,used_memory",
                        "--format=csv,noheader,nounits"),
                pid);
    }

    /** This process's MiB in {@code pid, used_memory} lines; empty when it is not listed. */
    static OptionalLong ownUsage(List<String> lines, long pid) throws IOException {
        long total = 0;
        boolean found = false;
        for (String line : lines) {
            String[] fields = line.split(",");
            if (fields.length == 2 && fields[0].trim().equals(Long.toString(pid))) {
                total += parseMib(fields[1].trim());
                found = true;
            }
        }
        return found ? OptionalLong.of(total) : OptionalLong.empty();
    }

    private static long parseMib(String value) throws IOException {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IOException("unexpected nvidia-smi figure '" + value + "'", e);
        }
    }

    /**
     * Runs the tool with its output in files, so that the timeout holds even if it hangs, and only
     * its standard output is parsed (warnings go to standard error).
     */
    private List<String> run(String... args) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(command);
        argv.addAll(List.of(args));
        Path out = Files.createTempFile("nvidia-smi", ".out");
        Path err = Files.createTempFile("nvidia-smi", ".err");
        try {
            Process process;
            try {
                process =
                        new ProcessBuilder(argv)
                                .redirectOutput(out.toFile())
                                .redirectError(err.toFile())
                                .start();
            } catch (IOException e) {
                throw new IOException(
                        "cannot run "
                                + command
                                + " to read GPU memory (install the NVIDIA driver's tools, or"
                                + " calibrate on the CPU): "
                                + e.getMessage(),
                        e);
            }
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IOException(command + " did not answer within 30 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                throw new IOException("interrupted while waiting for " + command, e);
            }
            if (process.exitValue() != 0) {
                String said = (Files.readString(out) + " " + Files.readString(err)).trim();
                throw new IOException(
                        command + " failed (exit " + process.exitValue() + "): " + said);
            }
            return Files.readAllLines(out, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank())
                    .toList();
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
