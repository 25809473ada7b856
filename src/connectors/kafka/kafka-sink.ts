/**
 * The exactly-once Kafka streaming sink. Each batch's rows, the Kafka sources' end offsets (sent
 * to the query's consumer group) and a marker holding the batch id go in ONE Kafka transaction.
 * The transactional id is derived from the query id, so a new run fences a zombie of an older
 * one (its open transaction is aborted). A batch whose marker is already committed (a re-run
 * after a crash between the Kafka commit and the engine's commit log) is skipped.
 */
import { Admin, Consumer, type Producer } from "@platformatic/kafka";
import { faultPoint } from "../../streaming/fault-points.js";
import { AnalysisError } from "../../errors.js";
import type { DataFrame } from "../../api/dataframe.js";
import type { Session } from "../../session/session.js";
import type { JsonValue, SinkBatchContext, StreamSink } from "../../streaming/contracts.js";
import { createProducer, kafkaError, type KafkaMessage } from "./kafka-client.js";
import { parseSinkOptions, type KafkaSinkOptions } from "./kafka-options.js";
import { rowToMessage, sinkColumns } from "./kafka-rows.js";
import { queryGroupId } from "./kafka-source.js";

/** The topic holding no data whose committed offset, per query, is the last committed batch id + 1. */
export const SINK_MARKER_TOPIC = "quarry-sink-commits";

/** The consumer group whose offset of {@link SINK_MARKER_TOPIC} marks a query's committed batches. */
export function sinkMarkerGroup(queryId: string): string { return `quarry-sink-${queryId}`; }

/** The transactional id of a query's sink: stable across restarts, so a new run fences the old one. */
export function sinkTransactionalId(queryId: string): string { return `quarry-sink-${queryId}`; }

const SEND_CHUNK = 10_000;

class KafkaSink implements StreamSink {
  readonly description: string;
  private producer: Producer | null = null;
  private producerQuery: string | null = null;
  private markerReady = false;
  private readonly consumers = new Map<string, Consumer>();

  constructor(private readonly session: Session, private readonly o: KafkaSinkOptions) {
    this.description = `KafkaSink[${o.topic ?? "topic column"}]`;
  }

  private consumer(groupId: string): Consumer {
    let c = this.consumers.get(groupId);
    if (!c) {
      c = new Consumer({ clientId: this.o.clientId ?? "quarry", groupId, bootstrapBrokers: [...this.o.bootstrapServers], retries: 3 });
      this.consumers.set(groupId, c);
    }
    return c;
  }

  private async ensureMarkerTopic(): Promise<void> {
    if (this.markerReady) return;
    const admin = new Admin({ clientId: this.o.clientId ?? "quarry", bootstrapBrokers: [...this.o.bootstrapServers], retries: 3 });
    try {
      const topics = await admin.listTopics();
      if (!topics.includes(SINK_MARKER_TOPIC)) {
        await admin.createTopics({ topics: [SINK_MARKER_TOPIC], partitions: 1, replicas: -1 }).catch((e) => {
          if (!/already exists/i.test(`${(e as Error).message} ${((e as { errors?: Error[] }).errors ?? []).map((x) => x.message).join(" ")}`)) throw e;
        });
      }
    } finally {
      await admin.close().catch(() => undefined);
    }
    this.markerReady = true;
  }

