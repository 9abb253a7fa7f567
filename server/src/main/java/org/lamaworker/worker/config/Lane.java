package org.lamaworker.worker.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One topic the worker takes jobs from, and its share of the worker's free places when several
 * lanes have jobs waiting ({@code topics.jobs=inpaint.jobs.interactive:8,inpaint.jobs.batch:1}).
 * Lanes exist so that a bulk backfill on one topic cannot hold up interactive edits on another: the
 * consumer admits from the lanes that have jobs waiting by weight and pauses each lane on its own.
 * One lane, today's single topic, behaves as a single topic always did.
 *
 * @param topic the Kafka topic
 * @param weight admissions this lane gets for every {@code weight} of another lane's while both
 *     have jobs waiting, 1 to {@value #MAX_WEIGHT}
 */
public record Lane(String topic, int weight) {
    /** The largest weight: beyond it a lighter lane's share rounds to nothing in practice. */
    public static final int MAX_WEIGHT = 1000;

    /** Kafka's own rule for topic names. */
    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");

    /** Validates the topic name and the weight. */
    public Lane {
        if (topic == null
                || !TOPIC.matcher(topic).matches()
                || topic.equals(".")
                || topic.equals("..")) {
            throw new ConfigException(
                    "topics.jobs: '"
                            + topic
                            + "' is not a Kafka topic name (1-249 of A-Z a-z 0-9 . _ -)");
        }
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new ConfigException(
                    "topics.jobs: the weight of "
                            + topic
                            + " must be 1-"
                            + MAX_WEIGHT
                            + ", got "
                            + weight);
        }
    }

    /**
     * Reads {@code topics.jobs}: a comma-separated list of {@code topic} or {@code topic:weight}
     * (weight 1 when not given), in the order ties are broken.
     *
     * @throws ConfigException naming the entry at fault: an empty entry, a weight that is not a
     *     whole number of 1-{@value #MAX_WEIGHT}, a bad topic name, a topic given twice
     */
    public static List<Lane> parseAll(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new ConfigException("topics.jobs must not be empty");
        }
        List<Lane> lanes = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String[] entries = spec.split(",", -1);
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i].trim();
            if (entry.isEmpty()) {
                throw new ConfigException(
                        "topics.jobs has an empty entry (number "
                                + (i + 1)
                                + " of '"
                                + spec
                                + "'): write topic or topic:weight, separated by commas");
            }
            Lane lane = parse(entry);
            if (!seen.add(lane.topic())) {
                throw new ConfigException(
                        "topics.jobs names "
                                + lane.topic()
                                + " twice: give each topic once, with its weight");
            }
            lanes.add(lane);
        }
        return List.copyOf(lanes);
    }

    private static Lane parse(String entry) {
        int colon = entry.lastIndexOf(':');
        if (colon < 0) {
            return new Lane(entry, 1);
        }
        String topic = entry.substring(0, colon).trim();
        String weight = entry.substring(colon + 1).trim();
        int value;
        try {
            value = Integer.parseInt(weight);
        } catch (NumberFormatException e) {
            throw new ConfigException(
                    "topics.jobs: the weight in '"
                            + entry
                            + "' must be a whole number of 1-"
                            + MAX_WEIGHT
                            + " (topic:weight, e.g. inpaint.jobs.interactive:8)");
        }
        return new Lane(topic, value);
    }

    /** As {@code topics.jobs} writes it. */
    @Override
    public String toString() {
        return topic + ":" + weight;
    }
}
