package org.lamaworker.worker.management;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import org.slf4j.LoggerFactory;

/** Switches logging to one JSON object per line ({@code log.format=json}). */
public final class JsonLogs {
    private JsonLogs() {}

    /** Replaces the text configuration by {@code logback-json.xml}. */
    public static void enable() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another SLF4J binding: its own configuration applies
        }
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        context.reset();
        try {
            configurator.doConfigure(JsonLogs.class.getResource("/logback-json.xml"));
        } catch (JoranException e) {
            throw new IllegalStateException("logback-json.xml is broken: " + e.getMessage(), e);
        }
    }
}
