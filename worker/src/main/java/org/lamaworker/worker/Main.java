package org.lamaworker.worker;

import org.lamaworker.worker.bench.BenchCommand;
import org.lamaworker.worker.cli.InpaintCommand;
import org.lamaworker.worker.cli.ModelCommand;
import org.lamaworker.worker.cli.RunCommand;
import org.lamaworker.worker.cli.SubmitCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code run} serves jobs, {@code submit} sends some and waits for their results. */
@Command(
        name = "lama-worker",
        mixinStandardHelpOptions = true,
        version = "lama-worker 0.1.0",
        description = "Removes objects from photos: LaMa inpainting jobs from Kafka, images in S3.",
        subcommands = {
            RunCommand.class,
            SubmitCommand.class,
            InpaintCommand.class,
            ModelCommand.class,
            BenchCommand.class
        })
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Parses the command line and exits with the command's status. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with its exit-code conventions (usage errors exit 2). */
    public static CommandLine commandLine() {
        return new CommandLine(new Main());
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "name a command: run, submit, inpaint or model");
    }
}
