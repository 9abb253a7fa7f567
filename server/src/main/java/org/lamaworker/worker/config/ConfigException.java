package org.lamaworker.worker.config;

/** The configuration cannot be used; the message names the key and what it accepts. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A problem with the configuration. */
    public ConfigException(String message) {
        super(message);
    }
}
