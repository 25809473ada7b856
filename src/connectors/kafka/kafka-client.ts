/**
 * Kafka I/O for the source and the sink, on `@platformatic/kafka`: which partitions a
 * subscription covers, their earliest/latest offsets, an exact offset range fetched per partition
 * (read_committed filtering of aborted transactions done here, as Kafka's Java consumer does it),
 * and producing rows. Fetches go through the client's connections and request encoding, but the
 * response's record batches are decoded here, into columns (kafka-records.ts).
 */
import { randomUUID } from "node:crypto";
import { Admin, Consumer, Producer, ResponseError, fetchV13, fetchV14, fetchV15, fetchV16, fetchV17, type MessageToProduce, type Reader } from "@platformatic/kafka";
import { AnalysisError, ExecutionError, closest } from "../../errors.js";
import { EARLIEST, LATEST, type KafkaSourceOptions, type OffsetSpec, type PartitionOffsets, type Subscription } from "./kafka-options.js";
import { CONTROL, TRANSACTIONAL, decodeRecords, readBatchHeaders, type BatchHeader, type RecordColumns } from "./kafka-records.js";

/** One partition's offset range: from `start` (inclusive) to `end` (exclusive). */
export interface OffsetRange {
  readonly topic: string;
  readonly partition: number;
  readonly start: number;
  readonly end: number;
}

/** The Fetch request versions this reader speaks (topic ids; the same response layout). */
const FETCH_VERSIONS = new Map<number, typeof fetchV17.createRequest>([[17, fetchV17.createRequest], [16, fetchV16.createRequest], [15, fetchV15.createRequest], [14, fetchV14.createRequest], [13, fetchV13.createRequest]]);

/** One partition of a Fetch response, its record batches left as bytes. */
interface RawPartition {
  readonly partitionIndex: number;
  readonly errorCode: number;
  readonly abortedTransactions: readonly { readonly producerId: bigint; readonly firstOffset: bigint }[];
  readonly records: Buffer | null;
}

type RawFetchResponse = { topicId: string; partitions: RawPartition[] }[];

/** The topics of a Fetch request. */
type FetchTopics = Parameters<typeof fetchV17.createRequest>[6];

const FETCH_RETRIES = 3;

/** A Fetch response (v13 and newer) with each partition's record bytes left undecoded. */
function parseFetchResponse(_correlationId: number, apiKey: number, apiVersion: number, r: Reader): RawFetchResponse {
  const errors: [string, [number, null]][] = [];
  r.readInt32();
  const errorCode = r.readInt16();
  if (errorCode !== 0) errors.push(["", [errorCode, null]]);
  r.readInt32();
  const responses = r.readArray((r, i) => ({
    topicId: r.readUUID(),
    partitions: r.readArray((r, j): RawPartition => {
      const partitionIndex = r.readInt32();
      const errorCode = r.readInt16();
      r.readInt64(); r.readInt64(); r.readInt64();
      const abortedTransactions = r.readArray((r) => ({ producerId: r.readInt64(), firstOffset: r.readInt64() }));
      r.readInt32();
      if (errorCode !== 0) errors.push([`/responses/${i}/partitions/${j}`, [errorCode, null]]);
      // COMPACT_RECORDS: the length is stored plus one (0 = null).
      const size = r.readUnsignedVarInt() - 1;
      const records = size > 0 ? r.buffer.slice(r.position, r.position + size) : null;
      if (size > 0) r.skip(size);
      return { partitionIndex, errorCode, abortedTransactions, records };
    }),
  }));
  if (errors.length) throw new ResponseError(apiKey, apiVersion, Object.fromEntries(errors), { errorCode, responses });
  return responses;
}

/**
 * The data batches of one partition's fetch response that a read_committed reader may see: the
 * batches of aborted transactions and every control batch (transaction markers) are dropped.
 * Kafka's rule: walking the batches in offset order, a producer enters the aborted set when the
 * offset of one of its aborted transactions (from the response's `abortedTransactions`) is
 * reached, its transactional batches are skipped while it is in the set, and its ABORT marker
 * takes it out. A producer (one transactional id) can abort many transactions in one response.
 * @param batches the partition's record batches, in offset order
 * @param aborted the response's aborted transactions: producer id and first offset of each
 */
