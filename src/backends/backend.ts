/**
 * The contract between the API and an engine. A backend compiles plans and runs them; the API
 * layer never builds SQL or protobuf.
 */
import type { Table } from "apache-arrow";
import type { PlanNode } from "../plan/visitor.js";
import type { StructType } from "../plan/types.js";

/** A row as the user sees it: plain object, values mapped as DESIGN.md says. */
export type Row = Record<string, unknown>;

/** What a backend can do; the conformance suite reads these to place markers. */
export interface Capabilities {
  readonly supportsCache: boolean;
  readonly supportsPersistentCatalog: boolean;
  readonly supportsAtomicWrites: boolean;
}

/** A write request, already validated by the API. */
export interface WriteSpec {
  readonly format: string;
  readonly mode: "error" | "overwrite" | "append" | "ignore";
  readonly options: Readonly<Record<string, string>>;
  readonly partitionBy: readonly string[];
  readonly path: string | null;
  /** Set for saveAsTable / insertInto. */
  readonly table: { readonly name: string; readonly insertInto: boolean } | null;
}

/** A catalog entry as `spark.catalog.listTables()` returns it. */
export interface TableInfo {
  readonly name: string;
  readonly database: string | null;
  readonly description: string | null;
  readonly tableType: "MANAGED" | "EXTERNAL" | "TEMPORARY" | "VIEW";
  readonly isTemporary: boolean;
}

/** How a session's options reach a backend. */
export interface BackendOptions {
  readonly appName: string;
  readonly master: string;
  readonly config: ReadonlyMap<string, string>;
}

/** A streaming query start request, validated by the API, for an engine that runs streams itself. */
export interface StreamStartSpec {
  readonly format: string;
  readonly outputMode: "append" | "update" | "complete";
  readonly options: Readonly<Record<string, string>>;
  readonly partitionBy: readonly string[];
  readonly queryName: string | null;
  readonly trigger: { readonly kind: "default" } | { readonly kind: "processingTime"; readonly intervalMs: number } | { readonly kind: "availableNow" } | { readonly kind: "once" };
  readonly path: string | null;
  readonly table: string | null;
}

/** A streaming query running inside the engine (Spark Structured Streaming), driven by requests. */
export interface EngineStream {
  readonly id: string;
  readonly runId: string;
  readonly name: string | null;
  status(): Promise<{ message: string; isDataAvailable: boolean; isTriggerActive: boolean; isActive: boolean }>;
  /** The engine's progress reports as JSON texts, oldest first. */
  recentProgress(): Promise<string[]>;
  /** The failure message when the query failed, else null. */
  exception(): Promise<string | null>;
  awaitTermination(timeoutMs?: number): Promise<boolean>;
  processAllAvailable(): Promise<void>;
  stop(): Promise<void>;
  explain(extended: boolean): Promise<string>;
}

export interface Backend {
  readonly name: string;
  readonly capabilities: Capabilities;
  /** The output schema of a plan, after name resolution (throws AnalysisError). */
  schema(plan: PlanNode): Promise<StructType>;
  /** All rows. */
  collect(plan: PlanNode): Promise<Row[]>;
  /** All rows as an Arrow table. */
  toArrow(plan: PlanNode): Promise<Table>;
  /** Streams rows in batches. */
  iterate(plan: PlanNode): AsyncIterable<Row[]>;
  count(plan: PlanNode): Promise<number>;
  /** The logical plan and what the engine runs, for people. */
  explain(plan: PlanNode, mode: "simple" | "extended"): Promise<string>;
  write(plan: PlanNode, spec: WriteSpec): Promise<void>;
  createTempView(name: string, plan: PlanNode, replace: boolean, global: boolean): Promise<void>;
  dropTempView(name: string): Promise<boolean>;
  listTables(): Promise<TableInfo[]>;
  tableExists(name: string): Promise<boolean>;
  dropTable(name: string, ifExists: boolean): Promise<void>;
  persist(plan: PlanNode): Promise<void>;
  unpersist(plan: PlanNode): Promise<void>;
  isCached(plan: PlanNode): boolean;
  setConf(key: string, value: string): Promise<void>;
  getConf(key: string): Promise<string | undefined>;
  /** Starts a streaming query in the engine itself; absent when Quarry's micro-batch engine runs streams. */
  startStream?(plan: PlanNode, spec: StreamStartSpec): Promise<EngineStream>;
  /** Cancels running work. */
  interrupt(): Promise<void>;
  stop(): Promise<void>;
}
