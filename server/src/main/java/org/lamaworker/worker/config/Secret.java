package org.lamaworker.worker.config;

import java.util.Objects;

/** A credential that never prints itself: {@link #toString()} is masked. */
public final class Secret {
    private final String value;

    private Secret(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    /** Wraps a credential. */
    public static Secret of(String value) {
        return new Secret(value);
    }

    /** The credential itself, for the one client that needs it. */
    public String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return "****";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Secret s && s.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