function readCommittedBatches(batches: readonly BatchHeader[], aborted: readonly { readonly producerId: bigint; readonly firstOffset: bigint }[]): BatchHeader[] {
  const pending = aborted.map((a) => ({ producerId: a.producerId, firstOffset: Number(a.firstOffset) })).sort((a, b) => a.firstOffset - b.firstOffset);
  const abortedNow = new Set<bigint>();
  const out: BatchHeader[] = [];
  let next = 0;
  for (const b of batches) {
    const last = b.firstOffset + b.lastOffsetDelta;
    while (next < pending.length && pending[next].firstOffset <= last) abortedNow.add(pending[next++].producerId);
    if (b.attributes & CONTROL) {
      if (b.controlType === 0) abortedNow.delete(b.producerId);
      continue;
    }
    if (b.attributes & TRANSACTIONAL && abortedNow.has(b.producerId)) continue;
    out.push(b);
  }
  return out;
}

function kafkaMessage(e: unknown): string {
  const err = e as { message?: string; errors?: { message?: string }[] };
  const inner = err.errors?.map((x) => x.message).filter(Boolean).join("; ");
  return `${err.message ?? String(e)}${inner ? ` (${inner})` : ""}`;
}

/** Wraps a client failure into an ExecutionError that says what was being done and where. */
export function kafkaError(what: string, servers: readonly string[], e: unknown): ExecutionError {
  if (e instanceof AnalysisError || e instanceof ExecutionError) return e as ExecutionError;
  return new ExecutionError(`Kafka ${what} failed against ${servers.join(",")}: ${kafkaMessage(e)}. Check that the broker runs (npm run kafka:start starts a local one) and the option kafka.bootstrap.servers.`, "KAFKA_ERROR", { cause: e });
}

/** A reading client: metadata, offsets and fetches (a consumer that never joins its group). */
export class KafkaReader {
  readonly consumer: Consumer;
  private fetchApiVersion: number | null = null;
  constructor(readonly servers: readonly string[], clientId: string | null, groupId = `quarry-reader-${randomUUID()}`, timeoutMs: number | null = null) {
    this.consumer = new Consumer({
      clientId: clientId ?? "quarry",
      groupId,
      bootstrapBrokers: [...servers],
      retries: 3,
      ...(timeoutMs ? { timeout: timeoutMs } : {}),
    });
  }

  async close(): Promise<void> { await new Promise<void>((resolve) => this.consumer.close(true, () => resolve())); }

  /** The partitions of the topics that exist, with their partition counts. */
  async topicPartitions(topics: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (topics.length === 0) return out;
    try {
      const md = await this.consumer.metadata({ topics: [...topics], autocreateTopics: false, forceUpdate: true });
      for (const [name, t] of md.topics) out.set(name, t.partitionsCount);
    } catch (e) {
      // Metadata for a missing topic fails as a whole: ask again topic by topic.
      if (topics.length > 1) {
        for (const t of topics) for (const [k, v] of await this.topicPartitions([t])) out.set(k, v);
        return out;
      }
      if (!/UNKNOWN_TOPIC|does not host this topic|unknown topic/i.test(kafkaMessage(e))) throw e;
    }
    return out;
  }

  async allTopics(): Promise<string[]> {
    const admin = new Admin({ clientId: "quarry", bootstrapBrokers: [...this.servers], retries: 3 });
    try { return await admin.listTopics(); } finally { await admin.close().catch(() => undefined); }
  }

