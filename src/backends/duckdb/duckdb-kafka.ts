/**
 * The embedded engine's Kafka source: the records of a `format("kafka")` read are fetched and
 * appended into a table of the in-memory database (DuckDB's Appender), which the query then scans.
 * The table lives for one action.
 */
import { blobValue, listValue, structValue, timestampTZValue, type DuckDBConnection } from "@duckdb/node-api";
import type { ReadNode } from "../../plan/nodes/read-node.js";
import type { StructType } from "../../plan/types.js";
import { parseSourceOptions } from "../../connectors/kafka/kafka-options.js";
import { readKafka } from "../../connectors/kafka/kafka-batch.js";
import { kafkaSchema } from "../../connectors/kafka/kafka-rows.js";
import { ident, str } from "./duckdb-sql.js";
import { toDuckType } from "./duckdb-types.js";

function columnsDDL(schema: StructType): string {
  return schema.fields.map((f) => `${ident(f.name)} ${toDuckType(f.type)}`).join(", ");
}

/** A typed, empty source with the Kafka row schema (for schema resolution without fetching). */
export function kafkaEmptySource(node: ReadNode): { sql: string; schema: StructType } {
  const o = parseSourceOptions(node.options, false);
  const schema = kafkaSchema(o.includeHeaders);
  return { sql: `SELECT ${schema.fields.map((f) => `CAST(NULL AS ${toDuckType(f.type)}) AS ${ident(f.name)}`).join(", ")} WHERE FALSE`, schema };
}

/** Fetches the read's records into `table` and returns the source query over it. */
export async function loadKafkaTable(conn: DuckDBConnection, node: ReadNode, table: string): Promise<{ sql: string; schema: StructType }> {
  const headers = parseSourceOptions(node.options, false).includeHeaders;
  const schema = kafkaSchema(headers);
  // Topic and partition are constant per partition: one small table of partitions, joined by id,
  // keeps them out of the per-record appends.
  await conn.run(`CREATE TABLE ${ident(table)} (pid INTEGER, ${columnsDDL(schema).replace(/"topic" VARCHAR, "partition" INTEGER, /, "")})`);
  await conn.run(`CREATE TABLE ${ident(table + "_p")} (pid INTEGER, "topic" VARCHAR, "partition" INTEGER)`);
  const appender = await conn.createAppender(table);
  const pids = new Map<string, number>();
  try {
    await readKafka(node.options, (range, r) => {
      const k = `${range.topic}\u0000${range.partition}`;
      let pid = pids.get(k);
      if (pid === undefined) { pid = pids.size; pids.set(k, pid); }
      appender.appendInteger(pid);
      if (r.key) appender.appendBlob(r.key); else appender.appendNull();
      if (r.value) appender.appendBlob(r.value); else appender.appendNull();
      appender.appendBigInt(r.offset);
      appender.appendTimestampTZ(timestampTZValue(r.timestamp * 1000n));
      appender.appendInteger(r.timestampType);
      if (headers) {
        appender.appendValue(listValue(r.headers.map(([hk, hv]) => structValue({ key: hk ? hk.toString("utf8") : "", value: hv ? blobValue(hv) : null }))));
      }
      appender.endRow();
    });
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  if (pids.size) {
    await conn.run(`INSERT INTO ${ident(table + "_p")} VALUES ${[...pids].map(([k, pid]) => { const [t, p] = k.split("\u0000"); return `(${pid}, ${str(t)}, ${Number(p)})`; }).join(", ")}`);
  }
  const items = schema.fields.map((f) => (f.name === "topic" || f.name === "partition" ? `p.${ident(f.name)}` : `r.${ident(f.name)}`));
  return { sql: `SELECT ${items.join(", ")} FROM ${ident(table)} r JOIN ${ident(table + "_p")} p USING (pid)`, schema };
}

/** Drops the tables a load created. */
export async function dropKafkaTable(conn: DuckDBConnection, table: string): Promise<void> {
  await conn.run(`DROP TABLE IF EXISTS ${ident(table)}; DROP TABLE IF EXISTS ${ident(table + "_p")}`);
}
