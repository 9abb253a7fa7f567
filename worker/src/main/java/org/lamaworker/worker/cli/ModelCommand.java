package org.lamaworker.worker.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.Calibration;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.inference.ModelContract;
import org.lamaworker.worker.inference.generate.ModelGenerator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code model}: tools for model files. */
@Command(
        name = "model",
        mixinStandardHelpOptions = true,
        description = "Model tools.",
        subcommands = {ModelCommand.Generate.class, ModelCommand.Calibrate.class})
public final class ModelCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "name a model command: generate or calibrate");
    }

    /**
     * {@code model generate}: writes a generated ONNX model: the reference fill, or big-lama's
     * exact architecture with RANDOM weights (for speed and memory work, never for quality).
     */
    @Command(
            name = "generate",
            mixinStandardHelpOptions = true,
            description = {
                "Write a generated ONNX model with one of the LaMa contracts.",
                "big-lama has the exact big-lama architecture with RANDOM weights: for speed and"
                        + " memory work only; its pictures mean nothing."
            })
    static final class Generate implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--arch", required = true, description = "big-lama or reference.")
        String arch;

        @Option(
                names = "--contract",
                defaultValue = "a",
                description = "a, b or c. Default: ${DEFAULT-VALUE}.")
        String contract;

        @Option(
                names = "--size",
                description = "Input side for fixed-size contracts (default 512).")
        Integer size;

        @Option(names = "--out", required = true, paramLabel = "FILE")
        Path out;

        @Override
        public Integer call() throws Exception {
            ModelContract parsed;
            try {
                parsed = ModelContract.parse(contract);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "--contract must be a, b or c, got '" + contract + "'");
            }
            byte[] model;
            try {
                model = ModelGenerator.generate(arch, parsed, size);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            Files.write(out, model);
            spec.commandLine()
                    .getOut()
                    .printf("%s: %s, contract %s, %d bytes%n", out, arch, contract, model.length);
            return 0;
        }
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
