/**
 * Session: the entry point. Holds the backend (embedded DuckDB by default, Spark through Spark
 * Connect with `.remote(...)`), the runtime config, temp views and the catalog.
 */
import { LocalRelationNode, RangeNode, SqlNode, TableNode } from "../plan/nodes/index.js";
import { parseSchemaDDL, structType, type DataType, type StructField, type StructType } from "../plan/types.js";
import type { PlanNode } from "../plan/visitor.js";
import { ExecutionError, IllegalArgumentError, QuarryError, AnalysisError } from "../errors.js";
import type { Backend, Row, TableInfo } from "../backends/backend.js";
import { DataFrame } from "../api/dataframe.js";
import { DataFrameReader } from "../api/reader.js";
import { DataStreamReader } from "../api/data-stream-reader.js";
import { StreamingQueryManager } from "../api/streaming-query.js";
import { DuckDBBackend } from "../backends/duckdb/duckdb-backend.js";

let active: Session | null = null;

/** Runtime configuration: `spark.conf.set("spark.sql.session.timeZone", "UTC")`. */
export class RuntimeConfig {
  constructor(private readonly session: Session) {}
  /** Sets a Quarry (`quarry.*`), Spark (`spark.*`) or engine setting (e.g. DuckDB's `memory_limit`). */
  set(key: string, value: string | number | boolean): Promise<void> {
    return this.session.enqueue(() => this.session.backend.setConf(key, String(value)));
  }
  /** The value of a setting, or `defaultValue` when it is not set. */
  async get(key: string, defaultValue?: string): Promise<string | undefined> {
    await this.session.beforeAction();
    return (await this.session.backend.getConf(key)) ?? defaultValue;
  }
  /** Removes a setting that was set. */
  unset(key: string): Promise<void> { return this.session.enqueue(() => this.session.backend.setConf(key, "")); }
}

/** `spark.catalog`: temp views and persistent tables. */
export class Catalog {
  constructor(private readonly session: Session) {}
  /** Temp views and tables of the catalog. */
  async listTables(): Promise<TableInfo[]> { await this.session.beforeAction(); return this.session.backend.listTables(); }
  /** Drops a temp view; returns whether it existed. */
  async dropTempView(name: string): Promise<boolean> { await this.session.beforeAction(); return this.session.backend.dropTempView(name); }
  /** Same as dropTempView. */
  async dropGlobalTempView(name: string): Promise<boolean> { return this.dropTempView(name); }
  /** Whether a table or view of that name exists. */
  async tableExists(name: string): Promise<boolean> { await this.session.beforeAction(); return this.session.backend.tableExists(name); }
  /** Drops a persistent table and its data. */
  async dropTable(name: string, ifExists = false): Promise<void> { await this.session.beforeAction(); await this.session.backend.dropTable(name, ifExists); }
  /** Whether the frame of that view or table is cached. */
  async isCached(name: string): Promise<boolean> { return this.session.backend.isCached(TableNode.create(name)); }
  /** Caches a table or view. */
  async cacheTable(name: string): Promise<void> { this.session.markCached(TableNode.create(name)); }
  async clearCache(): Promise<void> { for (const p of [...this.session.cachedPlans]) { await this.session.backend.unpersist(p); this.session.unmarkCached(p); } }
}

/**
 * Builds or returns the session.
 * @example
 * const spark = await Session.builder().appName("demo").master("local[2]").config("memory_limit", "4GB").getOrCreate();
 */
export class SessionBuilder {
  private name = "quarry";
  private masterUrl = "local[*]";
  private remoteUrl: string | null = null;
  private readonly conf = new Map<string, string>();

