/**
 * The Kafka streaming source. Offsets are Spark's JSON shape `{"topic":{"0":12,"1":40}}` (the next
 * offset to read per partition); a batch's plan is an ordinary Kafka batch read of exactly the
 * range between two offsets (`assign` + specific startingOffsets/endingOffsets), so a re-run batch
 * reads the same records and both backends can run it.
 */
import { Admin } from "@platformatic/kafka";
import { ReadNode } from "../../plan/nodes/read-node.js";
import type { PlanNode } from "../../plan/visitor.js";
import type { StructType } from "../../plan/types.js";
import { ExecutionError, IllegalArgumentError } from "../../errors.js";
import type { JsonValue, ReadLimitContext, SourceContext, StreamSource } from "../../streaming/contracts.js";
import { KafkaReader, kafkaError, offsetsJson } from "./kafka-client.js";
import { EARLIEST, LATEST, parseSourceOptions, type KafkaSourceOptions, type PartitionOffsets } from "./kafka-options.js";
import { kafkaSchema } from "./kafka-rows.js";

type Offsets = Record<string, Record<string, number>>;

/** The consumer group a query's offsets are committed to, so ordinary lag tools see its progress. */
export function queryGroupId(queryName: string | null, queryId: string): string {
  return `quarry-${queryName ?? queryId}`;
}

function asOffsets(v: JsonValue, what: string): Offsets {
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new IllegalArgumentError(`The Kafka source got ${what} ${JSON.stringify(v)}, which is not an offsets object like {"topic":{"0":12}}. Was the checkpoint written by another source?`, "KAFKA_BAD_OFFSET");
  const out: Offsets = {};
  for (const [t, ps] of Object.entries(v as Record<string, JsonValue>)) {
    if (!ps || typeof ps !== "object" || Array.isArray(ps)) throw new IllegalArgumentError(`The Kafka source got ${what} with topic ${JSON.stringify(t)} not mapping partitions to offsets.`, "KAFKA_BAD_OFFSET");
    out[t] = {};
    for (const [p, o] of Object.entries(ps as Record<string, JsonValue>)) out[t][p] = Number(o);
  }
  return out;
}

