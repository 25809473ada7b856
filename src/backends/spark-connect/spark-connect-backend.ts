/**
 * The Spark backend: plans compile to Spark Connect relations (spark-connect-compiler.ts) and run
 * on a Spark Connect server through one gRPC session per Quarry session
 * (spark-connect-client.ts); results arrive as Arrow batches (spark-connect-arrow.ts).
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import * as arrow from "apache-arrow";
import type { Backend, BackendOptions, Capabilities, EngineStream, Row, StreamStartSpec, TableInfo, WriteSpec } from "../backend.js";
import type { PlanNode } from "../../plan/visitor.js";
import { AnalysisError, ExecutionError, IllegalArgumentError, QuarryError, UnsupportedOperationError, q } from "../../errors.js";
import { structType, type StructType } from "../../plan/types.js";
import { PlanSchema, AnalyzePlanRequest_Explain_ExplainMode, type Plan } from "./gen/spark/connect/base_pb.js";
import {
  CommandSchema, WriteOperation_SaveMode, WriteOperation_SaveTable_TableSaveMethod, type StreamingQueryCommandSchema, type StreamingQueryCommandResult,
} from "./gen/spark/connect/commands_pb.js";
import type { Relation } from "./gen/spark/connect/relations_pb.js";
import { SparkConnectClient } from "./spark-connect-client.js";
import { SparkConnectCompiler, call, literal, rel } from "./spark-connect-compiler.js";
import { fromProtoStruct } from "./spark-connect-types.js";
import { batchRows, type Int64Mode } from "./spark-connect-arrow.js";
import { ArrowResultReader } from "./spark-connect-ipc.js";
import { parseSparkConnectUrl } from "./spark-connect-url.js";
import { locateMalformedCsv } from "./spark-connect-diagnostics.js";

/**
 * Session settings Quarry's semantics rely on, sent when a session starts unless the program
 * sets them: UTC as the session time zone, ANSI arithmetic and casts, case-insensitive names,
 * reserved SQL keywords.
 */
const SESSION_DEFAULTS: Readonly<Record<string, string>> = {
  "spark.sql.session.timeZone": "UTC",
  "spark.sql.ansi.enabled": "true",
  "spark.sql.caseSensitive": "false",
  // Reserved words (AS, FROM, SELECT...) cannot be bare names, as in DuckDB's SQL: `age AS` is a
  // syntax error on both engines instead of naming a column "AS" on one of them.
  "spark.sql.ansi.enforceReservedKeywords": "true",
  // Spark compiles a stage to one Java method only when its rows have at most this many fields
  // (default 100); wider aggregates fall back to a row-at-a-time path. A training pass of
  // quarry/ml sums hundreds of statistics in one aggregate (k·(1 + d + d(d+1)/2) for a Gaussian
  // mixture): with the default, one EM iteration of k=5, d=8 over 100k rows took 7-9 s instead
  // of about 2 s. Results are the same either way.
  "spark.sql.codegen.maxFields": "4096",
};

const SAVE_MODES: Readonly<Record<WriteSpec["mode"], WriteOperation_SaveMode>> = {
  error: WriteOperation_SaveMode.ERROR_IF_EXISTS,
  overwrite: WriteOperation_SaveMode.OVERWRITE,
  append: WriteOperation_SaveMode.APPEND,
  ignore: WriteOperation_SaveMode.IGNORE,
};

function warehouseUnsupported(key: string): UnsupportedOperationError {
  return new UnsupportedOperationError(
    `${key} cannot be set on the Spark Connect backend: catalog tables live in the server's warehouse (spark.sql.warehouse.dir, fixed when the server starts). ` +
      `Remove the setting, or start the server with --conf spark.sql.warehouse.dir=<dir>.`,
    "CANNOT_MODIFY_STATIC_CONFIG",
  );
}

function duplicateColumns(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const n of names) {
    const k = n.toLowerCase();
    if (seen.has(k)) {
      throw new AnalysisError(
        `[COLUMN_ALREADY_EXISTS] The result has two columns named ${q(n)} (typically from a join on a condition). ` +
          `Rows are plain objects, so each name must be unique: drop one (df.drop(...)), rename it (withColumnRenamed), or select with aliases.`,
        "COLUMN_ALREADY_EXISTS",
      );
    }
    seen.add(k);
  }
}