  /** The application name (shown in Spark's UI). */ appName(name: string): this { this.name = name; return this; }
  /** `local[N]` runs the embedded engine on N threads (`local[*]`: all cores). */ master(url: string): this { this.masterUrl = url; return this; }
  /** A Spark Connect server, e.g. `sc://localhost:15002`. */ remote(url: string): this { this.remoteUrl = url; return this; }
  /** A setting: `quarry.*` for Quarry, `spark.*` for Spark, anything else goes to the engine (e.g. `memory_limit`). */
  config(key: string | Record<string, string | number | boolean>, value?: string | number | boolean): this {
    if (typeof key === "object") { for (const [k, v] of Object.entries(key)) this.conf.set(k, String(v)); return this; }
    if (value === undefined) throw new IllegalArgumentError(`config(${JSON.stringify(key)}): give a value.`);
    this.conf.set(key, String(value)); return this;
  }
  /** Returns the active session if there is one for the same engine (applying new settings), else creates one. */
  async getOrCreate(): Promise<Session> {
    const url = this.remoteUrl ?? process.env.SPARK_REMOTE ?? null;
    if (active && !active.stopped && active.remoteUrl === url) {
      for (const [k, v] of this.conf) await active.conf.set(k, v);
      return active;
    }
    return this.create();
  }
  /** Always creates a new session. */
  async create(): Promise<Session> {
    const url = this.remoteUrl ?? process.env.SPARK_REMOTE ?? null;
    const options = { appName: this.name, master: this.masterUrl, config: new Map(this.conf) };
    let backend: Backend;
    if (url) {
      const { createSparkConnectBackend } = await import("../backends/spark-connect/load.js");
      backend = await createSparkConnectBackend(url, options);
    } else {
      backend = await DuckDBBackend.create(options);
    }
    const s = new Session(backend, url, this.name);
    active = s;
    return s;
  }
}

/** Infers a Spark type for a JS value when createDataFrame has no schema. */
function inferType(v: unknown): DataType | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return Number.isInteger(v) ? "bigint" : "double";
  if (typeof v === "bigint") return "bigint";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "boolean";
  if (v instanceof Date) return "timestamp";
  if (v instanceof Uint8Array) return "binary";
  if (Array.isArray(v)) {
    let et: DataType | null = null;
    for (const x of v) et = mergeType(et, inferType(x));
    return { type: "array", elementType: et ?? "string", containsNull: true };
  }
  if (typeof v === "object") {
    return structType(Object.entries(v as object).map(([name, x]) => ({ name, type: inferType(x) ?? "string", nullable: true })));
  }
  throw new IllegalArgumentError(`createDataFrame: cannot infer a type for ${typeof v} value ${String(v)}; pass a schema.`);
}
function mergeType(a: DataType | null, b: DataType | null): DataType | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a === b) return a;
  if ((a === "bigint" && b === "double") || (a === "double" && b === "bigint")) return "double";
  if (typeof a === "object" && typeof b === "object" && a.type === "struct" && b.type === "struct") {
    const names = new Map<string, DataType>();
    for (const f of [...a.fields, ...b.fields]) names.set(f.name, mergeType(names.get(f.name) ?? null, f.type) ?? "string");
    return structType([...names].map(([name, type]) => ({ name, type, nullable: true })));
  }
  if (typeof a === "object" && typeof b === "object" && a.type === "array" && b.type === "array") {
    return { type: "array", elementType: mergeType(a.elementType, b.elementType) ?? "string", containsNull: true };
  }
  throw new IllegalArgumentError(`createDataFrame: a column mixes values of types ${JSON.stringify(a)} and ${JSON.stringify(b)}; pass a schema to say which one you want.`);
}

/**
 * A Quarry session.
 * @example
 * const spark = await Session.builder().appName("large-scale ML").getOrCreate();
 * const df = spark.read.csv("people.csv", { header: true, inferSchema: true });
 * await spark.stop();
 */
export class Session {
  /** Runtime settings. */ readonly conf: RuntimeConfig;
  /** Temp views and tables. */ readonly catalog: Catalog;
  /** Plans the program asked to cache. */ readonly cachedPlans = new Set<PlanNode>();
  stopped = false;
  private pending: Promise<unknown>[] = [];
  private readonly stopHooks: (() => Promise<void>)[] = [];
  private readonly uncacheHooks: ((plan: PlanNode) => void)[] = [];

