package org.lamaworker.worker.console;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.lamaworker.worker.config.Lane;
import org.lamaworker.worker.config.WorkerConfig;

/**
 * The fleet's backlog as Kafka sees it: for the consumer group ({@code kafka.group.id}), the
 * records not yet committed, summed over the partitions it has committed offsets for and those of
 * every jobs topic, each lane's (a partition never committed counts from its beginning). Asked
 * through the admin client, whose calls answer asynchronously: nothing blocks a thread. It creates
 * its admin client and closes it.
 */
final class GroupLag implements AutoCloseable {
    private final Admin admin;
    private final String groupId;
    private final List<String> jobsTopics;

    GroupLag(WorkerConfig.Kafka kafka, String clientId) {
        Map<String, Object> config = new HashMap<>(kafka.clientProperties());
        config.put("bootstrap.servers", kafka.bootstrapServers());
        config.put("client.id", clientId + "-console-admin");
        config.put("request.timeout.ms", "5000");
        config.put("default.api.timeout.ms", "10000");
        config.remove("group.id");
        this.admin = Admin.create(config);
        this.groupId = kafka.groupId();
        this.jobsTopics = kafka.lanes().stream().map(Lane::topic).toList();
    }

    /** The group's lag now, in records. */
    CompletionStage<Long> measure() {
        CompletionStage<Map<TopicPartition, OffsetAndMetadata>> committed =
                admin.listConsumerGroupOffsets(groupId)
                        .partitionsToOffsetAndMetadata()
                        .toCompletionStage();
        CompletionStage<Map<String, TopicDescription>> topics =
                described(admin.describeTopics(jobsTopics).topicNameValues());
        return committed
                .thenCombine(topics, GroupLag::partitions)
                .thenCompose(
                        pair -> {
                            Set<TopicPartition> all = pair.all();
                            if (all.isEmpty()) {
                                return CompletableFuture.completedFuture(0L);
                            }
                            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
                            for (TopicPartition partition : all) {
                                latest.put(partition, OffsetSpec.latest());
                                if (!pair.committed().containsKey(partition)) {
                                    earliest.put(partition, OffsetSpec.earliest());
                                }
                            }
                            CompletionStage<
                                            Map<
                                                    TopicPartition,
                                                    ListOffsetsResult.ListOffsetsResultInfo>>
                                    ends = admin.listOffsets(latest).all().toCompletionStage();
                            CompletionStage<
                                            Map<
                                                    TopicPartition,
                                                    ListOffsetsResult.ListOffsetsResultInfo>>
                                    starts =
                                            earliest.isEmpty()
                                                    ? CompletableFuture.completedFuture(Map.of())
                                                    : admin.listOffsets(earliest)
                                                            .all()
                                                            .toCompletionStage();
                            return ends.thenCombine(
                                    starts,
                                    (end, start) -> {
                                        long lag = 0;
                                        for (TopicPartition partition : all) {
                                            long from =
                                                    pair.committed().containsKey(partition)
                                                            ? pair.committed().get(partition)
                                                            : start.get(partition).offset();
                                            lag += Math.max(0, end.get(partition).offset() - from);
                                        }
                                        return lag;
                                    });
                        });
    }

    /** The topics that exist: one not created yet has no backlog, and hides none of the others. */
    private static CompletionStage<Map<String, TopicDescription>> described(
            Map<String, org.apache.kafka.common.KafkaFuture<TopicDescription>> byName) {
        Map<String, TopicDescription> found = new java.util.concurrent.ConcurrentHashMap<>();
        CompletableFuture<?>[] each =
                byName.values().stream()
                        .map(
                                future ->
                                        future.toCompletionStage()
                                                .toCompletableFuture()
                                                .thenAccept(d -> found.put(d.name(), d))
                                                .exceptionally(e -> null))
                        .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(each).thenApply(v -> Map.copyOf(found));
    }

    private record Partitions(Map<TopicPartition, Long> committed, Set<TopicPartition> all) {}

    private static Partitions partitions(
            Map<TopicPartition, OffsetAndMetadata> committed,
            Map<String, TopicDescription> topics) {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        committed.forEach(
                (partition, offset) -> {
                    if (offset != null) {
                        offsets.put(partition, offset.offset());
                    }
                });
        Set<TopicPartition> all = new HashSet<>(offsets.keySet());
        for (TopicDescription topic : topics.values()) {
            for (TopicPartitionInfo info : topic.partitions()) {
                all.add(new TopicPartition(topic.name(), info.partition()));
            }
        }
        return new Partitions(offsets, all);
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofSeconds(5));
    }
}