  /**
   * The batch ids below this one are committed (the marker group's offset). Read as a stable
   * offset: while a transaction holding the marker is being completed the broker answers
   * UNSTABLE_OFFSET_COMMIT, and reading the old value then would re-run a committed batch.
   */
  private async committedBatches(queryId: string): Promise<number> {
    const groupId = sinkMarkerGroup(queryId);
    await this.consumer(groupId).findGroupCoordinator();
    const admin = new Admin({ clientId: this.o.clientId ?? "quarry", bootstrapBrokers: [...this.o.bootstrapServers], retries: 3 });
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const [g] = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: SINK_MARKER_TOPIC, partitionIndexes: [0] }] }], requireStable: true });
          const v = g?.topics.find((t) => t.name === SINK_MARKER_TOPIC)?.partitions.find((p) => p.partitionIndex === 0)?.committedOffset;
          return v === undefined || v < 0n ? 0 : Number(v);
        } catch (e) {
          const text = `${(e as Error).message} ${((e as { errors?: Error[] }).errors ?? []).map((x) => `${x.message} ${(x as { apiId?: string }).apiId ?? ""}`).join(" ")}`;
          if (attempt >= 300 || !/UNSTABLE_OFFSET_COMMIT|unstable offsets|COORDINATOR_LOAD_IN_PROGRESS|NOT_COORDINATOR/i.test(text)) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  private async getProducer(queryId: string): Promise<Producer> {
    if (this.producer && this.producerQuery === queryId) return this.producer;
    if (this.producer) await this.producer.close().catch(() => undefined);
    this.producer = createProducer(this.o.bootstrapServers, this.o.clientId, sinkTransactionalId(queryId), this.o.requestTimeoutMs);
    this.producerQuery = queryId;
    return this.producer;
  }

  async addBatch(data: DataFrame, ctx: SinkBatchContext): Promise<void> {
    const cols = sinkColumns(await data.schema(), this.o.topic);
    try {
      await this.ensureMarkerTopic();
      // The transaction first: initializing the transactional producer aborts a transaction a
      // crashed run left open (fencing it), so the marker read below settles quickly.
      const producer = await this.getProducer(ctx.queryId);
      const tx = await producer.beginTransaction();
      if (ctx.batchId < await this.committedBatches(ctx.queryId)) {
        await tx.cancel();
        return;
      }
      try {
        let chunk: KafkaMessage[] = [];
        for await (const r of data.toLocalIterator()) {
          chunk.push(rowToMessage(r, cols, this.o.topic));
          if (chunk.length >= SEND_CHUNK) { await tx.send({ messages: chunk }); chunk = []; }
        }
        if (chunk.length) await tx.send({ messages: chunk });
        const sourceGroup = queryGroupId(ctx.queryName, ctx.queryId);
        const offsets = ctx.endOffsets.filter((_, i) => (ctx.sourceDescriptions[i] ?? "").startsWith("KafkaV2"));
        if (offsets.length) await this.addOffsets(tx, sourceGroup, offsets);
        const markerGroup = this.consumer(sinkMarkerGroup(ctx.queryId));
        const markerCoordinator = await markerGroup.findGroupCoordinator();
        await tx.addConsumer(markerGroup);
        await tx.addOffset(offsetMessage(SINK_MARKER_TOPIC, 0, ctx.batchId + 1, markerGroup.groupId, markerCoordinator));
        // A crash test may kill the process here: rows sent, transaction still open.
        faultPoint("sinkBeforeCommit", ctx.batchId);
        await tx.commit();
      } catch (e) {
        await tx.abort().catch(() => undefined);
        throw e;
      }
    } catch (e) {
      if (e instanceof AnalysisError) throw e;
      throw kafkaError(`sink batch ${ctx.batchId}`, this.o.bootstrapServers, e);
    }
  }

  private async addOffsets(tx: Awaited<ReturnType<Producer["beginTransaction"]>>, groupId: string, offsets: readonly JsonValue[]): Promise<void> {
    const group = this.consumer(groupId);
    const coordinator = await group.findGroupCoordinator();
    await tx.addConsumer(group);
    for (const end of offsets) {
      if (!end || typeof end !== "object" || Array.isArray(end)) continue;
      for (const [topic, ps] of Object.entries(end as Record<string, Record<string, number>>)) {
        for (const [p, o] of Object.entries(ps)) await tx.addOffset(offsetMessage(topic, Number(p), Number(o), groupId, coordinator));
      }
    }
  }

  async stop(): Promise<void> {
    if (this.producer) await this.producer.close().catch(() => undefined);
    this.producer = null;
    for (const c of this.consumers.values()) await new Promise<void>((resolve) => c.close(true, () => resolve()));
    this.consumers.clear();
  }
}

/** A message standing for "committed up to `next`" (the client commits the message's offset + 1). */
function offsetMessage(topic: string, partition: number, next: number, groupId: string, coordinatorId: number) {
  return {
    topic, partition, offset: BigInt(next) - 1n, key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: 0n, headers: new Map<Buffer, Buffer>(),
    metadata: { consumer: { groupId, generationId: -1, memberId: "", coordinatorId } },
    commit: () => undefined,
    toJSON: () => ({ key: null, value: null, headers: [], topic, partition, timestamp: "0", offset: String(next - 1), metadata: {} }),
  };
}

/**
 * An exactly-once Kafka sink for a streaming query (`writeStream.format("kafka")`).
 * @param session the query's session
 * @param options `kafka.bootstrap.servers`, and `topic` unless the rows carry a `topic` column
 * @throws IllegalArgumentError naming a bad option
 * @example
 * const sink = await createKafkaSink(spark, { "kafka.bootstrap.servers": "127.0.0.1:9092", topic: "totals" });
 */
export async function createKafkaSink(session: Session, options: Record<string, string>): Promise<StreamSink> {
  return new KafkaSink(session, parseSinkOptions(options));
}
