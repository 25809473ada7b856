/**
 * The Kafka source's and sink's options, checked as Spark checks them (option names and rules of
 * Spark's Kafka connector), with errors that name the option and what to do.
 */
import { IllegalArgumentError, UnsupportedOperationError } from "../../errors.js";

/** Kafka's special offsets in Spark's offset JSON: -2 = earliest, -1 = latest. */
export const EARLIEST = -2;
export const LATEST = -1;

/** Offsets per topic and partition, Spark's JSON shape `{"topic":{"0":12,"1":40}}`. */
export type PartitionOffsets = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** What to read: one of Spark's three subscription kinds. */
export type Subscription =
  | { readonly kind: "subscribe"; readonly topics: readonly string[] }
  | { readonly kind: "subscribePattern"; readonly pattern: RegExp; readonly source: string }
  | { readonly kind: "assign"; readonly partitions: Readonly<Record<string, readonly number[]>> };

export type OffsetSpec = { readonly kind: "earliest" } | { readonly kind: "latest" } | { readonly kind: "specific"; readonly offsets: PartitionOffsets };

/** The source's options after checking. */
export interface KafkaSourceOptions {
  readonly bootstrapServers: readonly string[];
  readonly subscription: Subscription;
  readonly startingOffsets: OffsetSpec;
  readonly endingOffsets: OffsetSpec;
  readonly failOnDataLoss: boolean;
  readonly maxOffsetsPerTrigger: number | null;
  readonly includeHeaders: boolean;
  /** 0 = read_uncommitted (Kafka's and Spark's default), 1 = read_committed (`kafka.isolation.level`). */
  readonly isolationLevel: 0 | 1;
  readonly clientId: string | null;
  /** `kafka.fetch.max.bytes`, the most one fetch returns. */
  readonly fetchMaxBytes: number;
  /** `kafka.request.timeout.ms`. */
  readonly requestTimeoutMs: number | null;
}

/** The sink's options after checking. */
export interface KafkaSinkOptions {
  readonly bootstrapServers: readonly string[];
  /** The `topic` option, or null when every row names its topic in a `topic` column. */
  readonly topic: string | null;
  readonly clientId: string | null;
  readonly requestTimeoutMs: number | null;
}

/** Kafka consumer/producer settings Spark's connector refuses, and why (its own words, shortened). */
const REFUSED: Readonly<Record<string, string>> = {
  "group.id": "the source manages its own consumer group; Quarry commits a query's offsets to the group quarry-<queryName or queryId>",
  "auto.offset.reset": "use the option startingOffsets (earliest, latest or a JSON of offsets) instead",
  "key.deserializer": "keys are always read as binary: cast or parse the key column with DataFrame operations",
  "value.deserializer": "values are always read as binary: cast or parse the value column (e.g. value.cast(\"string\"), from_json)",
  "key.serializer": "keys are always written as binary or string: convert the key column with DataFrame operations",
  "value.serializer": "values are always written as binary or string: convert the value column (e.g. to_json) first",
  "enable.auto.commit": "the source commits offsets itself, after each batch",
  "interceptor.classes": "interceptors are not supported",
};

const SOURCE_OPTIONS = new Set([
  "subscribe", "subscribepattern", "assign", "startingoffsets", "endingoffsets", "failondataloss", "maxoffsetspertrigger",
  "minoffsetspertrigger", "maxtriggerdelay", "includeheaders", "kafkaconsumer.polltimeoutms", "fetchoffset.numretries",
  "fetchoffset.retryintervalms", "groupidprefix", "startingtimestamp", "endingtimestamp", "startingoffsetsbytimestamp",
  "endingoffsetsbytimestamp", "maxrecordsperpartition", "minpartitions", "path",
]);

function lowerKeys(options: Readonly<Record<string, string>>): Map<string, { key: string; value: string }> {
  const m = new Map<string, { key: string; value: string }>();
  for (const [k, v] of Object.entries(options)) m.set(k.toLowerCase(), { key: k, value: v });
  return m;
}