/**
 * Runs Quarry plans on a Spark Connect server.
 *
 * Settings this backend reads (`.config(key, value)` on the builder; `quarry.*` stay in the client,
 * every other key is a Spark setting sent to the server):
 * - `quarry.int64`: 64-bit integers as exact numbers (`number`, the default) or `bigint`.
 * - `quarry.spark.connectTimeoutMs` (15000): how long the session's first call waits for the server.
 * - `quarry.spark.maxReattachAttempts` (8) and `quarry.spark.initialBackoffMs` (50, growing 4x per
 *   attempt up to 10 s): resuming a result stream after the connection broke.
 * - `quarry.spark.materializeBeforeWrite` (`true`): see {@link SparkConnectBackend.write}.
 */
export class SparkConnectBackend implements Backend {
  readonly name = "spark-connect";
  readonly capabilities: Capabilities = { supportsCache: true, supportsPersistentCatalog: true, supportsAtomicWrites: false };

  private int64Mode: Int64Mode = "number";
  /** Quarry's own settings (`quarry.*`), kept by the client. */
  private readonly quarryConf = new Map<string, string>();
  private readonly cached = new Set<PlanNode>();

  private constructor(readonly client: SparkConnectClient) {}

  /**
   * Connects to the server of `url` and starts a session with `options.config` applied.
   * @throws ExecutionError naming the address when the server cannot be reached.
   */
  static async create(url: string, options: BackendOptions): Promise<SparkConnectBackend> {
    const parsed = parseSparkConnectUrl(url);
    const num = (key: string): number | undefined => {
      const v = options.config.get(key);
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw new IllegalArgumentError(`${key} must be a whole number, got ${JSON.stringify(v)}.`, "INVALID_CONF_VALUE");
      return Number(v);
    };
    const client = new SparkConnectClient({
      url: parsed,
      connectTimeoutMs: num("quarry.spark.connectTimeoutMs"),
      maxReattachAttempts: num("quarry.spark.maxReattachAttempts"),
      initialBackoffMs: num("quarry.spark.initialBackoffMs"),
    });
    const b = new SparkConnectBackend(client);
    const server: Record<string, string> = { ...SESSION_DEFAULTS };
    try {
      for (const [k, v] of options.config) {
        if (k.toLowerCase() === "spark.sql.warehouse.dir") throw warehouseUnsupported(k);
        if (k.toLowerCase().startsWith("quarry.")) b.setQuarryConf(k, v);
        else server[k] = v;
      }
      await client.config({ opType: { case: "set", value: { pairs: Object.entries(server).map(([key, value]) => ({ key, value })) } } }, "starting a Spark Connect session");
    } catch (e) {
      await client.close();
      throw e;
    }
    return b;
  }

  private setQuarryConf(key: string, value: string): void {
    const lower = key.toLowerCase();
    if (lower === "quarry.warehouse") throw warehouseUnsupported(key);
    if (lower === "quarry.int64") {
      if (value !== "bigint" && value !== "number" && value !== "") throw new IllegalArgumentError(`quarry.int64 must be "number" (default) or "bigint", got ${JSON.stringify(value)}.`);
      this.int64Mode = value === "bigint" ? "bigint" : "number";
    }
    if (value === "") this.quarryConf.delete(key);
    else this.quarryConf.set(key, value);
  }

  private compiler(): SparkConnectCompiler { return new SparkConnectCompiler(); }

  private root(plan: PlanNode): Plan {
    return create(PlanSchema, { opType: { case: "root", value: this.compiler().relation(plan) } });
  }

  private command(command: MessageInitShape<typeof CommandSchema>["commandType"]): Plan {
    return create(PlanSchema, { opType: { case: "command", value: { commandType: command } } });
  }

  /** Runs a relation and yields its Arrow record batches in order. */
  private async *batches(relation: Plan, what: string): AsyncGenerator<arrow.RecordBatch> {
    const reader = new ArrowResultReader();
    for await (const r of this.client.execute(relation, what)) {
      if (r.responseType.case !== "arrowBatch") continue;
      const { batches } = reader.read(r.responseType.value.data);
      for (const b of batches) yield b;
    }
  }

  /** Runs a command for its effect. */
  private async run(plan: Plan, what: string): Promise<void> {
    for await (const r of this.client.execute(plan, what)) void r;
  }

  /** Rows of a relation built by the backend itself (catalog queries, counts). */
  private async rowsOf(relation: Relation, what: string, mode: Int64Mode = this.int64Mode): Promise<Row[]> {
    const out: Row[] = [];
    for await (const b of this.batches(create(PlanSchema, { opType: { case: "root", value: relation } }), what)) for (const r of batchRows(b, mode)) out.push(r);
    return out;
  }

