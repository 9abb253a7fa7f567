package org.lamaworker.worker.config;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Every configuration key the worker reads, with its default ({@code ""} where there is none).
 * {@code deploy/lama-worker.properties} documents the same list; a test keeps the two equal.
 * Besides these, any {@code kafka.*} key passes through to the Kafka clients.
 */
public final class ConfigKeys {
    /** Key to default, in documentation order. */
    public static final Map<String, String> DEFAULTS;

    static {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("worker.id", "");
        d.put("worker.maxInFlight", "auto");
        d.put("worker.storageThreads", "8");
        d.put("worker.pipelineThreads", "auto");
        d.put("kafka.bootstrap.servers", "");
        d.put("kafka.group.id", "lama-worker");
        d.put("topics.jobs", "inpaint.jobs");
        d.put("topics.results", "inpaint.results");
        d.put("topics.events", "inpaint.events");
        d.put("topics.deadLetter", "inpaint.jobs.dlq");
        d.put("topics.attempts", "auto");
        d.put("s3.endpoint", "");
        d.put("s3.region", "us-east-1");
        d.put("s3.accessKey", "");
        d.put("s3.secretKey", "");
        d.put("s3.secretKeyFile", "");
        d.put("s3.bucket", "inpaint");
        d.put("s3.caFile", "");
        d.put("storage.allowedBuckets", "");
        d.put("storage.outputPrefix", "");
        d.put("retry.maxAttempts", "8");
        d.put("retry.initialBackoff", "500");
        d.put("retry.maxBackoff", "10000");
        d.put("shutdown.grace", "30000");
        d.put("delivery.maxCrashes", "2");
        d.put("model.path", "");
        d.put("model.sha256", "");
        d.put("model.cacheDir", ".lama-models");
        d.put("model.mirror", "");
        d.put("model.catalog", "");
        d.put("model.allowInsecureHttp", "false");
        d.put("model.proxy", "");
        d.put("model.noProxy", "");
        d.put("model.contract", "auto");
        d.put("model.outputScale", "auto");
        d.put("inference.device", "cpu");
        d.put("inference.allowCpuFallback", "false");
        d.put("inference.cuda.memoryLimitBytes", "0");
        d.put("inference.cuda.arenaStrategy", "nextPowerOfTwo");
        d.put("inference.cuda.cudnnConvAlgoSearch", "exhaustive");
        d.put("inference.sessions", "1");
        d.put("inference.runners", "auto");
        d.put("inference.threads", "0");
        d.put("inference.maxPixels", "4194304");
        d.put("inference.maxBatch", "auto");
        d.put("inference.maxBatchDelay", "10");
        d.put("inference.memoryBudget", "80%");
        d.put("inference.allowSpinning", "true");
        d.put("inference.cpuArena", "true");
        d.put("strategy.default", "auto");
        d.put("crop.marginPx", "128");
        d.put("crop.mergeGapPx", "32");
        d.put("image.maxPixels", "40000000");
        d.put("image.maxBytes", "104857600");
        d.put("mask.threshold", "128");
        d.put("mask.dilatePx", "3");
        d.put("mask.fillHoles", "true");
        d.put("mask.seamPx", "2");
        d.put("mask.maxParts", "1000");
        d.put("output.format", "auto");
        d.put("output.jpegQuality", "92");
        d.put("output.stripMetadata", "false");
        d.put("management.host", "0.0.0.0");
        d.put("management.port", "8081");
        d.put("log.format", "text");
        d.put("console.enabled", "auto");
        d.put("console.host", "127.0.0.1");
        d.put("console.port", "8082");
        d.put("console.allowedHosts", "");
        d.put("console.maxJobs", "1000");
        d.put("embedded.dir", ".lama-local");
        DEFAULTS = Map.copyOf(d);
        ORDER = d.keySet().toArray(String[]::new);
    }

    private static final String[] ORDER;

    private ConfigKeys() {}

    /** Keys in documentation order. */
    public static String[] ordered() {
        return ORDER.clone();
    }

    /**
     * The environment variable that sets a key: {@code LAMA_} then the key upper-cased, dots and
     * camel-case humps turned into underscores ({@code s3.accessKey} is {@code
     * LAMA_S3_ACCESS_KEY}).
     */
    public static String environmentName(String key) {
        StringBuilder name = new StringBuilder("LAMA_");
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '.') {
                name.append('_');
            } else if (Character.isUpperCase(c)) {
                name.append('_').append(c);
            } else {
                name.append(Character.toUpperCase(c));
            }
        }
        return name.toString().toUpperCase(Locale.ROOT);
    }
}
