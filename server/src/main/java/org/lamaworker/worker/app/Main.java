package org.lamaworker.worker.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of both jars: {@code run} serves jobs, {@code inpaint} tries one local picture,
 * {@code model calibrate} measures a model. The full jar's {@link Tooling} adds {@code submit},
 * {@code bench} and {@code model generate}.
 */
@Command(
        name = "lama-worker",
        mixinStandardHelpOptions = true,
        version = "lama-worker 0.1.0",
        description = "Removes objects from photos: LaMa inpainting jobs from Kafka, images in S3.",
        subcommands = {RunCommand.class, InpaintCommand.class, ModelCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Parses the command line and exits with the command's status. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with its exit-code conventions (usage errors exit 2). */
    public static CommandLine commandLine() {
        CommandLine line = new CommandLine(new Main());
        Tooling.installed()
                .ifPresent(
                        tooling -> {
                            tooling.commands().forEach(line::addSubcommand);
                            CommandLine model = line.getSubcommands().get("model");
                            tooling.modelCommands().forEach(model::addSubcommand);
                        });
        return line;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(),
                "name a command: " + String.join(", ", spec.subcommands().keySet()));
    }
}