  /** Runs `f`; a FAILFAST CSV failure gets the file and line of the malformed record added. */
  private async guard<T>(plan: PlanNode, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof QuarryError)) throw e;
      throw await locateMalformedCsv(plan, e, {
        rows: (p) => this.rowsOf(this.compiler().relation(p), "locating a malformed CSV record"),
        schema: (p) => this.schema(p),
      });
    }
  }

  async schema(plan: PlanNode): Promise<StructType> {
    const res = await this.client.analyze({ case: "schema", value: { plan: this.root(plan) } }, "schema()");
    return res.result.case === "schema" ? fromProtoStruct(res.result.value.schema) : structType([]);
  }

  async collect(plan: PlanNode): Promise<Row[]> {
    return this.guard(plan, async () => {
      const out: Row[] = [];
      for await (const rows of this.iterateAs(plan, "collect()")) for (const r of rows) out.push(r);
      return out;
    });
  }

  private async *iterateAs(plan: PlanNode, what: string): AsyncGenerator<Row[]> {
    let checked = false;
    for await (const b of this.batches(this.root(plan), what)) {
      if (!checked) { duplicateColumns(b.schema.fields.map((f) => f.name)); checked = true; }
      if (b.numRows > 0) yield batchRows(b, this.int64Mode);
    }
  }

  iterate(plan: PlanNode): AsyncIterable<Row[]> { return this.iterateAs(plan, "toLocalIterator()"); }

  async toArrow(plan: PlanNode): Promise<arrow.Table> {
    const batches: arrow.RecordBatch[] = [];
    await this.guard(plan, async () => {
      for await (const b of this.batches(this.root(plan), "toArrow()")) {
        if (batches.length === 0) duplicateColumns(b.schema.fields.map((f) => f.name));
        batches.push(b);
      }
    });
    if (batches.length === 0) return new arrow.Table();
    const schema = batches[0].schema;
    // Each server message is its own IPC stream with an equal schema: rebind the batches to one.
    return new arrow.Table(schema, batches.map((b) => (b.schema === schema ? b : new arrow.RecordBatch(schema, b.data))));
  }

  async count(plan: PlanNode): Promise<number> {
    const relation = rel({ case: "aggregate", value: { input: this.compiler().relation(plan), groupType: 1, aggregateExpressions: [call("count", [literal(1, "int")])] } });
    const rows = await this.guard(plan, () => this.rowsOf(relation, "count()", "bigint"));
    return Number(Object.values(rows[0] ?? { n: 0 })[0]);
  }

  async explain(plan: PlanNode, mode: "simple" | "extended"): Promise<string> {
    const res = await this.client.analyze({
      case: "explain",
      value: { plan: this.root(plan), explainMode: mode === "extended" ? AnalyzePlanRequest_Explain_ExplainMode.EXTENDED : AnalyzePlanRequest_Explain_ExplainMode.SIMPLE },
    }, "explain()");
    return res.result.case === "explain" ? `== Spark ==\n${res.result.value.explainString.trimEnd()}` : "";
  }

  /**
   * Writes a plan's result. By default the result is first materialized on the server (an eager
   * local checkpoint) and written from there: a failure while computing it (bad data, an ANSI
   * error) then happens before Spark touches the target, whose previous output stays intact, and
   * a query may overwrite the files it reads. `quarry.spark.materializeBeforeWrite=false` writes
   * directly (one pass less, but a failed overwrite can lose the previous output, as with Spark).
   */
  async write(plan: PlanNode, spec: WriteSpec): Promise<void> {
    const what = spec.table ? `write.${spec.table.insertInto ? "insertInto" : "saveAsTable"}(${JSON.stringify(spec.table.name)})` : `write.save(${JSON.stringify(spec.path)})`;
    const materialize = (this.quarryConf.get("quarry.spark.materializeBeforeWrite") ?? "true") !== "false";
    const relation = this.compiler().relation(plan);
    const handle = materialize ? await this.checkpoint(relation, plan, what) : null;
    try {
      const op = {
        input: handle ? rel({ case: "cachedRemoteRelation", value: { relationId: handle } }) : relation,
        ...(spec.table?.insertInto ? {} : { source: spec.format }),
        mode: SAVE_MODES[spec.mode],
        partitioningColumns: [...spec.partitionBy],
        options: { ...spec.options },
        saveType: spec.table
          ? { case: "table" as const, value: { tableName: spec.table.name, saveMethod: spec.table.insertInto ? WriteOperation_SaveTable_TableSaveMethod.INSERT_INTO : WriteOperation_SaveTable_TableSaveMethod.SAVE_AS_TABLE } }
          : spec.path !== null ? { case: "path" as const, value: spec.path } : { case: undefined },
      };
      await this.guard(plan, () => this.run(this.command({ case: "writeOperation", value: op }), what));
    } finally {
      if (handle) await this.run(this.command({ case: "removeCachedRemoteRelationCommand", value: { relation: { relationId: handle } } }), what).catch(() => undefined);
    }
  }

  /**
   * Starts the query as Spark Structured Streaming on the server (WriteStreamOperationStart) and
   * returns a handle that drives it with StreamingQueryCommand requests.
   */
  async startStream(plan: PlanNode, spec: StreamStartSpec): Promise<EngineStream> {
    const what = `writeStream.start(${spec.path ? JSON.stringify(spec.path) : ""})`;
    const t = spec.trigger;
    const trigger = t.kind === "processingTime" ? { case: "processingTimeInterval" as const, value: `${t.intervalMs} milliseconds` }
      : t.kind === "availableNow" ? { case: "availableNow" as const, value: true }
      : t.kind === "once" ? { case: "once" as const, value: true } : { case: undefined };
    const start = {
      input: this.compiler().relation(plan), format: spec.format, options: { ...spec.options }, partitioningColumnNames: [...spec.partitionBy],
      trigger, outputMode: spec.outputMode, queryName: spec.queryName ?? "",
      sinkDestination: spec.path ? { case: "path" as const, value: spec.path } : spec.table ? { case: "tableName" as const, value: spec.table } : { case: undefined },
    };
    let ids: { id: string; runId: string } | null = null;
    let name = "";
    for await (const r of this.client.execute(this.command({ case: "writeStreamOperationStart", value: start }), what)) {
      if (r.responseType.case === "writeStreamOperationStartResult") {
        ids = { id: r.responseType.value.queryId?.id ?? "", runId: r.responseType.value.queryId?.runId ?? "" };
        name = r.responseType.value.name;
      }
    }
    if (!ids) throw new ExecutionError(`${what}: the Spark Connect server did not return the query's id.`, "SPARK_CONNECT_PROTOCOL");
    const queryId = ids;
    const ask = async (command: MessageInitShape<typeof StreamingQueryCommandSchema>["command"], label: string): Promise<StreamingQueryCommandResult["resultType"]> => {
      let out: StreamingQueryCommandResult["resultType"] = { case: undefined };
      for await (const r of this.client.execute(this.command({ case: "streamingQueryCommand", value: { queryId, command } }), label)) {
        if (r.responseType.case === "streamingQueryCommandResult") out = r.responseType.value.resultType;
      }
      return out;
    };
    return {
      id: queryId.id, runId: queryId.runId, name: name || null,
      async status() {
        const r = await ask({ case: "status", value: true }, "query.status");
        const v = r.case === "status" ? r.value : null;
        return { message: v?.statusMessage ?? "", isDataAvailable: v?.isDataAvailable ?? false, isTriggerActive: v?.isTriggerActive ?? false, isActive: v?.isActive ?? false };
      },
      async recentProgress() {
        const r = await ask({ case: "recentProgress", value: true }, "query.recentProgress");
        return r.case === "recentProgress" ? [...r.value.recentProgressJson] : [];
      },
      async exception() {
        const r = await ask({ case: "exception", value: true }, "query.exception");
        return r.case === "exception" && r.value.exceptionMessage ? r.value.exceptionMessage : null;
      },
      async awaitTermination(timeoutMs?: number) {
        // Short server-side waits, so no call outlives the client's deadlines.
        const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
        for (;;) {
          const step = Math.max(0, Math.min(1000, deadline - Date.now()));
          const r = await ask({ case: "awaitTermination", value: { timeoutMs: BigInt(Math.round(step)) } }, "query.awaitTermination");
          if (r.case === "awaitTermination" && r.value.terminated) return true;
          if (Date.now() >= deadline) return false;
        }
      },
      async processAllAvailable() { await ask({ case: "processAllAvailable", value: true }, "query.processAllAvailable"); },
      async stop() { await ask({ case: "stop", value: true }, "query.stop"); },
      async explain(extended: boolean) {
        const r = await ask({ case: "explain", value: { extended } }, "query.explain");
        return r.case === "explain" ? r.value.result : "";
      },
    };
  }

  /** Computes a relation into the server's block storage; returns the id of the stored relation. */
  private async checkpoint(relation: Relation, plan: PlanNode, what: string): Promise<string> {
    let id: string | null = null;
    await this.guard(plan, async () => {
      for await (const r of this.client.execute(this.command({ case: "checkpointCommand", value: { relation, local: true, eager: true } }), what)) {
        if (r.responseType.case === "checkpointCommandResult") id = r.responseType.value.relation?.relationId ?? null;
      }
    });
    if (!id) throw new ExecutionError(`${what}: the Spark Connect server did not return the materialized result.`, "SPARK_CONNECT_PROTOCOL");
    return id;
  }

  async createTempView(name: string, plan: PlanNode, replace: boolean, global: boolean): Promise<void> {
    await this.run(this.command({ case: "createDataframeView", value: { input: this.compiler().relation(plan), name, isGlobal: global, replace } }), `createTempView(${JSON.stringify(name)})`);
  }

  async dropTempView(name: string): Promise<boolean> {
    const rows = await this.rowsOf(rel({ case: "catalog", value: { catType: { case: "dropTempView", value: { viewName: name } } } }), `dropTempView(${JSON.stringify(name)})`);
    return Object.values(rows[0] ?? {})[0] === true;
  }

  async listTables(): Promise<TableInfo[]> {
    const rows = await this.rowsOf(rel({ case: "catalog", value: { catType: { case: "listTables", value: {} } } }), "listTables()");
    return rows.map((r) => {
      const ns = r["namespace"] as string[] | null;
      const type = String(r["tableType"] ?? "MANAGED").toUpperCase();
      return {
        name: String(r["name"]),
        database: ns && ns.length ? ns.join(".") : null,
        description: (r["description"] as string | null) ?? null,
        tableType: (["MANAGED", "EXTERNAL", "TEMPORARY", "VIEW"].includes(type) ? type : "MANAGED") as TableInfo["tableType"],
        isTemporary: r["isTemporary"] === true,
      };
    }).sort((a, b) => a.name.localeCompare(b.name));
  }

  async tableExists(name: string): Promise<boolean> {
    const rows = await this.rowsOf(rel({ case: "catalog", value: { catType: { case: "tableExists", value: { tableName: name } } } }), `tableExists(${JSON.stringify(name)})`);
    return Object.values(rows[0] ?? {})[0] === true;
  }

  async dropTable(name: string, ifExists: boolean): Promise<void> {
    await this.rowsOf(rel({ case: "catalog", value: { catType: { case: "dropTable", value: { tableName: name, ifExists, purge: false } } } }), `dropTable(${JSON.stringify(name)})`);
  }

  async persist(plan: PlanNode): Promise<void> {
    if (this.cached.has(plan)) return;
    await this.client.analyze({ case: "persist", value: { relation: this.compiler().relation(plan) } }, "cache()");
    this.cached.add(plan);
  }

  async unpersist(plan: PlanNode): Promise<void> {
    if (!this.cached.has(plan)) return;
    this.cached.delete(plan);
    await this.client.analyze({ case: "unpersist", value: { relation: this.compiler().relation(plan), blocking: false } }, "unpersist()");
  }

  isCached(plan: PlanNode): boolean { return this.cached.has(plan); }

  async setConf(key: string, value: string): Promise<void> {
    const lower = key.toLowerCase();
    if (lower.startsWith("quarry.")) { this.setQuarryConf(key, value); return; }
    if (lower === "spark.sql.warehouse.dir") throw warehouseUnsupported(key);
    if (value === "") {
      await this.client.config({ opType: { case: "unset", value: { keys: [key] } } }, `spark.conf.unset(${JSON.stringify(key)})`);
      return;
    }
    await this.client.config({ opType: { case: "set", value: { pairs: [{ key, value }] } } }, `spark.conf.set(${JSON.stringify(key)})`);
  }

  async getConf(key: string): Promise<string | undefined> {
    const lower = key.toLowerCase();
    if (lower === "quarry.int64") return this.int64Mode;
    if (lower.startsWith("quarry.")) return this.quarryConf.get(key);
    const res = await this.client.config({ opType: { case: "getOption", value: { keys: [key] } } }, `spark.conf.get(${JSON.stringify(key)})`);
    return res.pairs[0]?.value ?? undefined;
  }

  async interrupt(): Promise<void> { await this.client.interrupt(); }

  async stop(): Promise<void> { await this.client.close(); }
}