  /** @internal Use `Session.builder()`. */
  constructor(readonly backend: Backend, readonly remoteUrl: string | null, readonly appName: string) {
    this.conf = new RuntimeConfig(this);
    this.catalog = new Catalog(this);
  }

  /** Starts building a session. */
  static builder(): SessionBuilder { return new SessionBuilder(); }
  /** The active session, if any. */
  static getActiveSession(): Session | null { return active && !active.stopped ? active : null; }

  /** Reads batch data: `spark.read.csv(...)`, `.parquet(...)`, `.json(...)`, `.format(...).load(...)`. */
  get read(): DataFrameReader { this.checkOpen(); return DataFrameReader.create(this); }
  /** Reads streams: `spark.readStream.format("json").schema(...).load(dir)`; start them with `writeStream`. */
  get readStream(): DataStreamReader { this.checkOpen(); return DataStreamReader.create(this); }
  /** The streaming queries of this session: `spark.streams.active`, `awaitAnyTermination()`, listeners. */
  readonly streams = new StreamingQueryManager();
  /** The engine in use: "duckdb" or "spark-connect". */
  get backendName(): string { return this.backend.name; }

  /** Runs a SQL query in the engine's dialect over the session's temp views and tables. */
  sql(query: string): DataFrame {
    this.checkOpen();
    if (typeof query !== "string" || query.trim() === "") throw new IllegalArgumentError("sql(): give a query string.");
    return new DataFrame(this, SqlNode.create(query));
  }
  /** A temp view or catalog table by name. */
  table(name: string): DataFrame { this.checkOpen(); return new DataFrame(this, TableNode.create(name)); }
  /** A frame with one bigint column `id`: `range(n)` is 0..n-1; `range(start, end, step)`. */
  range(start: number, end?: number, step = 1): DataFrame {
    this.checkOpen();
    const [s, e] = end === undefined ? [0, start] : [start, end];
    for (const [k, v] of [["start", s], ["end", e], ["step", step]] as const) {
      if (!Number.isSafeInteger(v)) throw new IllegalArgumentError(`range(): ${k} must be an integer, got ${v}.`);
    }
    if (step === 0) throw new IllegalArgumentError("range(): step must not be 0.");
    return new DataFrame(this, RangeNode.create(s, e, step));
  }
  /**
   * A frame from rows: plain objects, or arrays matched by position to the schema. The schema is a
   * DDL string (`"name STRING, age INT"`), a StructType, or a list of column names; without one,
   * types are inferred (integers as bigint, other numbers as double, Date as timestamp).
   */
  createDataFrame(rows: readonly (Readonly<Record<string, unknown>> | readonly unknown[])[], schema?: string | StructType | readonly string[]): DataFrame {
    this.checkOpen();
    if (!Array.isArray(rows)) throw new IllegalArgumentError("createDataFrame(rows): rows must be an array of objects or arrays.");
    let st: StructType | null = typeof schema === "string" ? parseSchemaDDL(schema) : schema && !Array.isArray(schema) ? schema as StructType : null;
    const names: string[] | null = Array.isArray(schema) ? [...schema as string[]] : st ? st.fields.map((f) => f.name) : null;
    const objects: Record<string, unknown>[] = rows.map((r, i) => {
      if (Array.isArray(r)) {
        if (!names) throw new IllegalArgumentError(`createDataFrame: row ${i} is an array; give a schema or column names to match it by position.`);
        if (r.length !== names.length) throw new IllegalArgumentError(`createDataFrame: row ${i} has ${r.length} values but the schema has ${names.length} columns (${names.join(", ")}).`);
        return Object.fromEntries(names.map((n, j) => [n, r[j]]));
      }
      if (r === null || typeof r !== "object") throw new IllegalArgumentError(`createDataFrame: row ${i} is ${r === null ? "null" : typeof r}; use objects or arrays.`);
      return r as Record<string, unknown>;
    });
    if (!st) {
      const fields = new Map<string, DataType | null>();
      for (const n of names ?? []) fields.set(n, null);
      for (const r of objects) for (const [k, v] of Object.entries(r)) fields.set(k, mergeType(fields.get(k) ?? null, inferType(v)));
      if (fields.size === 0) throw new IllegalArgumentError("createDataFrame: cannot infer a schema from no rows; pass a schema such as \"id INT, name STRING\".");
      st = structType([...fields].map(([name, type]): StructField => ({ name, type: type ?? "string", nullable: true })));
    }
    return new DataFrame(this, LocalRelationNode.create(Object.freeze(objects.map((o) => Object.freeze({ ...o }))), st));
  }

