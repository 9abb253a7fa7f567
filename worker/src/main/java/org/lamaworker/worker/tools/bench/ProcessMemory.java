package org.lamaworker.worker.tools.bench;

import java.io.IOException;
import org.lamaworker.worker.admission.MemoryProbe;

/**
 * The whole process's resident memory as the bench reports it: now ({@code VmRSS}) and its peak so
 * far ({@code VmHWM}). It reads {@code /proc/self/status} through the admission probe rather than a
 * copy of its parser, and gives -1 where there is no such figure (off Linux) so that a bench still
 * prints its throughput there.
 */
final class ProcessMemory {
    private ProcessMemory() {}

    /** Resident memory now, in bytes; -1 where unknown. */
    static long currentBytes() {
        return statusBytes("VmRSS:");
    }

    /** The most resident memory the process has had, in bytes; -1 where unknown. */
    static long peakBytes() {
        return statusBytes("VmHWM:");
    }

    private static long statusBytes(String field) {
        try {
            return MemoryProbe.ResidentMemory.statusBytes(field);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