function describe(o: KafkaSourceOptions): string {
  const s = o.subscription;
  if (s.kind === "subscribe") return `KafkaV2[Subscribe[${s.topics.join(",")}]]`;
  if (s.kind === "subscribePattern") return `KafkaV2[SubscribePattern[${s.source}]]`;
  return `KafkaV2[Assign[${Object.entries(s.partitions).flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`)).join(", ")}]]`;
}

class KafkaSource implements StreamSource {
  readonly description: string;
  readonly schema: StructType;
  private readonly reader: KafkaReader;
  private availableNowEnd: Offsets | null = null;

  constructor(private readonly ctx: SourceContext, private readonly options: Readonly<Record<string, string>>, private readonly o: KafkaSourceOptions) {
    this.description = describe(o);
    this.schema = kafkaSchema(o.includeHeaders);
    this.reader = new KafkaReader(o.bootstrapServers, o.clientId, queryGroupId(ctx.queryName, ctx.queryId), o.requestTimeoutMs);
  }

  get groupId(): string { return queryGroupId(this.ctx.queryName, this.ctx.queryId); }

  private async current(): Promise<{ parts: Map<string, number[]>; earliest: Offsets; latest: Offsets }> {
    const parts = await this.reader.partitions(this.o.subscription, false);
    const earliest = await this.reader.listOffsets(parts, EARLIEST, this.o.isolationLevel);
    const latest = await this.reader.listOffsets(parts, LATEST, this.o.isolationLevel);
    return { parts, earliest, latest };
  }

  async initialOffset(): Promise<JsonValue> {
    try {
      const { parts, earliest, latest } = await this.current();
      const spec = this.o.startingOffsets;
      const out: Offsets = {};
      for (const [t, ps] of parts) {
        out[t] = {};
        for (const p of ps) {
          const key = String(p);
          if (spec.kind === "earliest") out[t][key] = earliest[t][key];
          else if (spec.kind === "latest") out[t][key] = latest[t][key];
          else {
            const v = spec.offsets[t]?.[key];
            // Partitions the JSON leaves out start at the earliest offset, as new partitions do.
            out[t][key] = v === undefined || v === EARLIEST ? earliest[t][key] : v === LATEST ? latest[t][key] : v;
          }
        }
      }
      return offsetsJson(out);
    } catch (e) {
      throw kafkaError("source start", this.o.bootstrapServers, e);
    }
  }

  async latestOffset(startValue: JsonValue, limit: ReadLimitContext): Promise<JsonValue | null> {
    const start = asOffsets(startValue, "the start offset");
    let now;
    try { now = await this.current(); } catch (e) { throw kafkaError("listing offsets", this.o.bootstrapServers, e); }
    const { parts, earliest } = now;
    let latest = now.latest;
    if (limit.trigger === "availableNow") {
      this.availableNowEnd ??= latest;
      latest = this.availableNowEnd;
    }
    const from: Offsets = {};
    const to: Offsets = {};
    for (const [t, ps] of Object.entries(start)) {
      for (const p of Object.keys(ps)) {
        if (!parts.get(t)?.includes(Number(p))) {
          if (this.o.failOnDataLoss) throw new ExecutionError(`Kafka partition ${t}-${p} is gone (topic deleted or shrunk); the query had read up to offset ${ps[p]}. Some data may have been lost. Set the option failOnDataLoss to "false" to go on without it.`, "KAFKA_DATA_LOSS");
        }
      }
    }
    for (const [t, ps] of parts) {
      for (const p of ps) {
        const key = String(p);
        const hi = latest[t]?.[key];
        if (hi === undefined) continue; // appeared after the availableNow end was fixed
        let lo = start[t]?.[key] ?? earliest[t][key];
        if (lo > hi) {
          if (this.o.failOnDataLoss) throw new ExecutionError(`Kafka partition ${t}-${p} ends at offset ${hi}, before the query's offset ${lo} (was the topic recreated?). Some data may have been lost. Set the option failOnDataLoss to "false" to start the partition over at its earliest offset.`, "KAFKA_DATA_LOSS");
          lo = earliest[t][key];
        }
        (from[t] ??= {})[key] = lo;
        (to[t] ??= {})[key] = hi;
      }
    }
    const max = this.o.maxOffsetsPerTrigger;
    if (max !== null) {
      let total = 0;
      for (const [t, ps] of Object.entries(to)) for (const [p, hi] of Object.entries(ps)) total += hi - from[t][p];
      if (total > max) {
        // Split the budget in proportion to each partition's backlog (Spark's rule: floor, but at
        // least one offset for a partition with a backlog).
        for (const [t, ps] of Object.entries(to)) {
          for (const [p, hi] of Object.entries(ps)) {
            const size = hi - from[t][p];
            const share = max * (size / total);
            const n = share < 1 ? Math.ceil(share) : Math.floor(share);
            ps[p] = Math.min(hi, from[t][p] + n);
          }
        }
      }
    }
    // Nothing to read (partitions that vanished or appeared empty alone make no batch).
    const nothing = Object.entries(to).every(([t, ps]) => Object.entries(ps).every(([p, hi]) => hi === from[t][p]));
    return nothing ? null : offsetsJson(to);
  }

  async getBatch(startValue: JsonValue, endValue: JsonValue): Promise<PlanNode> {
    const start = startValue === null ? {} : asOffsets(startValue, "the start offset");
    const end = asOffsets(endValue, "the end offset");
    const assign: Record<string, number[]> = {};
    const from: Record<string, Record<string, number>> = {};
    for (const [t, ps] of Object.entries(end)) {
      assign[t] = Object.keys(ps).map(Number).sort((a, b) => a - b);
      from[t] = {};
      for (const p of Object.keys(ps)) from[t][p] = start[t]?.[p] ?? EARLIEST;
    }
    const opts: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.options)) {
      const lower = k.toLowerCase();
      if (lower.startsWith("kafka.") || lower === "failondataloss" || lower === "includeheaders") opts[k] = v;
    }
    opts["assign"] = JSON.stringify(assign);
    opts["startingOffsets"] = JSON.stringify(offsetsJson(from));
    opts["endingOffsets"] = JSON.stringify(offsetsJson(end));
    return ReadNode.create("kafka", [], Object.freeze(opts), null);
  }

  async commit(endValue: JsonValue): Promise<void> {
    const end = asOffsets(endValue, "the committed offset");
    const admin = new Admin({ clientId: this.o.clientId ?? "quarry", bootstrapBrokers: [...this.o.bootstrapServers], retries: 3 });
    try {
      await this.reader.consumer.findGroupCoordinator();
      await admin.alterConsumerGroupOffsets({
        groupId: this.groupId,
        topics: Object.entries(end).map(([name, ps]) => ({ name, partitionOffsets: Object.entries(ps).map(([p, o]) => ({ partition: Number(p), offset: BigInt(o) })) })),
      });
    } catch (e) {
      throw kafkaError(`committing offsets to the consumer group ${this.groupId}`, this.o.bootstrapServers, e);
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  async metrics(endValue: JsonValue | null): Promise<Readonly<Record<string, string>>> {
    if (endValue === null) return {};
    const end = asOffsets(endValue, "the end offset");
    const parts = new Map<string, number[]>(Object.entries(end).map(([t, ps]) => [t, Object.keys(ps).map(Number)]));
    const latest = await this.reader.listOffsets(parts, LATEST, this.o.isolationLevel);
    const lags: number[] = [];
    for (const [t, ps] of Object.entries(end)) for (const [p, o] of Object.entries(ps)) lags.push(Math.max(0, (latest[t]?.[p] ?? o) - o));
    if (lags.length === 0) return {};
    return {
      avgOffsetsBehindLatest: String(lags.reduce((a, b) => a + b, 0) / lags.length),
      maxOffsetsBehindLatest: String(Math.max(...lags)),
      minOffsetsBehindLatest: String(Math.min(...lags)),
    };
  }

  async stop(): Promise<void> { await this.reader.close(); }
}

/**
 * A Kafka source for a streaming query (`spark.readStream.format("kafka")`).
 * @param ctx the query's identity and session
 * @param options Spark's Kafka source options (`kafka.bootstrap.servers`, `subscribe`, `startingOffsets`, ...)
 * @throws IllegalArgumentError naming a bad option
 * @example
 * const source = await createKafkaSource(ctx, { "kafka.bootstrap.servers": "127.0.0.1:9092", subscribe: "events" });
 * const start = await source.initialOffset();
 */
export async function createKafkaSource(ctx: SourceContext, options: Record<string, string>): Promise<StreamSource> {
  return new KafkaSource(ctx, { ...options }, parseSourceOptions(options, true));
}

export type { PartitionOffsets };
