/**
 * The Kafka row schema (what a source yields) and the conversion of a DataFrame's rows into
 * messages (what a sink writes), with Spark's column rules.
 */
import { AnalysisError, closest } from "../../errors.js";
import { structType, typeToString, type DataType, type StructType } from "../../plan/types.js";
import type { KafkaMessage } from "./kafka-client.js";

const HEADERS_TYPE: DataType = {
  type: "array",
  elementType: structType([{ name: "key", type: "string", nullable: false }, { name: "value", type: "binary", nullable: true }]),
  containsNull: true,
};

/** The schema of the rows a Kafka source yields (Spark's), with `headers` when `includeHeaders`. */
export function kafkaSchema(includeHeaders: boolean): StructType {
  return structType([
    { name: "key", type: "binary", nullable: true },
    { name: "value", type: "binary", nullable: true },
    { name: "topic", type: "string", nullable: true },
    { name: "partition", type: "int", nullable: true },
    { name: "offset", type: "bigint", nullable: true },
    { name: "timestamp", type: "timestamp", nullable: true },
    { name: "timestampType", type: "int", nullable: true },
    ...(includeHeaders ? [{ name: "headers", type: HEADERS_TYPE, nullable: true }] : []),
  ]);
}

/** Which columns of the written frame feed which message field. */
export interface SinkColumns {
  readonly value: string;
  readonly key: string | null;
  readonly topic: string | null;
  readonly partition: string | null;
  readonly headers: string | null;
}

/**
 * Checks a frame's schema against the Kafka sink's rules: a `value` column (string or binary),
 * optional `key` (string or binary), `topic` (string; required when the `topic` option is not
 * given), `partition` (int) and `headers` (array<struct<key: string, value: binary>>).
 * @throws AnalysisError naming the missing or mistyped column
 */
export function sinkColumns(schema: StructType, topicOption: string | null): SinkColumns {
  const find = (name: string) => schema.fields.find((f) => f.name.toLowerCase() === name);
  const names = schema.fields.map((f) => f.name);
  const typed = (name: string, ok: (t: DataType) => boolean, want: string, required: boolean): string | null => {
    const f = find(name);
    if (!f) {
      if (!required) return null;
      const near = closest(name, names, 3);
      throw new AnalysisError(`The Kafka sink needs a ${q(name)} column (${want}); the data has ${names.map(q).join(", ")}.${near.length ? ` Did you mean ${near.map(q).join(", ")}? Rename it with .alias(${JSON.stringify(name)}).` : ""}${name === "value" ? ' Build it with e.g. F.to_json(F.struct("*")).alias("value") or a string column cast.' : ""}`, "KAFKA_MISSING_COLUMN");
    }
    if (!ok(f.type)) throw new AnalysisError(`The Kafka sink's ${q(f.name)} column must be ${want}, but it is ${typeToString(f.type)}. Cast it, e.g. F.col(${JSON.stringify(f.name)}).cast("string").`, "KAFKA_WRONG_COLUMN_TYPE");
    return f.name;
  };
  const strOrBin = (t: DataType) => t === "string" || t === "binary";
  const value = typed("value", strOrBin, "string or binary", true)!;
  const key = typed("key", strOrBin, "string or binary", false);
  const topic = typed("topic", (t) => t === "string", "string", topicOption === null);
  const partition = typed("partition", (t) => t === "int", "int", false);
  const headers = typed("headers", (t) => typeof t === "object" && t.type === "array" && typeof t.elementType === "object" && t.elementType.type === "struct"
    && t.elementType.fields.length === 2 && t.elementType.fields[0].type === "string" && strOrBin(t.elementType.fields[1].type), "array<struct<key: string, value: binary>>", false);
  return { value, key, topic, partition, headers };
}

function q(s: string): string { return "`" + s + "`"; }

function bytes(v: unknown): Buffer | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "string") return Buffer.from(v, "utf8");
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(String(v), "utf8");
}

/**
 * One row as a message. The `topic` option wins over a `topic` column, as in Spark.
 * @throws AnalysisError when a row has no topic
 */
export function rowToMessage(row: Readonly<Record<string, unknown>>, cols: SinkColumns, topicOption: string | null): KafkaMessage {
  const topic = topicOption ?? (cols.topic ? row[cols.topic] : null);
  if (typeof topic !== "string" || topic === "") throw new AnalysisError("A row written to Kafka has a null `topic` and no 'topic' option is set: give every row a topic or set .option(\"topic\", ...).", "KAFKA_NULL_TOPIC");
  const msg: { topic: string; value?: Buffer; key?: Buffer; partition?: number; headers?: Map<Buffer, Buffer> } = { topic, value: bytes(row[cols.value]) };
  if (cols.key) { const k = bytes(row[cols.key]); if (k) msg.key = k; }
  if (cols.partition && typeof row[cols.partition] === "number") msg.partition = row[cols.partition] as number;
  if (cols.headers && Array.isArray(row[cols.headers])) {
    const h = new Map<Buffer, Buffer>();
    for (const e of row[cols.headers] as { key?: unknown; value?: unknown }[]) {
      if (e && typeof e.key === "string") h.set(Buffer.from(e.key, "utf8"), bytes(e.value) ?? Buffer.alloc(0));
    }
    msg.headers = h;
  }
  return msg as KafkaMessage;
}
