package org.lamaworker.worker.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.lamaworker.worker.inference.ExecutionProviders;
import org.lamaworker.worker.inference.ModelContract;
import org.lamaworker.worker.inference.Strategy;

/**
 * The worker's whole configuration, built once by {@link ConfigLoader} and passed down. Immutable;
 * secrets are held as {@link Secret} so printing a config never shows them.
 *
 * @param workerId this worker's name in events and logs
 * @param maxInFlight jobs worked on at once before the consumer pauses its partitions
 * @param kafka broker, group and topics
 * @param storage the S3 endpoint and credentials
 * @param model which model to load
 * @param inference runtime settings of the model
 * @param image limits and defaults of image handling
 * @param embeddedDir where the embedded development servers keep their data
 */
public record WorkerConfig(
        String workerId,
        int maxInFlight,
        Kafka kafka,
        Storage storage,
        Model model,
        Inference inference,
        Image image,
        Path embeddedDir) {

    /** Validates cross-field rules. */
    public WorkerConfig {
        Objects.requireNonNull(workerId, "workerId");
        if (maxInFlight < 1) {
            throw new ConfigException("worker.maxInFlight must be >= 1, got " + maxInFlight);
        }
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(inference, "inference");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(embeddedDir, "embeddedDir");
        if (kafka.configured() != storage.configured()) {
            throw new ConfigException(
                    (kafka.configured() ? "kafka.bootstrap.servers" : "s3.endpoint")
                            + " is set but "
                            + (kafka.configured() ? "s3.endpoint" : "kafka.bootstrap.servers")
                            + " is not: configure both, or neither to run the embedded development"
                            + " servers");
        }
    }

    /** True when neither Kafka nor S3 is configured and the embedded servers should start. */
    public boolean embedded() {
        return !kafka.configured();
    }

    /** A copy pointing at the given broker and S3 endpoint, e.g. the embedded ones. */
    public WorkerConfig withServers(
            String bootstrapServers, URI s3Endpoint, String accessKey, Secret secretKey) {
        return new WorkerConfig(
                workerId,
                maxInFlight,
                kafka.withBootstrapServers(bootstrapServers),
                new Storage(s3Endpoint, storage.region(), accessKey, secretKey, storage.bucket()),
                model,
                inference,
                image,
                embeddedDir);
    }

    /**
     * Kafka settings.
     *
     * @param bootstrapServers {@code host:port,...}, or {@code null} when not configured
     * @param groupId the consumer group shared by all workers of a fleet
     * @param jobsTopic topic the jobs are read from
     * @param resultsTopic topic results are written to
     * @param eventsTopic topic latency events are written to
     * @param clientProperties every other {@code kafka.*} key, without the prefix, passed to the
     *     clients as is (TLS, SASL, timeouts)
     */
    public record Kafka(
            String bootstrapServers,
            String groupId,
            String jobsTopic,
            String resultsTopic,
            String eventsTopic,
            Map<String, String> clientProperties) {
        /** Copies the pass-through map. */
        public Kafka {
            clientProperties = Map.copyOf(clientProperties);
        }

        /** Whether a broker was configured. */
        public boolean configured() {
            return bootstrapServers != null;
        }

        Kafka withBootstrapServers(String servers) {
            return new Kafka(
                    servers, groupId, jobsTopic, resultsTopic, eventsTopic, clientProperties);
        }

        @Override
        public String toString() {
            // Pass-through keys may hold SASL passwords or key-store passwords: print names only.
            return "Kafka[bootstrapServers="
                    + bootstrapServers
                    + ", groupId="
                    + groupId
                    + ", topics="
                    + jobsTopic
                    + "/"
                    + resultsTopic
                    + "/"
                    + eventsTopic
                    + ", clientProperties="
                    + clientProperties.keySet()
                    + "]";
        }
    }

    /**
     * S3 settings.
     *
     * @param endpoint e.g. {@code http://minio:9000}, or {@code null} when not configured
     * @param region the region to sign requests for
     * @param accessKey access key id
     * @param secretKey secret access key
     * @param bucket the bucket the embedded mode creates and {@code submit} uploads to by default
     */
    public record Storage(
            URI endpoint, String region, String accessKey, Secret secretKey, String bucket) {
        /** Whether an endpoint was configured. */
        public boolean configured() {
            return endpoint != null;
        }
    }

    /**
     * Model settings.
     *
     * @param path an ONNX file with one of the LaMa contracts, or {@code null} for the built-in
     *     reference fill model
     * @param contract the contract to assume, or {@code null} to detect it
     * @param outputScale the output's full-intensity value (1 or 255), or {@code null} to probe it
     */
    public record Model(Path path, ModelContract contract, Float outputScale) {}

    /**
     * Inference runtime settings.
     *
     * @param threads ONNX Runtime intra-op threads; 0 means one per available processor
     * @param maxPixels most pixels a model with dynamic height and width gets in one tile; larger
     *     regions are scaled down and the fill scaled back up
     * @param maxBatch most tiles of one size run together, for models with a batch axis
     * @param maxBatchDelayMillis how long a run waits for other jobs' tiles of its size
     * @param defaultStrategy the resolution strategy of jobs that name none
     * @param cropMarginPx context added around each part of the mask by {@code crop}
     * @param cropMergeGapPx {@code crop} regions closer than this are merged
     * @param memoryBudget bytes the jobs in flight may take together, or a negative percentage (-80
     *     for 80%) of the device's memory, resolved when the worker starts
     */
    public record Inference(
            int threads,
            long maxPixels,
            int maxBatch,
            long maxBatchDelayMillis,
            Strategy defaultStrategy,
            int cropMarginPx,
            int cropMergeGapPx,
            long memoryBudget,
            boolean allowSpinning,
            ExecutionProviders.Device device) {
        /** Validates ranges. */
        public Inference {
            if (threads < 0) {
                throw new ConfigException("inference.threads must be >= 0, got " + threads);
            }
            if (maxPixels < 64L * 64L) {
                throw new ConfigException("inference.maxPixels must be >= 4096, got " + maxPixels);
            }
            if (maxBatch < 1) {
                throw new ConfigException("inference.maxBatch must be >= 1, got " + maxBatch);
            }
            if (memoryBudget == 0 || memoryBudget < -100) {
                throw new ConfigException(
                        "inference.memoryBudget must be bytes > 0 or a percentage 1%-100%");
            }
            if (cropMarginPx < 0 || cropMergeGapPx < 0) {
                throw new ConfigException("crop.marginPx and crop.mergeGapPx must be >= 0");
            }
        }
    }

    /**
     * The memory budget in bytes.
     *
     * @param deviceMemoryBytes the device's memory, for a percentage budget
     */
    public long memoryBudgetBytes(long deviceMemoryBytes) {
        long budget = inference.memoryBudget();
        return budget > 0 ? budget : deviceMemoryBytes * -budget / 100;
    }

    /**
     * Image and mask handling.
     *
     * @param maxPixels pictures declaring more pixels are refused before decoding
     * @param maxBytes objects larger than this are refused before download
     * @param maskThreshold default mask binarisation threshold (1-255)
     * @param jpegQuality default JPEG output quality (1-100)
     * @param maskDilatePx default growth of the mask, in pixels (0-64)
     * @param fillHoles whether enclosed holes of a mask are filled by default
     * @param seamPx width of the feathered seam outside the mask where model output blends in
     */
    public record Image(
            long maxPixels,
            long maxBytes,
            int maskThreshold,
            int jpegQuality,
            int maskDilatePx,
            boolean fillHoles,
            int seamPx) {
        /** Validates ranges. */
        public Image {
            if (maxPixels < 1 || maxBytes < 1) {
                throw new ConfigException("image.maxPixels and image.maxBytes must be >= 1");
            }
            if (maskThreshold < 1 || maskThreshold > 255) {
                throw new ConfigException("mask.threshold must be 1-255, got " + maskThreshold);
            }
            if (jpegQuality < 1 || jpegQuality > 100) {
                throw new ConfigException("output.jpegQuality must be 1-100, got " + jpegQuality);
            }
            if (maskDilatePx < 0 || maskDilatePx > 64) {
                throw new ConfigException("mask.dilatePx must be 0-64, got " + maskDilatePx);
            }
            if (seamPx < 0 || seamPx > 16) {
                throw new ConfigException("mask.seamPx must be 0-16, got " + seamPx);
            }
        }
    }
}