  /**
   * The partitions a subscription covers now, as `topic -> partition numbers`.
   * @param requireTopics batch reads fail on a topic that does not exist; streams wait for it
   */
  async partitions(sub: Subscription, requireTopics: boolean): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    if (sub.kind === "subscribePattern") {
      const topics = (await this.allTopics()).filter((t) => !t.startsWith("__") && sub.pattern.test(t)).sort();
      for (const [t, n] of await this.topicPartitions(topics)) out.set(t, range(n));
      return out;
    }
    const wanted = sub.kind === "subscribe" ? sub.topics : Object.keys(sub.partitions);
    const found = await this.topicPartitions(wanted);
    for (const t of wanted) {
      const n = found.get(t);
      if (n === undefined) {
        if (!requireTopics) continue;
        const all = await this.allTopics().catch(() => [] as string[]);
        const near = closest(t, all.filter((x) => !x.startsWith("__")), 3);
        throw new AnalysisError(`Kafka topic ${JSON.stringify(t)} does not exist on ${this.servers.join(",")}.${near.length ? ` Did you mean ${near.map((x) => JSON.stringify(x)).join(", ")}?` : ""} Create it first (or produce to it).`, "KAFKA_TOPIC_NOT_FOUND");
      }
      if (sub.kind === "assign") {
        const ps = sub.partitions[t];
        const bad = ps.filter((p) => p >= n);
        if (bad.length && requireTopics) throw new AnalysisError(`Kafka option 'assign' names partition ${bad[0]} of topic ${JSON.stringify(t)}, which has only ${n} partitions (0..${n - 1}).`, "KAFKA_PARTITION_NOT_FOUND");
        out.set(t, ps.filter((p) => p < n));
      } else {
        out.set(t, range(n));
      }
    }
    return out;
  }

  /** Earliest (-2) or latest (-1) offsets of partitions, as `topic -> partition -> offset`. */
  async listOffsets(parts: ReadonlyMap<string, readonly number[]>, which: typeof EARLIEST | typeof LATEST, isolationLevel: 0 | 1): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    const topics = [...parts.keys()].filter((t) => parts.get(t)!.length > 0);
    if (topics.length === 0) return out;
    const partitions: Record<string, number[]> = {};
    for (const t of topics) partitions[t] = [...parts.get(t)!];
    const res = await this.consumer.listOffsets({ topics, partitions, timestamp: BigInt(which), isolationLevel });
    for (const t of topics) {
      out[t] = {};
      const offs = res.get(t) ?? [];
      for (const p of parts.get(t)!) {
        const v = offs[p];
        if (v === undefined) continue;
        out[t][String(p)] = Number(v);
      }
    }
    return out;
  }

  /** Resolves an offset spec against the partitions now: specific offsets keep -2/-1 resolved. */
  async resolve(spec: OffsetSpec, parts: ReadonlyMap<string, readonly number[]>, isolationLevel: 0 | 1, name: string): Promise<Record<string, Record<string, number>>> {
    if (spec.kind === "earliest") return this.listOffsets(parts, EARLIEST, isolationLevel);
    if (spec.kind === "latest") return this.listOffsets(parts, LATEST, isolationLevel);
    const earliest = await this.listOffsets(parts, EARLIEST, isolationLevel);
    const latest = await this.listOffsets(parts, LATEST, isolationLevel);
    const out: Record<string, Record<string, number>> = {};
    for (const [t, ps] of parts) {
      out[t] = {};
      const given = spec.offsets[t];
      if (!given) throw new AnalysisError(`Kafka option ${name} has no offsets for topic ${JSON.stringify(t)}; a JSON of specific offsets must cover every subscribed topic partition (${[...parts.keys()].join(", ")}).`, "KAFKA_OFFSETS_INCOMPLETE");
      for (const p of ps) {
        const v = given[String(p)];
        if (v === undefined) throw new AnalysisError(`Kafka option ${name} has no offset for partition ${p} of topic ${JSON.stringify(t)}; give every partition an offset (-2 = earliest, -1 = latest).`, "KAFKA_OFFSETS_INCOMPLETE");
        out[t][String(p)] = v === EARLIEST ? earliest[t][String(p)] : v === LATEST ? latest[t][String(p)] : v;
      }
    }
    return out;
  }

  /**
   * Fetches exactly the offsets `start <= offset < end` of every range and hands them to
   * `onColumns` as columns, in offset order per partition (one call per partition per fetch
   * response). Deleted offsets (retention) or a vanished partition fail with a clear error when
   * `failOnDataLoss`, and are skipped otherwise. The next fetch is on the wire while a response's
   * records are decoded.
   */
  async fetchRanges(ranges: readonly OffsetRange[], opts: Pick<KafkaSourceOptions, "failOnDataLoss" | "isolationLevel" | "fetchMaxBytes" | "includeHeaders">,
    onColumns: (range: OffsetRange, columns: RecordColumns) => void): Promise<void> {
    const todo = ranges.filter((r) => r.end > r.start);
    if (todo.length === 0) return;
    const parts = new Map<string, number[]>();
    for (const r of todo) parts.set(r.topic, [...(parts.get(r.topic) ?? []), r.partition]);
    const md = await this.consumer.metadata({ topics: [...parts.keys()], autocreateTopics: false, forceUpdate: true }).catch(() => null);
    const earliest = await this.listOffsets(parts, EARLIEST, opts.isolationLevel).catch(() => ({} as Record<string, Record<string, number>>));
    const latest = await this.listOffsets(parts, LATEST, opts.isolationLevel).catch(() => ({} as Record<string, Record<string, number>>));
    type Live = { range: OffsetRange; first: number; next: number; end: number; topicId: string; leader: number; epoch: number; where: string };
    const live: Live[] = [];
    for (const r of todo) {
      const t = md?.topics.get(r.topic);
      const lo = earliest[r.topic]?.[String(r.partition)];
      const hi = latest[r.topic]?.[String(r.partition)];
      if (!t || r.partition >= t.partitionsCount || lo === undefined || hi === undefined) {
        if (opts.failOnDataLoss) throw new ExecutionError(`Kafka partition ${r.topic}-${r.partition} is gone (topic deleted or shrunk) while offsets ${r.start}..${r.end} were still to be read. Some data may have been lost. Set the option failOnDataLoss to "false" to skip it instead.`, "KAFKA_DATA_LOSS");
        continue;
      }
      let start = r.start;
      if (start < lo) {
        if (opts.failOnDataLoss) throw new ExecutionError(`Kafka offsets ${r.start}..${Math.min(lo, r.end) - 1} of ${r.topic}-${r.partition} are no longer available (the earliest offset is ${lo}: deleted by retention or compaction). Some data may have been lost. Set the option failOnDataLoss to "false" to skip them instead.`, "KAFKA_DATA_LOSS");
        start = lo;
      }
      let end = r.end;
      if (end > hi) {
        if (opts.failOnDataLoss) throw new ExecutionError(`Kafka offset ${r.end} of ${r.topic}-${r.partition} is past its latest offset ${hi} (was the topic recreated?). Some data may have been lost. Set the option failOnDataLoss to "false" to skip it instead.`, "KAFKA_DATA_LOSS");
        end = hi;
      }
      if (end <= start) continue;
      const p = t.partitions[r.partition];
      live.push({ range: r, first: start, next: start, end, topicId: t.id, leader: p.leader, epoch: p.leaderEpoch, where: `${r.topic}-${r.partition}` });
    }
    // One round: a Fetch to each leader of the partitions still to read, from their next offsets.
    const round = (): Promise<{ ls: Live[]; response: RawFetchResponse }[]> => {
      const byLeader = new Map<number, Live[]>();
      for (const l of live) byLeader.set(l.leader, [...(byLeader.get(l.leader) ?? []), l]);
      return Promise.all([...byLeader].map(async ([node, ls]) => {
        const byTopic = new Map<string, Live[]>();
        for (const l of ls) byTopic.set(l.topicId, [...(byTopic.get(l.topicId) ?? []), l]);
        const perPartition = Math.max(1 << 20, Math.floor(opts.fetchMaxBytes / ls.length));
        const topics = [...byTopic].map(([topicId, tls]) => ({
          topicId,
          partitions: tls.map((l) => ({ partition: l.range.partition, fetchOffset: BigInt(l.next), partitionMaxBytes: perPartition, currentLeaderEpoch: l.epoch, lastFetchedEpoch: -1 })),
        }));
        return { ls, response: await this.fetchRaw(node, opts.fetchMaxBytes, opts.isolationLevel, topics) };
      }));
    };
    let stalls = 0;
    let pending = live.length > 0 ? round() : null;
    while (pending) {
      const responses = await pending;
      pending = null;
      let progressed = false;
      const work: { l: Live; bytes: Buffer; batches: BatchHeader[]; from: number }[] = [];
      for (const { ls, response } of responses) {
        for (const tr of response) {
          for (const pr of tr.partitions) {
            const l = ls.find((x) => x.topicId === tr.topicId && x.range.partition === pr.partitionIndex);
            if (!l || !pr.records) continue;
            const batches = readBatchHeaders(pr.records, l.where);
            const from = l.next;
            for (const b of batches) {
              const after = b.firstOffset + b.lastOffsetDelta + 1;
              if (after > l.next) { l.next = after; progressed = true; }
            }
            const visible = opts.isolationLevel === 1 ? readCommittedBatches(batches, pr.abortedTransactions) : batches.filter((b) => !(b.attributes & CONTROL));
            if (visible.length) work.push({ l, bytes: pr.records, batches: visible, from });
          }
        }
      }
      for (let i = live.length - 1; i >= 0; i--) if (live[i].next >= live[i].end) live.splice(i, 1);
      if (progressed && live.length > 0) {
        pending = round();
        // A failure of the prefetch surfaces at its await; this keeps it from being unhandled meanwhile.
        pending.catch(() => undefined);
      }
      for (const w of work) {
        const columns = decodeRecords(w.bytes, w.batches, Math.max(w.l.first, w.from), w.l.end, opts.includeHeaders, w.l.where);
        if (columns.length > 0) onColumns(w.l.range, columns);
      }
      if (!progressed && live.length > 0) {
        // Offsets below the end that no fetch returns: an open transaction (read_committed waits
        // for it) or trailing markers. Bounded: a range stuck for ~30 s is an error.
        if (++stalls > 300) {
          const l = live[0];
          throw new ExecutionError(`Kafka fetch of ${l.range.topic}-${l.range.partition} made no progress at offset ${l.next} (wanted up to ${l.end}) for 30 s: an open transaction holds it back (read_committed), or the broker is unavailable.`, "KAFKA_FETCH_STALLED");
        }
        await new Promise((r) => setTimeout(r, 100));
        pending = round();
      } else {
        stalls = 0;
      }
    }
  }

  /** The highest Fetch version both the broker and this reader speak. */
  private async fetchVersion(): Promise<number> {
    if (this.fetchApiVersion !== null) return this.fetchApiVersion;
    const api = (await this.consumer.listApis()).find((a) => a.apiKey === 1);
    for (const v of FETCH_VERSIONS.keys()) {
      if (api && v >= api.minVersion && v <= api.maxVersion) return (this.fetchApiVersion = v);
    }
    throw new ExecutionError(`The Kafka broker at ${this.servers.join(",")} speaks Fetch versions ${api ? `${api.minVersion}..${api.maxVersion}` : "(none)"}; this reader needs version 13 or newer (Kafka 3.1 and newer brokers). Upgrade the broker.`, "KAFKA_UNSUPPORTED_BROKER");
  }

  /**
   * One Fetch request to broker `node` over the client's connection, its records left as bytes.
   * Retried like the client's own requests (3 times, 1 s apart) when the failure is retriable,
   * with fresh metadata and, after a fenced leader epoch, no epoch.
   */
  private async fetchRaw(node: number, maxBytes: number, isolationLevel: 0 | 1, topics: FetchTopics): Promise<RawFetchResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        const version = await this.fetchVersion();
        const createRequest = FETCH_VERSIONS.get(version)!;
        const md = await this.consumer.metadata({ topics: [], forceUpdate: attempt > 0 });
        const broker = md.brokers.get(node);
        if (!broker) throw new ExecutionError(`Kafka broker ${node}, the leader of a partition being read, is not in the cluster's metadata (${[...md.brokers.keys()].join(", ")}).`, "KAFKA_ERROR");
        const connection = await this.consumer.connections.get(broker);
        return await new Promise<RawFetchResponse>((resolve, reject) => {
          connection.send(1, version, () => createRequest(100, 1, maxBytes, isolationLevel, 0, 0, topics, [], ""), parseFetchResponse, true, true,
            (e, r) => (e ? reject(e) : resolve(r!)));
        });
      } catch (e) {
        const err = e as { findBy?: (k: string, v: unknown) => unknown };
        if (attempt >= FETCH_RETRIES || e instanceof ExecutionError || err.findBy?.("canRetry", false)) throw e;
        if (err.findBy?.("apiId", "FENCED_LEADER_EPOCH")) for (const t of topics) for (const p of t.partitions) p.currentLeaderEpoch = -1;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}

