package org.lamaworker.worker.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU memory probe against a stand-in {@code nvidia-smi} (a shell script answering the two
 * queries the probe makes from files the test writes): no GPU is needed, and the real tool's output
 * format (CSV, no header, no units) is what the script prints.
 */
class NvidiaSmiProbeTest {
    private static final long MIB = 1L << 20;
    private static final long PID = 4242;

    @TempDir Path dir;

    /** Writes the stand-in; it prints apps.csv for compute apps and device.txt for memory.used. */
    private Path standIn() throws IOException {
        Path script = dir.resolve("nvidia-smi");
        Files.writeString(
                script,
                "#!/bin/sh\n"
                        + "echo \"$@\" >> '"
                        + dir.resolve("calls.txt")
                        + "'\n"
                        + "case \"$*\" in\n"
                        + "  *--query-compute-apps=pid,used_memory*) cat '"
                        + dir.resolve("apps.csv")
                        + "' ;;\n"
                        + "  *--query-gpu=memory.used*) cat '"
                        + dir.resolve("device.txt")
                        + "' ;;\n"
                        + "  *--query-gpu=memory.total,mig.mode.current*) echo \"81559, $(cat '"
                        + dir.resolve("mig.txt")
                        + "' 2>/dev/null || echo '[N/A]')\" ;;\n"
                        + "  *) echo 'unknown query' >&2; exit 6 ;;\n"
                        + "esac\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    /** Replaces a file the stand-in reads in one step, so a sample never sees it half written. */
    private void replace(String name, String content) throws IOException {
        Path next = Files.writeString(dir.resolve(name + ".next"), content);
        Files.move(
                next,
                dir.resolve(name),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void readsThisProcessesMemoryOnTheDeviceAndKeepsThePeak() throws Exception {
        Path script = standIn();
        replace("apps.csv", "17, 900\n" + PID + ", 1500\n");
        replace("device.txt", "30000\n");
        NvidiaSmiProbe probe = new NvidiaSmiProbe(script.toString(), "1", PID);

        assertThat(probe.start()).isEqualTo(1500 * MIB);
        // The run grows the process's arena; the probe must report the highest reading.
        replace("apps.csv", "17, 900\n" + PID + ", 2300\n");
        assertThat(probe.peak()).isEqualTo(2300 * MIB);
        assertThat(Files.readAllLines(dir.resolve("calls.txt")))
                .allSatisfy(call -> assertThat(call).startsWith("--id=1 "));
        assertThat(NvidiaSmiProbe.totalMemoryBytes(script.toString(), "1")).isEqualTo(81559 * MIB);
    }

    @Test
    void aGpuSplitIntoMigSlicesHasNoMemoryTotalToTakeAShareOf() throws Exception {
        Path script = standIn();
        replace("mig.txt", "Disabled\n");
        assertThat(NvidiaSmiProbe.totalMemoryBytes(script.toString(), "0")).isEqualTo(81559 * MIB);
        replace("mig.txt", "Enabled\n");
        assertThatThrownBy(() -> NvidiaSmiProbe.totalMemoryBytes(script.toString(), "0"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("MIG slice")
                .hasMessageContaining("inference.memoryBudget");
        assertThatThrownBy(
                        () ->
                                NvidiaSmiProbe.totalMemoryBytes(
                                        script.toString(),
                                        "MIG-1d9a8b7c-0e1f-5a2b-8c3d-4e5f6a7b8c9d"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("MIG slice");
    }

    @Test
    void aProcessNotListedUnderItsIdIsMeasuredByTheDevicesMemory() throws Exception {
        Path script = standIn();
        // In a container the tool lists host process ids, so ours is not among them.
        replace("apps.csv", "88123, 2048\n");
        replace("device.txt", "2100\n");
        NvidiaSmiProbe probe = new NvidiaSmiProbe(script.toString(), "0", PID);
        assertThat(probe.read()).isEqualTo(2100 * MIB);
    }

    @Test
    void parsesTheCsvOfTheRealToolAndSumsAProcessesLines() throws Exception {
        assertThat(NvidiaSmiProbe.ownUsage(List.of("4242, 10", "99, 5", "4242, 7"), 4242))
                .hasValue(17);
        assertThat(NvidiaSmiProbe.ownUsage(List.of("No running processes found"), 4242)).isEmpty();
        assertThatThrownBy(() -> NvidiaSmiProbe.ownUsage(List.of("4242, [N/A]"), 4242))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("[N/A]");
    }

    @Test
    void aMissingOrFailingToolSaysSo() throws Exception {
        NvidiaSmiProbe missing =
                new NvidiaSmiProbe(dir.resolve("no-such-nvidia-smi").toString(), "0", PID);
        assertThatThrownBy(missing::read)
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot run")
                .hasMessageContaining("calibrate on the CPU");

        Path failing = dir.resolve("failing-smi");
        Files.writeString(failing, "#!/bin/sh\necho 'NVIDIA-SMI has failed' ; exit 9\n");
        Files.setPosixFilePermissions(failing, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatThrownBy(() -> new NvidiaSmiProbe(failing.toString(), "0", PID).read())
                .isInstanceOf(IOException.class)
                .hasMessageContaining("exit 9")
                .hasMessageContaining("NVIDIA-SMI has failed");
    }
}
