package org.lamaworker.worker.architecture.cycle.right;

import org.lamaworker.worker.architecture.cycle.left.Left;

/** A fixture for {@code ArchitectureTest}: the other half of a package cycle. */
public final class Right {
    /** Depends on the first half. */
    public Left left() {
        return new Left();
    }
}
