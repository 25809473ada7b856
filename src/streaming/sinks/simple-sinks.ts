/**
 * The in-process sinks: `memory` (the query name becomes a temp view), `console` (prints each
 * batch like `show()`), `foreachBatch`, and `toTable` (appends to a catalog table).
 */
import { IllegalArgumentError } from "../../errors.js";
import type { DataFrame } from "../../api/dataframe.js";
import type { Row } from "../../backends/backend.js";
import type { StructType } from "../../plan/types.js";
import type { SinkBatchContext, StreamSink } from "../contracts.js";
import type { SinkContext } from "../formats.js";

/** The memory sink: keeps the rows in the process and (re)registers the view `queryName` after each batch. */
export function createMemorySink(ctx: SinkContext): StreamSink {
  const name = ctx.spec.queryName;
  if (!name) throw new IllegalArgumentError("The memory sink needs a query name, which becomes the temp view name: writeStream.format(\"memory\").queryName(\"results\").", "QUERY_NAME_REQUIRED");
  let rows: Row[] = [];
  let lastBatch = -1;
  return {
    description: `MemorySink[${name}]`,
    async addBatch(data: DataFrame, b: SinkBatchContext) {
      if (b.batchId <= lastBatch) return;
      const [batch, schema] = await Promise.all([data.collect(), data.schema()]) as [Row[], StructType];
      rows = b.outputMode === "complete" ? batch : [...rows, ...batch];
      ctx.session.createDataFrame(rows, schema).createOrReplaceTempView(name);
      lastBatch = b.batchId;
    },
    async stop() { /* the view stays, as in Spark */ },
  };
}

/** The console sink: a `Batch: N` header, then the rows as `show()` prints them. */
export function createConsoleSink(ctx: SinkContext): StreamSink {
  const o = ctx.spec.options;
  const numRows = o["numRows"] === undefined ? 20 : Number(o["numRows"]);
  if (!Number.isInteger(numRows) || numRows < 0) throw new IllegalArgumentError(`console sink: numRows must be a non-negative integer, got ${JSON.stringify(o["numRows"])}.`, "INVALID_OPTION");
  const truncate = (o["truncate"] ?? "true").toLowerCase() !== "false";
  return {
    description: "ConsoleSink",
    async addBatch(data: DataFrame, b: SinkBatchContext) {
      const bar = "-------------------------------------------";
      process.stdout.write(`${bar}\nBatch: ${b.batchId}\n${bar}\n${await data.showString(numRows, truncate)}\n`);
    },
    async stop() { /* nothing held */ },
  };
}

/** foreachBatch: the user's function gets each batch; it decides how to be idempotent (the batch id helps). */
export function createForeachBatchSink(ctx: SinkContext): StreamSink {
  const fn = ctx.spec.foreachBatch;
  if (!fn) throw new IllegalArgumentError("foreachBatch needs a function: writeStream.foreachBatch((df, batchId) => ...).");
  return {
    description: "ForeachBatchSink",
    async addBatch(data: DataFrame, b: SinkBatchContext) { await fn(data, b.batchId); },
    async stop() { /* nothing held */ },
  };
}

/** toTable: appends each batch to a catalog table (created by the first batch). */
export function createTableSink(ctx: SinkContext): StreamSink {
  const table = ctx.spec.table!;
  return {
    description: `TableSink[${table}]`,
    async addBatch(data: DataFrame) { await data.write.mode("append").saveAsTable(table); },
    async stop() { /* nothing held */ },
  };
}
