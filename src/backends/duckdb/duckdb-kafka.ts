/**
 * The embedded engine's Kafka source: the records of a `format("kafka")` read are fetched as
 * columns and appended into a table of the in-memory database, which the query then scans. The
 * table lives for one action.
 */
import duckdb from "@duckdb/node-bindings";
import { BIGINT, BLOB, DuckDBDataChunk, INTEGER, LIST, STRUCT, VARCHAR, blobValue, listValue, structValue, type DuckDBConnection } from "@duckdb/node-api";
import type { ReadNode } from "../../plan/nodes/read-node.js";
import type { StructType } from "../../plan/types.js";
import { parseSourceOptions } from "../../connectors/kafka/kafka-options.js";
import type { RecordColumns } from "../../connectors/kafka/kafka-records.js";
import { kafkaSchema } from "../../connectors/kafka/kafka-rows.js";
import { ident, str } from "./duckdb-sql.js";
import { toDuckType } from "./duckdb-types.js";

/** A typed, empty source with the Kafka row schema (for schema resolution without fetching). */
export function kafkaEmptySource(node: ReadNode): { sql: string; schema: StructType } {
  const o = parseSourceOptions(node.options, false);
  const schema = kafkaSchema(o.includeHeaders);
  return { sql: `SELECT ${schema.fields.map((f) => `CAST(NULL AS ${toDuckType(f.type)}) AS ${ident(f.name)}`).join(", ")} WHERE FALSE`, schema };
}

/** Rows per appended chunk (DuckDB's vector size). */
const CHUNK = 2048;
/** The longest blob a DuckDB string_t holds inline (its other bytes: a uint32 length). */
const INLINE = 12;

/** Writes numbers (integers below 2^53 in magnitude) as little-endian int64s into `out`. */
function int64s(src: Float64Array, from: number, n: number, out: Int32Array): void {
  for (let i = 0; i < n; i++) {
    const v = src[from + i];
    const hi = Math.floor(v / 4294967296);
    out[2 * i] = v - hi * 4294967296;
    out[2 * i + 1] = hi;
  }
}

/**
 * Writes rows `from .. from + n` of a blob column into a vector: blobs of up to 12 bytes inline
 * (one copy of the whole string_t array), longer ones one call each, nulls in the validity mask.
 */
function writeBlobs(vector: duckdb.Vector, data: Buffer, starts: Int32Array, lengths: Int32Array, from: number, n: number, strings: Uint8Array, validity: Uint32Array): void {
  strings.fill(0, 0, n * 16);
  const view = new DataView(strings.buffer, strings.byteOffset, n * 16);
  let nulls = false;
  for (let i = 0; i < n; i++) {
    const len = lengths[from + i];
    if (len >= 0 && len <= INLINE) {
      view.setUint32(i * 16, len, true);
      const s = starts[from + i];
      for (let k = 0; k < len; k++) strings[i * 16 + 4 + k] = data[s + k];
    } else if (len < 0) {
      nulls = true;
    }
  }
  duckdb.copy_data_to_vector(vector, 0, strings.buffer as ArrayBuffer, strings.byteOffset, n * 16);
  for (let i = 0; i < n; i++) {
    const len = lengths[from + i];
    if (len > INLINE) {
      const s = starts[from + i];
      duckdb.vector_assign_string_element_len(vector, i, data.subarray(s, s + len));
    }
  }
  if (nulls) {
    const words = Math.ceil(n / 32);
    validity.fill(0xffffffff, 0, words);
    for (let i = 0; i < n; i++) if (lengths[from + i] < 0) validity[i >>> 5] &= ~(1 << (i & 31));
    duckdb.vector_ensure_validity_writable(vector);
    // The mask is uint64 words; whole words are copied (the unused high bits stay set).
    duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer as ArrayBuffer, validity.byteOffset, Math.ceil(n / 64) * 8);
  }
}

/**
 * Fetches the read's records into `table` and returns the source query over it. Each partition's
 * fetched columns go into DuckDB data chunks vector by vector: the numbers as one memory copy
 * per vector, keys and values of up to 12 bytes inline, longer ones one call each.
 */
