package org.lamaworker.worker.tools.generate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.lamaworker.worker.config.ModelContract;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code model generate}: writes a generated ONNX model: the reference fill, or big-lama's exact
 * architecture with RANDOM weights (for speed and memory work, never for quality).
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = {
            "Write a generated ONNX model with one of the LaMa contracts.",
            "big-lama has the exact big-lama architecture with RANDOM weights: for speed and"
                    + " memory work only; its pictures mean nothing."
        })
public final class GenerateCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--arch", required = true, description = "big-lama or reference.")
    String arch;

    @Option(
            names = "--contract",
            defaultValue = "a",
            description = "a, b or c. Default: ${DEFAULT-VALUE}.")
    String contract;

    @Option(names = "--size", description = "Input side for fixed-size contracts (default 512).")
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
