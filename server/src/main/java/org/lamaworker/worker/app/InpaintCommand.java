package org.lamaworker.worker.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.ProtocolException;
import org.lamaworker.worker.config.ConfigException;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.failure.Failures;
import org.lamaworker.worker.image.OutputSettings;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.pipeline.Inpainting;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inpaint}: one picture on this machine, without Kafka or S3, through exactly the picture
 * path a job takes (decode, mask handling, strategy, model, composite, encode). For trying models
 * and options, and for measuring a job's memory.
 */
@Command(
        name = "inpaint",
        mixinStandardHelpOptions = true,
        description = "Inpaint one local picture, as a job would be, without Kafka or S3.")
public final class InpaintCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--image", required = true, paramLabel = "FILE")
    Path image;

    @Option(names = "--mask", required = true, paramLabel = "FILE")
    Path mask;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "FILE",
            description =
                    "Where the result goes. Without --option format=..., its extension (.png,"
                            + " .jpg, .jpeg, .webp) chooses the format; another extension keeps"
                            + " the input's (format=auto).")
    Path out;

    @Option(
            names = "--model",
            paramLabel = "FILE|NAME|URL",
            description =
                    "ONNX model: a file, a catalogue name (lama: fetched once into model.cacheDir),"
                            + " s3:// or https:// (default: model.path, else the reference fill).")
    String model;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "Properties file (see deploy/lama-worker.properties).")
    Path configFile;

    @Option(
            names = "--option",
            paramLabel = "NAME=VALUE",
            description = "Job option, e.g. strategy=crop; repeatable.")
    List<String> optionArguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        JobOptions options;
        try {
            Map<String, Object> given = OptionArguments.parse(optionArguments);
            String named = OutputSettings.formatOfFileName(out.getFileName().toString());
            if (!given.containsKey("format") && named != null) {
                if (named.equals("png") && given.containsKey("quality")) {
                    throw new IllegalArgumentException(
                            "--out "
                                    + out.getFileName()
                                    + " asks for PNG, which has no quality: write to .jpg or"
                                    + " .webp, or drop --option quality");
                }
                given.put("format", named);
            }
            options = OptionArguments.validate(given);
        } catch (IllegalArgumentException | ProtocolException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        WorkerConfig config;
        try {
            config = ConfigLoader.loadWithModel(configFile, model);
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("Configuration error: " + e.getMessage());
            return 2;
        }
        try {
            config = LocalModel.fetch(config);
        } catch (LocalModel.NotFetched e) {
            spec.commandLine().getErr().println("Model not fetched: " + e.getMessage());
            return e.usage() ? 2 : 1;
        }
        byte[] imageBytes = Files.readAllBytes(image);
        byte[] maskBytes = Files.readAllBytes(mask);
        try (InpaintModel loaded =
                InpaintModel.load(InpaintModel.Options.forOneRunAtATime(config))) {
            long start = System.nanoTime();
            Inpainting.Encoded result =
                    new Inpainting(loaded, config).inpaint(imageBytes, maskBytes, options);
            Files.write(out, result.bytes());
            spec.commandLine()
                    .getOut()
                    .printf(
                            "%s %dx%d %s %d bytes in %d ms%n",
                            out,
                            result.width(),
                            result.height(),
                            result.contentType(),
                            result.bytes().length,
                            (System.nanoTime() - start) / 1_000_000);
            return 0;
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("Model error: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            var error = Failures.toError(e);
            spec.commandLine().getErr().println(error.code() + ": " + error.message());
            return 1;
        }
    }
}