/** Offsets `topic -> partition -> offset` as Spark's JSON shape with sorted keys. */
export function offsetsJson(o: PartitionOffsets): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const t of Object.keys(o).sort()) {
    out[t] = {};
    for (const p of Object.keys(o[t]).sort((a, b) => Number(a) - Number(b))) out[t][p] = o[t][p];
  }
  return out;
}

/** A producer of messages (idempotent; transactional when `transactionalId` is set). */
export function createProducer(servers: readonly string[], clientId: string | null, transactionalId?: string, timeoutMs?: number | null): Producer {
  return new Producer({
    clientId: clientId ?? "quarry",
    bootstrapBrokers: [...servers],
    idempotent: true,
    // Like the Java producer: a missing topic is created by the broker (auto.create.topics.enable).
    autocreateTopics: true,
    // The client's InitProducerId sends producer id 0 / epoch 0 unless told otherwise, which the
    // broker answers with PRODUCER_FENCED once the transactional id has a history; -1/-1 asks for
    // a fresh epoch (fencing any older producer with the same id).
    ...(transactionalId ? { transactionalId, producerId: -1n, producerEpoch: -1 } : {}),
    ...(timeoutMs ? { timeout: timeoutMs } : {}),
    retries: 3,
  });
}

export type KafkaMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;
