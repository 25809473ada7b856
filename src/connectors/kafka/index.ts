/**
 * The Kafka connector: Spark's Kafka source and sink options, batch reads and writes, and the
 * streaming source and exactly-once sink the streaming engine plugs in (src/streaming/contracts.ts).
 */
export { createKafkaSource, queryGroupId } from "./kafka-source.js";
export { createKafkaSink, sinkMarkerGroup, sinkTransactionalId, SINK_MARKER_TOPIC } from "./kafka-sink.js";
export { parseSourceOptions, parseSinkOptions, parseOffsetsJson, type KafkaSourceOptions, type KafkaSinkOptions, type PartitionOffsets } from "./kafka-options.js";
export { kafkaSchema, sinkColumns } from "./kafka-rows.js";
export { readKafka, writeKafka } from "./kafka-batch.js";
export { KafkaReader, type OffsetRange } from "./kafka-client.js";
export { decodeRecords, readBatchHeaders, type RecordColumns } from "./kafka-records.js";
