/**
 * Training columns of a cached frame kept in the kernel pool between fits. A fit on a frame the
 * program cached (`df.cache()`) copies its columns out of the engine's table into the pool's
 * memory; keeping that copy lets the next fit on the same cached frame (a hyperparameter sweep,
 * a second estimator with the same label) start from it, as scikit-learn fits arrays already in
 * memory: no scan of the engine's table, no row count, no column statistics. A copy is reused
 * only for the same cached table (the engine's table, not a plan that looks the same) and the
 * same deterministic expressions; it goes when the frame is unpersisted, when the session stops
 * (with the pool), and, least recently used first, when a load needs the memory budget.
 */
import type { DataFrame } from "../../api/dataframe.js";
import type { Column } from "../../api/column.js";
import type { DuckDBBackend } from "../../backends/duckdb/duckdb-backend.js";
import type { PlanNode } from "../../plan/visitor.js";
import { exprSome, type Expr } from "../../plan/expr/expr.js";
import type { KernelPool } from "../kernels/index.js";
import type { Centering, SummaryStats, TrainingColumns } from "./provider.js";

/** Functions whose value changes between two reads of the same rows. */
const VOLATILE = new Set(["rand", "randn", "random", "uuid", "shuffle", "monotonically_increasing_id", "spark_partition_id", "input_file_name",
  "current_timestamp", "current_date", "now", "localtimestamp", "unix_timestamp", "setseed"]);
const VOLATILE_SQL = new RegExp(`\\b(${[...VOLATILE].join("|")})\\s*\\(`, "i");

/** True when `e` gives the same value for the same row on every read. */
function deterministic(e: Expr): boolean {
  return !exprSome(e, (x) => x.kind === "WindowExpr" || (x.kind === "FunctionExpr" && VOLATILE.has(x.name.toLowerCase())) || (x.kind === "SqlExpr" && VOLATILE_SQL.test(x.text)));
}

/** What a copy holds besides the columns: what the first load saw on the way. */
export interface CopyFacts {
  readonly rows: number;
  readonly d: number;
  readonly invalid: number;
  readonly nullLabels: number;
  /** Per feature column [Σx, Σx², min, max] of the copied (uncentered) values. */
  readonly stats: readonly (readonly [number, number, number, number])[];
  /** Column means subtracted from the copy (centered copies), or null. */
  readonly shift: Float64Array | null;
  /** True when the features were read from a VectorAssembler's inputs. */
  readonly direct: boolean;
}

/** A copy kept in the pool. */
export interface RetainedCopy extends CopyFacts {
  readonly handle: number;
  readonly bytes: number;
  /** Summaries computed over the copy, by `labels` option, so a later fit skips that pass too. */
  readonly summaries: Map<boolean, SummaryStats>;
}

/** How a fit identifies the copy it wants. */
export interface CopyKey {
  readonly key: string;
  /** The cached plan the copy was read from (unpersisting it drops the copy). */
  readonly plan: PlanNode;
}

/**
 * The key of the copy read from `frame`: the expressions of the features, label and weight
 * (read through the feature stages), or the training column names when they are read from
 * `frame` itself; null when `frame` is not cached in the engine or an expression is not
 * deterministic.
 */
export function copyKey(frame: DataFrame, read: { readonly features: readonly Column[]; readonly label: Column | null; readonly weight: Column | null } | TrainingColumns, opts: { center: Centering; normalize: boolean }): CopyKey | null {
  const table = (frame.session.backend as DuckDBBackend).cachedTable(frame.plan);
  if (table === undefined) return null;
  let spec: object;
  if ("features" in read) {
    const exprs = [...read.features, ...(read.label ? [read.label] : []), ...(read.weight ? [read.weight] : [])].map((c) => c.expr);
    if (!exprs.every(deterministic)) return null;
    spec = { features: read.features.map((c) => c.expr), label: read.label?.expr ?? null, weight: read.weight?.expr ?? null };
  } else {
    spec = { vector: read.featuresCol, label: read.labelCol, weight: read.weightCol };
  }
  const key = JSON.stringify({ table, ...spec, center: opts.center, normalize: opts.normalize }, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
  return { key, plan: frame.plan };
}

/**
 * The copies kept in one kernel pool, least recently used first. Only the fit that holds the
 * pool touches them.
 */
export class RetainedCopies {
  private readonly copies = new Map<string, RetainedCopy & { readonly plan: PlanNode }>();

  constructor(private readonly pool: KernelPool) {}

  /** The copy for `key`, marked as most recently used; undefined when there is none. */
  get(key: CopyKey): RetainedCopy | undefined {
    const c = this.copies.get(key.key);
    if (!c) return undefined;
    this.copies.delete(key.key);
    this.copies.set(key.key, c);
    return c;
  }

  /** Keeps the data loaded last in the pool under `key`. */
  add(key: CopyKey, facts: CopyFacts, bytes: number): RetainedCopy {
    this.drop(key.key);
    const copy = { ...facts, handle: this.pool.keep(), bytes, summaries: new Map<boolean, SummaryStats>(), plan: key.plan };
    this.copies.set(key.key, copy);
    return copy;
  }

  /** Drops least recently used copies until `bytes` more fit within `budget` bytes (counted as the loads count them). */
  makeRoom(bytes: number, budget: number): void {
    let kept = 0;
    for (const c of this.copies.values()) kept += c.bytes;
    for (const [k, c] of this.copies) {
      if (kept + bytes <= budget) return;
      this.drop(k);
      kept -= c.bytes;
    }
  }

  /** Drops every copy read from `plan` (it was unpersisted). */
  dropPlan(plan: PlanNode): void {
    for (const [k, c] of this.copies) if (c.plan === plan) this.drop(k);
  }

  /** Drops every copy. */
  clear(): void { for (const k of [...this.copies.keys()]) this.drop(k); }

  /** What is kept: key and bytes, least recently used first (tests, diagnostics). */
  list(): { key: string; bytes: number }[] { return [...this.copies].map(([key, c]) => ({ key, bytes: c.bytes })); }

  private drop(key: string): void {
    const c = this.copies.get(key);
    if (!c) return;
    this.copies.delete(key);
    this.pool.discard(c.handle);
  }
}
