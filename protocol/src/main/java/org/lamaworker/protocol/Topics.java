package org.lamaworker.protocol;

/** Default topic names; deployments may rename them in the worker's configuration. */
public final class Topics {
    /** Jobs, keyed by job id. */
    public static final String JOBS = "inpaint.jobs";

    /** Results, keyed by job id. */
    public static final String RESULTS = "inpaint.results";

    /** Latency events, keyed by job id. */
    public static final String EVENTS = "inpaint.events";

    private Topics() {}
}