function bool(name: string, v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  const s = v.trim().toLowerCase();
  if (s === "true") return true;
  if (s === "false") return false;
  throw new IllegalArgumentError(`Kafka option ${name} must be "true" or "false", got ${JSON.stringify(v)}.`, "INVALID_KAFKA_OPTION");
}

function positiveInt(name: string, v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new IllegalArgumentError(`Kafka option ${name} must be a positive integer, got ${JSON.stringify(v)}.`, "INVALID_KAFKA_OPTION");
  return n;
}

function bootstrap(o: Map<string, { key: string; value: string }>, what: string): string[] {
  const v = o.get("kafka.bootstrap.servers")?.value;
  if (!v || !v.trim()) {
    throw new IllegalArgumentError(`Option 'kafka.bootstrap.servers' must be specified for the Kafka ${what}, e.g. .option("kafka.bootstrap.servers", "127.0.0.1:9092").`, "INVALID_KAFKA_OPTION");
  }
  return v.split(",").map((s) => s.trim()).filter(Boolean);
}

function refuse(o: Map<string, { key: string; value: string }>): void {
  for (const [lower, { key }] of o) {
    if (!lower.startsWith("kafka.")) continue;
    const reason = REFUSED[lower.slice(6)];
    if (reason) throw new IllegalArgumentError(`Kafka option '${key}' is not supported: ${reason}.`, "INVALID_KAFKA_OPTION");
  }
}

/** Parses Spark's offsets JSON (`{"topic":{"0":23,"1":-1}}`) for option `name`. */
export function parseOffsetsJson(name: string, text: string): PartitionOffsets {
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch (e) {
    throw new IllegalArgumentError(`Kafka option ${name} must be "earliest", "latest" or a JSON object like {"topic":{"0":23,"1":-2}}; ${JSON.stringify(text)} is not valid JSON (${(e as Error).message}).`, "INVALID_KAFKA_OPTION");
  }
  const fail = (why: string) => new IllegalArgumentError(`Kafka option ${name}: ${why}. Expected a JSON object like {"topic":{"0":23,"1":-2}} (-2 = earliest, -1 = latest).`, "INVALID_KAFKA_OPTION");
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw fail("the JSON is not an object of topics");
  const out: Record<string, Record<string, number>> = {};
  for (const [topic, parts] of Object.entries(parsed as Record<string, unknown>)) {
    if (!parts || typeof parts !== "object" || Array.isArray(parts)) throw fail(`topic ${JSON.stringify(topic)} must map partition numbers to offsets`);
    out[topic] = {};
    for (const [p, off] of Object.entries(parts as Record<string, unknown>)) {
      if (!/^\d+$/.test(p)) throw fail(`partition ${JSON.stringify(p)} of topic ${JSON.stringify(topic)} is not a partition number`);
      if (typeof off !== "number" || !Number.isSafeInteger(off) || off < EARLIEST) throw fail(`the offset of ${topic}-${p} must be an integer >= -2, got ${JSON.stringify(off)}`);
      out[topic][p] = off;
    }
  }
  return out;
}

function offsetSpec(name: string, v: string | undefined, dflt: OffsetSpec, allowEarliest = true, allowLatest = true): OffsetSpec {
  if (v === undefined) return dflt;
  const s = v.trim();
  if (s.toLowerCase() === "earliest") {
    if (!allowEarliest) throw new IllegalArgumentError(`Kafka option ${name} cannot be "earliest": use "latest" or a JSON of offsets.`, "INVALID_KAFKA_OPTION");
    return { kind: "earliest" };
  }
  if (s.toLowerCase() === "latest") {
    if (!allowLatest) throw new IllegalArgumentError(`Kafka option ${name} cannot be "latest" for a batch query: the rows would be empty. Use "earliest" or a JSON of offsets.`, "INVALID_KAFKA_OPTION");
    return { kind: "latest" };
  }
  return { kind: "specific", offsets: parseOffsetsJson(name, s) };
}