  /**
   * Cancels every action running in this session (Spark's `interruptAll`): each one rejects with
   * an ExecutionError of class OPERATION_CANCELED; the session stays usable.
   * @example
   * const running = df.collect();
   * await spark.interruptAll();   // `running` rejects with OPERATION_CANCELED
   */
  async interruptAll(): Promise<void> {
    this.checkOpen();
    await this.backend.interrupt();
  }

  /** Stops the session and releases the engine. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.streams.stopAll();
    this.stopped = true;
    await Promise.allSettled(this.pending);
    await Promise.allSettled(this.stopHooks.map((f) => f()));
    await this.backend.stop();
    if (active === this) active = null;
  }

  // ------------------------------------------------------------------ internal helpers for the API layer

  /** @internal Runs `f` when the session stops (releases resources tied to it, e.g. ML kernel workers). */
  onStop(f: () => Promise<void>): void { this.stopHooks.push(f); }
  /** @internal Runs `f` with each cached plan that is dropped (unpersist, clearCache), e.g. to free copies of its rows. */
  onUncache(f: (plan: PlanNode) => void): void { this.uncacheHooks.push(f); }
  /** @internal */ checkOpen(): void {
    if (this.stopped) throw new QuarryError("This session has been stopped; create a new one with Session.builder().getOrCreate().", "SESSION_STOPPED");
  }
  /** @internal Queues work (view registration, config) that the next action waits for. */
  enqueue(f: () => Promise<unknown>): Promise<void> {
    this.checkOpen();
    const prev = this.pending.length ? Promise.allSettled(this.pending) : Promise.resolve();
    const p = prev.then(f);
    this.pending.push(p);
    return p.then(() => undefined);
  }
  /** @internal */ async beforeAction(): Promise<void> {
    this.checkOpen();
    if (this.pending.length) {
      const ps = this.pending;
      this.pending = [];
      const results = await Promise.allSettled(ps);
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
    for (const p of this.cachedPlans) if (!this.backend.isCached(p)) await this.backend.persist(p);
  }
  /** @internal Runs an action, turning unexpected failures into ExecutionError naming the action. */
  async wrapAction<T>(action: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof QuarryError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw new ExecutionError(`${action} failed: ${msg}`, "EXECUTION_ERROR", { cause: e });
    }
  }
  /** @internal */ markCached(plan: PlanNode): void { this.checkOpen(); this.cachedPlans.add(plan); }
  /** @internal */ unmarkCached(plan: PlanNode): void { this.cachedPlans.delete(plan); for (const f of this.uncacheHooks) f(plan); }
  /** @internal */ isMarkedCached(plan: PlanNode): boolean { return this.cachedPlans.has(plan); }
  /** @internal */ registerTempView(name: string, plan: PlanNode, replace: boolean): void {
    if (typeof name !== "string" || !name) throw new IllegalArgumentError("createOrReplaceTempView(name): give a view name.");
    void this.enqueue(() => this.backend.createTempView(name, plan, replace, false)).catch(() => undefined);
  }
  /** @internal */ async registerTempViewChecked(name: string, plan: PlanNode): Promise<void> {
    await this.beforeAction();
    if ((await this.backend.listTables()).some((t) => t.isTemporary && t.name.toLowerCase() === name.toLowerCase())) {
      throw new AnalysisError(`Temp view ${JSON.stringify(name)} already exists; use createOrReplaceTempView to replace it.`, "TEMP_TABLE_OR_VIEW_ALREADY_EXISTS");
    }
    await this.backend.createTempView(name, plan, false, false);
  }
}

export type { Row };