export async function loadKafkaTable(conn: DuckDBConnection, node: ReadNode, table: string): Promise<{ sql: string; schema: StructType }> {
  const headers = parseSourceOptions(node.options, false).includeHeaders;
  const schema = kafkaSchema(headers);
  // Topic and partition are constant per partition: a small table of partitions, joined by id,
  // keeps them out of the per-record data. The timestamp is kept as epoch milliseconds.
  await conn.run(`CREATE TABLE ${ident(table)} (pid INTEGER, "key" BLOB, "value" BLOB, "offset" BIGINT, ts_ms BIGINT, "timestampType" INTEGER${headers ? `, "headers" ${toDuckType(schema.fields[7].type)}` : ""})`);
  await conn.run(`CREATE TABLE ${ident(table + "_p")} (pid INTEGER, "topic" VARCHAR, "partition" INTEGER)`);
  const appender = await conn.createAppender(table);
  const types = [INTEGER, BLOB, BLOB, BIGINT, BIGINT, INTEGER, ...(headers ? [LIST(STRUCT({ key: VARCHAR, value: BLOB }))] : [])];
  const pids = new Map<string, number>();
  // Scratch space reused by every chunk.
  const ints = new Int32Array(CHUNK);
  const longs = new Int32Array(CHUNK * 2);
  const strings = new Uint8Array(CHUNK * 16);
  const validity = new Uint32Array(CHUNK / 32);
  const append = (pid: number, c: RecordColumns, from: number, n: number) => {
    const chunk = DuckDBDataChunk.create(types, n);
    const vec = (i: number) => duckdb.data_chunk_get_vector(chunk.chunk, i);
    ints.fill(pid, 0, n);
    duckdb.copy_data_to_vector(vec(0), 0, ints.buffer, 0, n * 4);
    writeBlobs(vec(1), c.data, c.keyStarts, c.keyLengths, from, n, strings, validity);
    writeBlobs(vec(2), c.data, c.valueStarts, c.valueLengths, from, n, strings, validity);
    int64s(c.offsets, from, n, longs);
    duckdb.copy_data_to_vector(vec(3), 0, longs.buffer, 0, n * 8);
    int64s(c.timestamps, from, n, longs);
    duckdb.copy_data_to_vector(vec(4), 0, longs.buffer, 0, n * 8);
    duckdb.copy_data_to_vector(vec(5), 0, c.timestampTypes.buffer as ArrayBuffer, c.timestampTypes.byteOffset + from * 4, n * 4);
    if (c.headers) {
      chunk.setColumnValues(6, c.headers.slice(from, from + n).map((hs) => listValue(hs.map(([hk, hv]) => structValue({ key: hk ? hk.toString("utf8") : "", value: hv ? blobValue(hv) : null })))));
    }
    appender.appendDataChunk(chunk);
  };
  try {
    // The Kafka client loads on first use (importing it costs ~0.4 s of start-up).
    const { readKafka } = await import("../../connectors/kafka/kafka-batch.js");
    await readKafka(node.options, (range, c) => {
      const k = `${range.topic}\u0000${range.partition}`;
      let pid = pids.get(k);
      if (pid === undefined) { pid = pids.size; pids.set(k, pid); }
      for (let from = 0; from < c.length; from += CHUNK) append(pid, c, from, Math.min(CHUNK, c.length - from));
    });
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  if (pids.size) {
    await conn.run(`INSERT INTO ${ident(table + "_p")} VALUES ${[...pids].map(([k, pid]) => { const [t, p] = k.split("\u0000"); return `(${pid}, ${str(t)}, ${Number(p)})`; }).join(", ")}`);
  }
  const items = schema.fields.map((f) => {
    if (f.name === "topic" || f.name === "partition") return `p.${ident(f.name)}`;
    // An instant from epoch milliseconds, independent of the session time zone.
    if (f.name === "timestamp") return `(TIMESTAMPTZ '1970-01-01 00:00:00+00' + to_milliseconds(r.ts_ms)) AS "timestamp"`;
    return `r.${ident(f.name)}`;
  });
  return { sql: `SELECT ${items.join(", ")} FROM ${ident(table)} r JOIN ${ident(table + "_p")} p USING (pid)`, schema };
}

/** Drops the tables a load created. */
export async function dropKafkaTable(conn: DuckDBConnection, table: string): Promise<void> {
  await conn.run(`DROP TABLE IF EXISTS ${ident(table)}; DROP TABLE IF EXISTS ${ident(table + "_p")}`);
}