function subscription(o: Map<string, { key: string; value: string }>): Subscription {
  const given = ["subscribe", "subscribepattern", "assign"].filter((k) => o.has(k));
  if (given.length !== 1) {
    const names = given.map((k) => `'${o.get(k)!.key}'`).join(", ");
    throw new IllegalArgumentError(
      given.length === 0
        ? "One of the Kafka options 'subscribe' (comma-separated topics), 'subscribePattern' (a regex of topics) or 'assign' (a JSON of topic partitions) must be specified."
        : `Only one of the Kafka options 'subscribe', 'subscribePattern' and 'assign' may be specified; got ${names}.`,
      "INVALID_KAFKA_OPTION",
    );
  }
  const v = o.get(given[0])!.value;
  if (given[0] === "subscribe") {
    const topics = v.split(",").map((t) => t.trim()).filter(Boolean);
    if (topics.length === 0) throw new IllegalArgumentError(`Kafka option 'subscribe' must name at least one topic, got ${JSON.stringify(v)}.`, "INVALID_KAFKA_OPTION");
    return { kind: "subscribe", topics };
  }
  if (given[0] === "subscribepattern") {
    if (!v.trim()) throw new IllegalArgumentError("Kafka option 'subscribePattern' must be a non-empty regular expression.", "INVALID_KAFKA_OPTION");
    let pattern: RegExp;
    try { pattern = new RegExp(`^(?:${v})$`); } catch (e) {
      throw new IllegalArgumentError(`Kafka option 'subscribePattern' is not a valid regular expression: ${(e as Error).message}.`, "INVALID_KAFKA_OPTION");
    }
    return { kind: "subscribePattern", pattern, source: v };
  }
  let parsed: unknown;
  try { parsed = JSON.parse(v); } catch { parsed = null; }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || Object.values(parsed).some((ps) => !Array.isArray(ps) || ps.some((p) => !Number.isSafeInteger(p) || p < 0))) {
    throw new IllegalArgumentError(`Kafka option 'assign' must be a JSON object of topics to partition lists, like {"topicA":[0,1],"topicB":[2,4]}; got ${JSON.stringify(v)}.`, "INVALID_KAFKA_OPTION");
  }
  return { kind: "assign", partitions: parsed as Record<string, number[]> };
}

function isolation(o: Map<string, { key: string; value: string }>): 0 | 1 {
  const v = o.get("kafka.isolation.level")?.value;
  if (v === undefined || v === "read_uncommitted") return 0;
  if (v === "read_committed") return 1;
  throw new IllegalArgumentError(`Kafka option 'kafka.isolation.level' must be "read_uncommitted" or "read_committed", got ${JSON.stringify(v)}.`, "INVALID_KAFKA_OPTION");
}

/**
 * Checks the options of a Kafka source, as Spark does.
 * @param streaming a stream's startingOffsets default to latest and endingOffsets is refused; a batch read defaults to earliest..latest
 * @throws IllegalArgumentError naming the option at fault
 */
