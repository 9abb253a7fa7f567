package org.lamaworker.worker.architecture.cycle.left;

import org.lamaworker.worker.architecture.cycle.right.Right;

/** A fixture for {@code ArchitectureTest}: half of a package cycle. */
public final class Left {
    /** Depends on the other half. */
    public Right right() {
        return new Right();
    }
}
