/**
 * The embedded engine's Kafka source: the records of a `format("kafka")` read are fetched and
 * appended into a table of the in-memory database (DuckDB's Appender), which the query then scans.
 * The table lives for one action.
 */
import { BIGINT, BLOB, DuckDBDataChunk, INTEGER, LIST, STRUCT, VARCHAR, blobValue, listValue, structValue, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";
import type { ReadNode } from "../../plan/nodes/read-node.js";
import type { StructType } from "../../plan/types.js";
import { parseSourceOptions } from "../../connectors/kafka/kafka-options.js";
import { readKafka } from "../../connectors/kafka/kafka-batch.js";
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

/**
 * Fetches the read's records into `table` and returns the source query over it. Records go in as
 * whole data chunks: the integer columns are written straight into the vectors' memory, so each
 * record costs two calls into DuckDB (key and value) rather than one per field.
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
  let cols: DuckDBValue[][] = types.map(() => []);
  const flush = () => {
    const n = cols[0].length;
    if (n === 0) return;
    const chunk = DuckDBDataChunk.create(types, n);
    chunk.setColumns(cols);
    appender.appendDataChunk(chunk);
    cols = types.map(() => []);
  };
  try {
    await readKafka(node.options, (range, r) => {
      const k = `${range.topic}\u0000${range.partition}`;
      let pid = pids.get(k);
      if (pid === undefined) { pid = pids.size; pids.set(k, pid); }
      cols[0].push(pid);
      cols[1].push(r.key ? blobValue(r.key) : null);
      cols[2].push(r.value ? blobValue(r.value) : null);
      cols[3].push(r.offset);
      cols[4].push(r.timestamp);
      cols[5].push(r.timestampType);
      if (headers) cols[6].push(listValue(r.headers.map(([hk, hv]) => structValue({ key: hk ? hk.toString("utf8") : "", value: hv ? blobValue(hv) : null }))));
      if (cols[0].length === CHUNK) flush();
    });
    flush();
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