export function parseSourceOptions(options: Readonly<Record<string, string>>, streaming: boolean): KafkaSourceOptions {
  const o = lowerKeys(options);
  refuse(o);
  for (const [lower, { key }] of o) {
    if (!lower.startsWith("kafka.") && !SOURCE_OPTIONS.has(lower)) {
      throw new IllegalArgumentError(`Unknown Kafka source option '${key}'. Kafka client settings take the prefix "kafka." (e.g. kafka.bootstrap.servers); source options are subscribe, subscribePattern, assign, startingOffsets, endingOffsets, failOnDataLoss, maxOffsetsPerTrigger, includeHeaders.`, "INVALID_KAFKA_OPTION");
    }
  }
  // minPartitions only sets Spark's task count: the embedded engine reads each range once, and
  // Spark receives the option as given.
  for (const k of ["startingtimestamp", "endingtimestamp", "startingoffsetsbytimestamp", "endingoffsetsbytimestamp", "minoffsetspertrigger", "maxtriggerdelay", "maxrecordsperpartition"]) {
    if (o.has(k)) throw new UnsupportedOperationError(`Kafka option '${o.get(k)!.key}' is not supported by Quarry's Kafka source yet; read by offsets (startingOffsets / endingOffsets) instead.`, "UNSUPPORTED_KAFKA_OPTION");
  }
  if (streaming && o.has("endingoffsets")) throw new IllegalArgumentError("Kafka option 'endingOffsets' is for batch reads (spark.read); a stream reads on as data arrives.", "INVALID_KAFKA_OPTION");
  const startingOffsets = offsetSpec("startingOffsets", o.get("startingoffsets")?.value, streaming ? { kind: "latest" } : { kind: "earliest" }, true, streaming);
  const endingOffsets = offsetSpec("endingOffsets", o.get("endingoffsets")?.value, { kind: "latest" }, false, true);
  if (!streaming && startingOffsets.kind === "specific" && Object.values(startingOffsets.offsets).some((ps) => Object.values(ps).includes(LATEST))) {
    throw new IllegalArgumentError("Kafka option startingOffsets for a batch read cannot use -1 (latest) for a partition.", "INVALID_KAFKA_OPTION");
  }
  if (endingOffsets.kind === "specific" && Object.values(endingOffsets.offsets).some((ps) => Object.values(ps).includes(EARLIEST))) {
    throw new IllegalArgumentError("Kafka option endingOffsets cannot use -2 (earliest) for a partition.", "INVALID_KAFKA_OPTION");
  }
  return {
    bootstrapServers: bootstrap(o, "source"),
    subscription: subscription(o),
    startingOffsets,
    endingOffsets,
    failOnDataLoss: bool("failOnDataLoss", o.get("failondataloss")?.value, true),
    maxOffsetsPerTrigger: positiveInt("maxOffsetsPerTrigger", o.get("maxoffsetspertrigger")?.value),
    includeHeaders: bool("includeHeaders", o.get("includeheaders")?.value, false),
    isolationLevel: isolation(o),
    clientId: o.get("kafka.client.id")?.value ?? null,
    fetchMaxBytes: positiveInt("kafka.fetch.max.bytes", o.get("kafka.fetch.max.bytes")?.value) ?? 50 * 1024 * 1024,
    requestTimeoutMs: positiveInt("kafka.request.timeout.ms", o.get("kafka.request.timeout.ms")?.value),
  };
}

/**
 * Checks the options of a Kafka sink (batch `df.write` or a stream's).
 * @throws IllegalArgumentError naming the option at fault
 */
export function parseSinkOptions(options: Readonly<Record<string, string>>): KafkaSinkOptions {
  const o = lowerKeys(options);
  refuse(o);
  for (const [lower, { key }] of o) {
    if (!lower.startsWith("kafka.") && !["topic", "includeheaders", "path", "checkpointlocation"].includes(lower)) {
      throw new IllegalArgumentError(`Unknown Kafka sink option '${key}'. Kafka client settings take the prefix "kafka."; the sink's own option is topic.`, "INVALID_KAFKA_OPTION");
    }
  }
  const topic = o.get("topic")?.value;
  if (topic !== undefined && !topic.trim()) throw new IllegalArgumentError("Kafka sink option 'topic' must not be empty.", "INVALID_KAFKA_OPTION");
  return {
    bootstrapServers: bootstrap(o, "sink"),
    topic: topic ?? null,
    clientId: o.get("kafka.client.id")?.value ?? null,
    requestTimeoutMs: positiveInt("kafka.request.timeout.ms", o.get("kafka.request.timeout.ms")?.value),
  };
}
