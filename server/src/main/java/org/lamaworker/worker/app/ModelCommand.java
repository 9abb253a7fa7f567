package org.lamaworker.worker.app;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.lamaworker.worker.admission.Calibration;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.InpaintModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code model}: tools for model files. The serving jar has {@code calibrate}; the full jar adds
 * {@code generate} through {@link Tooling}.
 */
@Command(
        name = "model",
        mixinStandardHelpOptions = true,
        description = "Model tools.",
        subcommands = {ModelCommand.Calibrate.class})
public final class ModelCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(),
                "name a model command: " + String.join(", ", spec.subcommands().keySet()));
    }

    /**
     * {@code model calibrate}: measures a model's peak memory per run size and writes it beside the
     * model, where the worker reads it to size its admission.
     */
    @Command(
            name = "calibrate",
            mixinStandardHelpOptions = true,
            description = {
                "Measure a model's peak memory per input size (process resident memory on the CPU;"
                        + " on a GPU, per inference.device in --config, device memory through"
                        + " nvidia-smi) and write MODEL.calibration.json beside it for the worker's"
                        + " admission."
            })
    static final class Calibrate implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--model", required = true, paramLabel = "FILE")
        Path model;

        @Option(
                names = "--config",
                paramLabel = "FILE",
                description = "Properties file (device, threads, contract).")
        Path configFile;

        @Override
        public Integer call() throws Exception {
            WorkerConfig config = ConfigLoader.loadWithModel(configFile, model.toString());
            try (InpaintModel loaded = InpaintModel.load(InpaintModel.Options.of(config))) {
                Calibration calibration = Calibration.measure(loaded);
                Path file = Calibration.fileFor(model);
                calibration.write(file);
                PrintWriter out = spec.commandLine().getOut();
                for (Calibration.Run run : calibration.runs()) {
                    out.printf(
                            Locale.ROOT,
                            "batch %d x %dx%d: peak +%d MiB%n",
                            run.batch(),
                            run.width(),
                            run.height(),
                            run.peakBytes() >> 20);
                }
                out.printf(
                        Locale.ROOT,
                        "%s: %d MiB + %.0f bytes per input pixel -> %s%n",
                        loaded.id(),
                        calibration.modelFixedBytes() >> 20,
                        calibration.modelBytesPerTensorPixel(),
                        file);
                return 0;
            }
        }
    }
}
