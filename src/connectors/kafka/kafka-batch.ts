/**
 * Batch reads and writes: the offset ranges a `spark.read.format("kafka")` covers, and producing
 * a frame's rows (`df.write.format("kafka")`).
 */
import { AnalysisError } from "../../errors.js";
import type { StructType } from "../../plan/types.js";
import { KafkaReader, createProducer, kafkaError, type OffsetRange } from "./kafka-client.js";
import { parseSinkOptions, parseSourceOptions, type KafkaSourceOptions } from "./kafka-options.js";
import type { RecordColumns } from "./kafka-records.js";
import { rowToMessage, sinkColumns } from "./kafka-rows.js";

/** The options and offset ranges of a batch read, resolved against the broker now. */
export async function batchRanges(reader: KafkaReader, o: KafkaSourceOptions): Promise<OffsetRange[]> {
  const parts = await reader.partitions(o.subscription, true);
  const start = await reader.resolve(o.startingOffsets, parts, o.isolationLevel, "startingOffsets");
  const end = await reader.resolve(o.endingOffsets, parts, o.isolationLevel, "endingOffsets");
  const ranges: OffsetRange[] = [];
  for (const [topic, ps] of parts) {
    for (const p of ps) {
      const s = start[topic]?.[String(p)];
      const e = end[topic]?.[String(p)];
      if (s === undefined || e === undefined) continue;
      if (s > e) throw new AnalysisError(`Kafka read of ${topic}-${p}: the starting offset ${s} is after the ending offset ${e}. Check the options startingOffsets and endingOffsets.`, "KAFKA_INVALID_OFFSET_RANGE");
      ranges.push({ topic, partition: p, start: s, end: e });
    }
  }
  return ranges;
}

/**
 * Reads the records of a batch read (`spark.read.format("kafka")` options, or the exact ranges a
 * stream's batch plan carries) and hands them to `onColumns`, a partition's records at a time.
 * @returns the checked options, for the caller's row schema
 */
export async function readKafka(options: Readonly<Record<string, string>>,
  onColumns: (range: OffsetRange, columns: RecordColumns) => void): Promise<KafkaSourceOptions> {
  const o = parseSourceOptions(options, false);
  const reader = new KafkaReader(o.bootstrapServers, o.clientId, undefined, o.requestTimeoutMs);
  try {
    const ranges = await batchRanges(reader, o);
    await reader.fetchRanges(ranges, o, onColumns);
    return o;
  } catch (e) {
    throw kafkaError("read", o.bootstrapServers, e);
  } finally {
    await reader.close();
  }
}

/**
 * Produces every row of a frame to Kafka (idempotent producer, acks from all in-sync replicas).
 * @param rows batches of rows, as a backend streams them
 */
export async function writeKafka(options: Readonly<Record<string, string>>, schema: StructType, rows: AsyncIterable<readonly Readonly<Record<string, unknown>>[]>): Promise<number> {
  const o = parseSinkOptions(options);
  const cols = sinkColumns(schema, o.topic);
  const producer = createProducer(o.bootstrapServers, o.clientId, undefined, o.requestTimeoutMs);
  let n = 0;
  try {
    for await (const batch of rows) {
      if (batch.length === 0) continue;
      await producer.send({ messages: batch.map((r) => rowToMessage(r, cols, o.topic)), acks: -1 });
      n += batch.length;
    }
    return n;
  } catch (e) {
    if (e instanceof AnalysisError) throw e;
    throw kafkaError("write", o.bootstrapServers, e);
  } finally {
    await producer.close().catch(() => undefined);
  }
}
