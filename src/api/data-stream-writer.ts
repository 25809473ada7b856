/** `df.writeStream`: starts a streaming query that writes each micro-batch to a sink. */
import { IllegalArgumentError } from "../errors.js";
import { parseDurationMs } from "../plan/interval.js";
import type { DataFrame } from "./dataframe.js";
import type { StreamingQuery } from "./streaming-query.js";
import type { StreamStartSpec } from "../backends/backend.js";

/** When micro-batches run. */
export type Trigger =
  | { readonly processingTime: string | number }
  | { readonly availableNow: true }
  | { readonly once: true };

/** The function `foreachBatch` calls with each micro-batch's rows (a batch DataFrame) and its id. */
export type ForeachBatchFunction = (df: DataFrame, batchId: number) => Promise<void> | void;

/** A validated streaming write, as the engine receives it. */
export interface StreamWriteSpec extends StreamStartSpec {
  readonly foreachBatch: ForeachBatchFunction | null;
}

type Draft = Omit<StreamWriteSpec, "path" | "table">;
const DEFAULT: Draft = { format: "parquet", outputMode: "append", options: {}, partitionBy: [], queryName: null, trigger: { kind: "default" }, foreachBatch: null };

/**
 * Configures and starts a streaming query.
 * @example
 * const q = await counts.writeStream.outputMode("complete").format("memory").queryName("counts").start();
 */
export class DataStreamWriter {
  constructor(private readonly df: DataFrame, private readonly spec: Draft = DEFAULT) { Object.freeze(this); }
  private with(p: Partial<Draft>): DataStreamWriter { return new DataStreamWriter(this.df, { ...this.spec, ...p }); }

  /** The sink: `parquet` (default), `csv`, `json`, `memory`, `console`, `kafka`, or `foreachBatch`. */
  format(source: string): DataStreamWriter { return this.with({ format: source.toLowerCase() }); }
  /** `append` (default: new rows only), `update` (changed rows) or `complete` (the whole result every batch). */
  outputMode(mode: string): DataStreamWriter {
    const m = mode.toLowerCase();
    if (m !== "append" && m !== "update" && m !== "complete") throw new IllegalArgumentError(`Unknown output mode ${JSON.stringify(mode)}. Use "append", "update" or "complete".`, "INVALID_OUTPUT_MODE");
    return this.with({ outputMode: m });
  }
  /** One option, e.g. `checkpointLocation`, `path`, `numRows`. */
  option(key: string, value: string | number | boolean): DataStreamWriter { return this.with({ options: { ...this.spec.options, [key]: String(value) } }); }
  /** Several options. */
  options(opts: Record<string, string | number | boolean>): DataStreamWriter {
    return Object.entries(opts).reduce<DataStreamWriter>((w, [k, v]) => w.option(k, v), this);
  }
  /** Hive-style partition directories for file sinks. */
  partitionBy(...cols: (string | readonly string[])[]): DataStreamWriter { return this.with({ partitionBy: cols.flat() as string[] }); }
  /** The query's name (the memory sink's view name; shown in progress). */
  queryName(name: string): DataStreamWriter {
    if (typeof name !== "string" || !name) throw new IllegalArgumentError("queryName(name): give a non-empty name.");
    return this.with({ queryName: name });
  }
  /** `{ processingTime: "1 second" }`, `{ availableNow: true }` or `{ once: true }`; default: as fast as possible. */
  trigger(t: Trigger): DataStreamWriter {
    if (t && "processingTime" in t) {
      const ms = parseDurationMs(t.processingTime, "trigger processingTime");
      return this.with({ trigger: ms === 0 ? { kind: "default" } : { kind: "processingTime", intervalMs: ms } });
    }
    if (t && "availableNow" in t && t.availableNow === true) return this.with({ trigger: { kind: "availableNow" } });
    if (t && "once" in t && t.once === true) return this.with({ trigger: { kind: "once" } });
    throw new IllegalArgumentError(`trigger(${JSON.stringify(t)}): use { processingTime: "1 second" }, { availableNow: true } or { once: true }.`, "INVALID_TRIGGER");
  }
  /** Calls `fn(batchDf, batchId)` for each micro-batch instead of writing to a sink. */
  foreachBatch(fn: ForeachBatchFunction): DataStreamWriter {
    if (typeof fn !== "function") throw new IllegalArgumentError("foreachBatch(fn): give a function (df, batchId) => ...");
    return this.with({ format: "foreachbatch", foreachBatch: fn });
  }
  /** Starts the query; file sinks take the output directory as `path`. */
  async start(path?: string): Promise<StreamingQuery> {
    const p = path ?? this.spec.options["path"] ?? null;
    const { startStreamingQuery } = await import("../streaming/executor.js");
    return startStreamingQuery(this.df, { ...this.spec, path: p, table: null });
  }
  /** Starts the query appending to a catalog table (created from the first batch when missing). */
  async toTable(name: string): Promise<StreamingQuery> {
    if (typeof name !== "string" || !name) throw new IllegalArgumentError("toTable(name): give a table name.");
    const { startStreamingQuery } = await import("../streaming/executor.js");
    return startStreamingQuery(this.df, { ...this.spec, format: "table", path: null, table: name });
  }
}
