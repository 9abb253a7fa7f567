package org.lamaworker.worker.app;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lamaworker.worker.admission.Calibration;
import org.lamaworker.worker.config.ConfigException;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.ModelCatalog;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.storage.ModelFetcher;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code model}: tools for model files. The serving jar has {@code list}, {@code fetch} (for image
 * builds and init containers) and {@code calibrate}; the full jar adds {@code generate} through
 * {@link Tooling}.
 */
@Command(
        name = "model",
        mixinStandardHelpOptions = true,
        description = "Model tools.",
        subcommands = {
            ModelCommand.ListModels.class,
            ModelCommand.Fetch.class,
            ModelCommand.Calibrate.class
        })
public final class ModelCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(),
                "name a model command: " + String.join(", ", spec.subcommands().keySet()));
    }

    /** The configuration, or {@code null} after saying on stderr what is wrong with it. */
    private static WorkerConfig load(Path configFile, Map<String, String> overrides) {
        try {
            return ConfigLoader.load(configFile, overrides);
        } catch (ConfigException e) {
            System.err.println("Configuration error: " + e.getMessage());
            return null;
        }
    }

    /** {@code model list}: the catalogue, and whether this machine's cache holds each model. */
    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = {
                "The models known by name (model.path=NAME): size, SHA-256, contract, licence,"
                        + " source, and whether model.cacheDir holds a verified copy."
            })
    static final class ListModels implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(
                names = "--config",
                paramLabel = "FILE",
                description = "Properties file (model.cacheDir, model.catalog).")
        Path configFile;

        @Override
        public Integer call() throws Exception {
            WorkerConfig config = load(configFile, Map.of());
            if (config == null) {
                return 2;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf(
                    Locale.ROOT,
                    "%-12s %11s  %-64s  %-8s  %-10s  %-6s  %s%n",
                    "NAME",
                    "BYTES",
                    "SHA-256",
                    "CONTRACT",
                    "LICENCE",
                    "CACHED",
                    "SOURCE");
            for (ModelCatalog.Entry entry : config.model().catalog().entries()) {
                // The entry alone: its own pin, no mirror (a configured model.sha256 or mirror
                // belongs to model.path).
                WorkerConfig.Model named =
                        ConfigLoader.load(
                                        configFile,
                                        Map.of(
                                                "model.path", entry.name(),
                                                "model.sha256", "",
                                                "model.mirror", ""))
                                .model();
                ModelFetcher fetcher = new ModelFetcher(named, null, null);
                out.printf(
                        Locale.ROOT,
                        "%-12s %11d  %-64s  %-8s  %-10s  %-6s  %s (%s)%n",
                        entry.name(),
                        entry.bytes(),
                        entry.sha256(),
                        entry.contract(),
                        entry.licence(),
                        fetcher.cached() ? "yes" : "no",
                        entry.source(),
                        entry.url());
            }
            return 0;
        }
    }

    /**
     * {@code model fetch}: downloads a model into the cache ahead of time, for image builds and
     * init containers; exits non-zero on any mismatch.
     */
    @Command(
            name = "fetch",
            mixinStandardHelpOptions = true,
            description = {
                "Download a model into model.cacheDir ahead of time (mirror first, then the source),"
                        + " check it against its pin (a catalogue name's size and SHA-256, or"
                        + " model.sha256: required for a URL, optional for s3://), and print where"
                        + " it is. Exit status: 0 when the file is there, 1 when it could not be had"
                        + " (unreachable,"
                        + " wrong size or checksum: nothing is kept), 2 on usage errors."
            })
    static final class Fetch implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @CommandLine.Parameters(
                arity = "0..1",
                paramLabel = "NAME|URL",
                description =
                        "A catalogue name (lama), an https:// URL or s3://bucket/key. Default: the"
                                + " configured model.path.")
        String model;

        @Option(
                names = "--sha256",
                paramLabel = "HEX",
                description = "The file's SHA-256; required for a URL.")
        String sha256;

        @Option(
                names = "--config",
                paramLabel = "FILE",
                description = "Properties file (model.cacheDir, model.mirror, S3 settings).")
        Path configFile;

        @Override
        public Integer call() throws Exception {
            Map<String, String> overrides = new HashMap<>();
            if (model != null) {
                overrides.put("model.path", model);
            }
            if (sha256 != null) {
                overrides.put("model.sha256", sha256);
            }
            WorkerConfig config = load(configFile, overrides);
            if (config == null) {
                return 2;
            }
            PrintWriter out = spec.commandLine().getOut();
            WorkerConfig.Model m = config.model();
            if (m.remote() == null && m.path() == null) {
                out.println("model.path names the built-in reference fill: nothing to fetch");
                return 0;
            }
            if (m.remote() == null) {
                boolean there = java.nio.file.Files.isRegularFile(m.path());
                out.println(
                        m.path() + (there ? " is a local file: nothing to fetch" : " is missing"));
                return there ? 0 : 1;
            }
            try {
                out.println(LocalModel.fetch(config).model().path());
                return 0;
            } catch (LocalModel.NotFetched e) {
                System.err.println("Model not fetched: " + e.getMessage());
                return e.usage() ? 2 : 1;
            }
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

        @Option(
                names = "--model",
                required = true,
                paramLabel = "FILE|NAME|URL",
                description = "A model file, a catalogue name (lama), s3:// or https://.")
        String model;

        @Option(
                names = "--config",
                paramLabel = "FILE",
                description = "Properties file (device, threads, contract).")
        Path configFile;

        @Override
        public Integer call() throws Exception {
            WorkerConfig config;
            try {
                config = LocalModel.fetch(ConfigLoader.loadWithModel(configFile, model));
            } catch (ConfigException e) {
                System.err.println("Configuration error: " + e.getMessage());
                return 2;
            } catch (LocalModel.NotFetched e) {
                System.err.println("Model not fetched: " + e.getMessage());
                return e.usage() ? 2 : 1;
            }
            try (InpaintModel loaded = InpaintModel.load(InpaintModel.Options.of(config))) {
                Calibration calibration = Calibration.measure(loaded);
                Path file = Calibration.fileFor(config.model().path());
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
