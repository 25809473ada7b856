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
  /** Cancels running work. */
  interrupt(): Promise<void>;
  stop(): Promise<void>;
}
