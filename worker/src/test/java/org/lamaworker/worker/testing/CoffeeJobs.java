package org.lamaworker.worker.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;

/**
 * Jobs on the corpus picture {@code coffee.png}, uploaded as {@code in/coffee.png} and {@code
 * in/coffee.mask.png}: the load of the fault and scale-out tests.
 */
public final class CoffeeJobs {
    private CoffeeJobs() {}

    /**
     * Produces {@code count} jobs {@code PREFIX0}, {@code PREFIX1}... keyed by id, each
     * acknowledged by the broker.
     *
     * @return their ids
     */
    public static List<String> produce(
            String bootstrap, String topic, String bucket, String prefix, int count)
            throws Exception {
        Properties client = new Properties();
        client.put("bootstrap.servers", bootstrap);
        List<String> ids = new ArrayList<>();
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(client, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                InpaintJob job =
                        InpaintJob.of(
                                prefix + i,
                                new ObjectRef(bucket, "in/coffee.png"),
                                new ObjectRef(bucket, "in/coffee.mask.png"));
                acks.add(
                        producer.send(
                                new ProducerRecord<>(topic, job.jobId(), JsonCodec.encode(job))));
                ids.add(job.jobId());
            }
            producer.flush();
            for (Future<RecordMetadata> ack : acks) {
                ack.get();
            }
        }
        return ids;
    }
}
