package org.lamaworker.worker.kafka;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import io.vertx.kafka.client.producer.RecordMetadata;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.LatencyEvent;
import org.lamaworker.worker.config.WorkerConfig;

/**
 * Produces results and latency events, keyed by job id, with an idempotent producer that waits for
 * all in-sync replicas: a result counts as published only once the broker acknowledged it. A
 * publisher that created its producer closes it; one handed a producer leaves it to the caller.
 */
public final class ResultPublisher {
    private final KafkaProducer<String, byte[]> producer;
    private final String resultsTopic;
    private final String eventsTopic;
    private final String deadLetterTopic;
    private final boolean ownsProducer;

    /** Prefix of the headers a dead-lettered record gets. */
    public static final String HEADER_PREFIX = "lama.dlq.";

    /** A publisher with a producer of its own, which {@link #close} closes. */
    public static ResultPublisher create(Vertx vertx, WorkerConfig.Kafka kafka, String clientId) {
        Map<String, String> config = new HashMap<>(kafka.clientProperties());
        config.put("bootstrap.servers", kafka.bootstrapServers());
        config.put("client.id", clientId + "-results");
        config.put("key.serializer", StringSerializer.class.getName());
        config.put("value.serializer", ByteArraySerializer.class.getName());
        config.put("acks", "all");
        config.put("enable.idempotence", "true");
        config.putIfAbsent("linger.ms", "5");
        return new ResultPublisher(KafkaProducer.create(vertx, config), kafka, true);
    }

    /**
     * A publisher over a producer the caller owns and closes (tests give one over Kafka's {@code
     * MockProducer}); {@link #close} leaves it open.
     */
    public static ResultPublisher over(
            KafkaProducer<String, byte[]> producer, WorkerConfig.Kafka kafka) {
        return new ResultPublisher(producer, kafka, false);
    }

    private ResultPublisher(
            KafkaProducer<String, byte[]> producer, WorkerConfig.Kafka kafka, boolean owned) {
        this.producer = producer;
        this.resultsTopic = kafka.resultsTopic();
        this.eventsTopic = kafka.eventsTopic();
        this.deadLetterTopic = kafka.deadLetterTopic();
        this.ownsProducer = owned;
    }

    /** Publishes a result; completes when the broker acknowledged it. */
    public Future<RecordMetadata> publish(InpaintResult result) {
        return producer.send(
                KafkaProducerRecord.create(resultsTopic, result.jobId(), JsonCodec.encode(result)));
    }

    /** Publishes a latency event; completes when the broker acknowledged it. */
    public Future<RecordMetadata> publish(LatencyEvent event) {
        return producer.send(
                KafkaProducerRecord.create(eventsTopic, event.jobId(), JsonCodec.encode(event)));
    }

    /**
     * Copies a record that cannot be read as a job, or must not run again, to the dead-letter
     * topic: its original key, value and headers, plus headers naming the reason and where it came
     * from. Completes when the broker acknowledged it.
     *
     * @param reason the error code
     * @param message what was wrong, for a person reading the topic
     * @param extraHeaders more headers to add, such as {@code lama.dlq.crashes}
     */
    public Future<RecordMetadata> deadLetter(
            KafkaConsumerRecord<String, byte[]> record,
            String reason,
            String message,
            Map<String, String> extraHeaders) {
        KafkaProducerRecord<String, byte[]> copy =
                KafkaProducerRecord.create(deadLetterTopic, record.key(), record.value());
        copy.addHeaders(record.headers());
        copy.addHeader(HEADER_PREFIX + "reason", reason);
        copy.addHeader(HEADER_PREFIX + "message", message);
        copy.addHeader(HEADER_PREFIX + "topic", record.topic());
        copy.addHeader(HEADER_PREFIX + "partition", String.valueOf(record.partition()));
        copy.addHeader(HEADER_PREFIX + "offset", String.valueOf(record.offset()));
        extraHeaders.forEach(copy::addHeader);
        return producer.send(copy);
    }

    /** Flushes and closes the producer if this publisher created it. */
    public Future<Void> close() {
        return ownsProducer ? producer.close() : Future.succeededFuture();
    }
}
