/**
 * Stateful operators of the micro-batch engine. State lives in DuckDB tables (a cached DataFrame
 * per operator) between batches, and each batch's state is also written as a versioned Parquet
 * snapshot `<checkpoint>/state/<op>/<batchId>/`, which a restart loads. Aggregates are kept as
 * mergeable partials (sum, count, min, max; avg as sum and count): a batch aggregates its own rows,
 * merges them with the state by key, emits by output mode, and evicts what the watermark closed.
 */
import fs from "node:fs";
import path from "node:path";
import { AnalysisError } from "../errors.js";
import { DataFrame } from "../api/dataframe.js";
import {
  AggregateNode, DeduplicateNode, FilterNode, JoinNode, LocalRelationNode, ProjectNode, ReadNode, SetOpNode, SubqueryAliasNode, WithColumnsNode,
} from "../plan/nodes/index.js";
import {
  AliasExpr, BinaryExpr, CaseWhenExpr, CastExpr, ColumnExpr, FieldExpr, FunctionExpr, LiteralExpr, SortOrderExpr, UnaryExpr, WindowExpr, exprName, unalias, type Expr,
} from "../plan/expr/index.js";
import { functionKind } from "../plan/functions.js";
import { parseSchemaDDL, schemaToDDL, type StructType } from "../plan/types.js";
import type { PlanNode } from "../plan/visitor.js";
import type { Session } from "../session/session.js";
import type { StateOperatorProgress } from "../api/streaming-query.js";
import type { WatermarkNode } from "../plan/nodes/watermark-node.js";
import { eventTimeKey, type OutputMode, type StatefulOp } from "./query-planner.js";
import { readFileOrNull, writeFileAtomic } from "./files.js";

const col = (name: string): Expr => ColumnExpr.create(name);
const UPD = "__quarry_updated";

/** The result of one batch of a stateful operator. */
export interface StateStepResult {
  /** The rows the operator emits this batch (a batch plan over DuckDB tables). */
  readonly output: PlanNode;
  readonly progress: StateOperatorProgress;
  /** Called after the batch committed: the new state becomes current. */
  commit(): Promise<void>;
  /** Called when the batch failed. */
  abort(): Promise<void>;
}

/** A stateful operator, as the executor drives it. */
export interface StatefulOperator {
  /** Checks that the checkpoint's state was written by the same operator; throws naming what changed. */
  checkCompatible(): void;
  /** Runs batch `batchId` over `input` (late rows already dropped) with the batch's watermark. */
  step(input: PlanNode, batchId: number, watermarkMs: number): Promise<StateStepResult>;
}

/** Partial aggregates that merge across batches. */
interface Partial { readonly name: string; readonly expr: Expr; readonly merge: "sum" | "min" | "max" }

function mapExpr(e: Expr, f: (x: Expr) => Expr | undefined): Expr {
  const hit = f(e);
  if (hit) return hit;
  switch (e.kind) {
    case "AliasExpr": return AliasExpr.create(mapExpr(e.child, f), e.name);
    case "CastExpr": return CastExpr.create(mapExpr(e.child, f), e.to, e.safe);
    case "UnaryExpr": return UnaryExpr.create(e.op, mapExpr(e.child, f));
    case "BinaryExpr": return BinaryExpr.create(e.op, mapExpr(e.left, f), mapExpr(e.right, f));
    case "FunctionExpr": return FunctionExpr.create(e.name, e.args.map((a) => mapExpr(a, f)), e.distinct);
    case "CaseWhenExpr": return CaseWhenExpr.create(e.branches.map(([c, v]) => [mapExpr(c, f), mapExpr(v, f)] as const), e.otherwise ? mapExpr(e.otherwise, f) : null);
    default: return e;
  }
}

abstract class StateBase {
  protected current: DataFrame | null = null;
  protected schema: StructType | null = null;

  constructor(protected readonly session: Session, protected readonly dir: string, protected readonly signature: Record<string, unknown>, protected readonly opName: string) {}

  protected df(plan: PlanNode): DataFrame { return new DataFrame(this.session, plan); }

  checkCompatible(): void {
    const text = readFileOrNull(path.join(this.dir, "_metadata"));
    if (text === null) return;
    const old = JSON.parse(text) as Record<string, unknown>;
    for (const [k, v] of Object.entries(this.signature)) {
      if (JSON.stringify(old[k]) !== JSON.stringify(v)) {
        throw new AnalysisError(
          `[STATE_INCOMPATIBLE] The query changed in a way its checkpoint's state cannot follow: the ${k} of the stateful operator (${this.opName}) changed from ${JSON.stringify(old[k])} to ${JSON.stringify(v)}. ` +
          `Restore the original query, or start from a new checkpointLocation (the state starts empty).`, "STATE_INCOMPATIBLE");
      }
    }
    if (typeof old["stateSchema"] === "string") this.schema = parseSchemaDDL(old["stateSchema"]);
  }

  /** The state before batch `batchId`: the cached table, else the snapshot of batch `batchId - 1`, else empty. */
  protected stateBefore(batchId: number): PlanNode {
    if (this.current) return this.current.plan;
    if (!this.schema) return LocalRelationNode.create([], { type: "struct", fields: [] });
    const snap = path.join(this.dir, String(batchId - 1));
    if (batchId > 0 && fs.existsSync(snap)) {
      const df = this.df(ReadNode.create("parquet", [snap], {}, this.schema)).cache();
      this.current = df;
      return df.plan;
    }
    if (batchId > 0) {
      throw new AnalysisError(`[STATE_SNAPSHOT_MISSING] The state snapshot ${snap} needed to run batch ${batchId} is missing, so the query cannot resume without losing state. Start from a new checkpointLocation.`, "STATE_SNAPSHOT_MISSING");
    }
    return LocalRelationNode.create([], this.schema);
  }

  protected async fixSchema(partial: PlanNode): Promise<void> {
    if (this.schema) return;
    this.schema = await this.df(partial).schema();
    fs.mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(path.join(this.dir, "_metadata"), JSON.stringify({ ...this.signature, stateSchema: schemaToDDL(this.schema) }) + "\n");
  }

  /** Writes the snapshot of batch `batchId` (atomic: staged, then renamed into place). */
  protected async snapshot(state: DataFrame, batchId: number): Promise<void> {
    await state.write.mode("overwrite").parquet(path.join(this.dir, String(batchId)));
  }

  protected async finish(next: DataFrame, temps: DataFrame[]): Promise<void> {
    const old = this.current;
    this.current = next;
    for (const t of temps) await t.unpersist();
    if (old && old !== next) await old.unpersist();
  }
}

/** Streaming `groupBy(...).agg(...)`. */
class StreamingAggregation extends StateBase implements StatefulOperator {
  private readonly keys: { readonly expr: Expr; readonly name: string }[];
  private readonly partials: Partial[] = [];
  private readonly finals: Expr[];
  private readonly evict: { index: number; isWindow: boolean } | null;
  /** The index of a session_window key, whose sessions merge across batches. */
  private readonly sessionKey: number;

  constructor(session: Session, dir: string, private readonly node: AggregateNode, watermark: WatermarkNode | null, private readonly mode: OutputMode) {
    const keyNames = node.groupBy.map(exprName);
    super(session, dir, { operator: "aggregate", groupingKeys: keyNames, aggregates: node.aggs.map(exprName) }, "streaming aggregation");
    this.keys = node.groupBy.map((e, i) => ({ expr: e, name: keyNames[i] }));
    this.finals = node.aggs.map((a) => {
      const out = mapExpr(a, (x) => (x.kind === "FunctionExpr" && functionKind(x.name) === "aggregate" ? this.decompose(x) : undefined));
      return out.kind === "AliasExpr" ? out : AliasExpr.create(out, exprName(a));
    });
    this.evict = watermark && mode !== "complete" ? eventTimeKey(node, watermark) : null;
    this.sessionKey = node.groupBy.findIndex((k) => { const u = unalias(k); return u.kind === "FunctionExpr" && u.name === "session_window"; });
  }

  /**
   * Merges sessions of the state and of the batch that overlap or touch (per value of the other
   * keys): in start order, a session starting at or before the running end of the previous ones
   * joins them; merged sessions span [min start, max end) and merge their partials.
   */
  private mergeSessions(union: PlanNode, merges: Expr[]): PlanNode {
    const si = this.sessionKey;
    const others = this.keys.map((_, i) => i).filter((i) => i !== si).map((i) => col(this.keyCol(i)));
    const sk = col(this.keyCol(si));
    const order = [SortOrderExpr.create(col("__quarry_s"), "asc"), SortOrderExpr.create(col("__quarry_e"), "asc")];
    const over = (f: Expr, end: number | "currentRow") => WindowExpr.create(f, { partitionBy: others, orderBy: order, frame: { type: "rows", start: "unboundedPreceding", end } });
    const bounds = WithColumnsNode.create(union, [{ name: "__quarry_s", expr: FieldExpr.create(sk, "start") }, { name: "__quarry_e", expr: FieldExpr.create(sk, "end") }]);
    const prev = WithColumnsNode.create(bounds, [{ name: "__quarry_prev", expr: over(FunctionExpr.create("max", [col("__quarry_e")]), -1) }]);
    const starts = WithColumnsNode.create(prev, [{ name: "__quarry_new", expr: CaseWhenExpr.create([[BinaryExpr.create("AND", UnaryExpr.create("IS NOT NULL", col("__quarry_prev")), BinaryExpr.create("<=", col("__quarry_s"), col("__quarry_prev"))), LiteralExpr.create(0)]], LiteralExpr.create(1)) }]);
    const ids = WithColumnsNode.create(starts, [{ name: "__quarry_sid", expr: over(FunctionExpr.create("sum", [col("__quarry_new")]), "currentRow") }]);
    const sessionCol = AliasExpr.create(FunctionExpr.create("struct", [AliasExpr.create(FunctionExpr.create("min", [col("__quarry_s")]), "start"), AliasExpr.create(FunctionExpr.create("max", [col("__quarry_e")]), "end")]), this.keyCol(si));
    const agg = AggregateNode.create(ids, [...others, col("__quarry_sid")], [sessionCol, ...merges]);
    return ProjectNode.create(agg, [...this.keys.map((_, i) => col(this.keyCol(i))), ...this.partials.map((p) => col(p.name)), col(UPD)]);
  }

  /** Registers the partials of one aggregate call and returns the expression that finishes it. */
  private decompose(f: Extract<Expr, { kind: "FunctionExpr" }>): Expr {
    const add = (expr: Expr, merge: Partial["merge"]) => {
      const name = `__quarry_p${this.partials.length}`;
      this.partials.push({ name, expr, merge });
      return col(name);
    };
    switch (f.name) {
      case "sum": return add(f, "sum");
      case "count": return add(f, "sum");
      case "min": return add(f, "min");
      case "max": return add(f, "max");
      case "avg": {
        const s = add(FunctionExpr.create("sum", [CastExpr.create(f.args[0], "double")]), "sum");
        const n = add(FunctionExpr.create("count", [f.args[0]]), "sum");
        return CaseWhenExpr.create([[BinaryExpr.create(">", n, LiteralExpr.create(0)), BinaryExpr.create("/", s, n)]], null);
      }
      default:
        throw new AnalysisError(`[STREAMING_AGGREGATE_NOT_MERGEABLE] ${f.name}() cannot be kept as streaming state in Quarry (its partial results do not merge across micro-batches). Supported in streaming aggregations: count, sum, min, max, avg/mean. Compute ${f.name} in a batch query over the sink's output instead.`, "STREAMING_AGGREGATE_NOT_MERGEABLE");
    }
  }

  private keyCol(i: number): string { return `__quarry_k${i}`; }

  async step(input: PlanNode, batchId: number, watermarkMs: number): Promise<StateStepResult> {
    const partial = AggregateNode.create(input, this.keys.map((k, i) => AliasExpr.create(k.expr, this.keyCol(i))), this.partials.map((p) => AliasExpr.create(p.expr, p.name)));
    await this.fixSchema(partial);
    const stateCols = [...this.keys.map((_, i) => this.keyCol(i)), ...this.partials.map((p) => p.name)];
    const before = WithColumnsNode.create(this.stateBefore(batchId), [{ name: UPD, expr: LiteralExpr.create(0) }]);
    // Windows the watermark already closed take no more rows (the pairs of a sliding window that
    // closed, as Spark drops them): their results were emitted and their state evicted.
    const open = this.evict?.isWindow && this.evict.index !== this.sessionKey && watermarkMs > 0
      ? FilterNode.create(partial, BinaryExpr.create(">", FieldExpr.create(col(this.keyCol(this.evict.index)), "end"), LiteralExpr.create(new Date(watermarkMs))))
      : partial;
    const batch = WithColumnsNode.create(open, [{ name: UPD, expr: LiteralExpr.create(1) }]);
    const union = SetOpNode.create(before, batch, "union", true, true, false);
    const merges = [...this.partials.map((p) => AliasExpr.create(FunctionExpr.create(p.merge, [col(p.name)]), p.name)), AliasExpr.create(FunctionExpr.create("max", [col(UPD)]), UPD)];
    const merged = this.df(this.sessionKey >= 0 ? this.mergeSessions(union, merges) : AggregateNode.create(union, this.keys.map((_, i) => col(this.keyCol(i))), merges)).cache();
    let evicted: Expr = LiteralExpr.create(false);
    if (this.evict && watermarkMs > 0) {
      const k = col(this.keyCol(this.evict.index));
      evicted = BinaryExpr.create("<=", this.evict.isWindow ? FieldExpr.create(k, "end") : k, LiteralExpr.create(new Date(watermarkMs)));
    }
    const emit: Expr = this.mode === "complete" ? LiteralExpr.create(true) : this.mode === "update" ? BinaryExpr.create("=", col(UPD), LiteralExpr.create(1)) : evicted;
    const output = ProjectNode.create(FilterNode.create(merged.plan, emit), [...this.keys.map((k, i) => AliasExpr.create(col(this.keyCol(i)), k.name)), ...this.finals]);
    const next = this.df(ProjectNode.create(FilterNode.create(merged.plan, UnaryExpr.create("NOT", evicted)), stateCols.map(col))).cache();
    try {
      const [m] = await this.df(AggregateNode.create(merged.plan, [], [
        AliasExpr.create(FunctionExpr.create("count", [{ kind: "StarExpr", qualifier: null }]), "total"),
        AliasExpr.create(FunctionExpr.create("sum", [col(UPD)]), "updated"),
        AliasExpr.create(FunctionExpr.create("count", [CaseWhenExpr.create([[evicted, LiteralExpr.create(1)]], null)]), "removed"),
      ])).collect();
      await this.snapshot(next, batchId);
      const total = Number(m["total"]), removed = Number(m["removed"]);
      return {
        output,
        progress: { operatorName: "stateStoreSave", numRowsTotal: total - removed, numRowsUpdated: Number(m["updated"] ?? 0), numRowsRemoved: removed, memoryUsedBytes: await dirBytes(path.join(this.dir, String(batchId))), numRowsDroppedByWatermark: 0 },
        commit: () => this.finish(next, [merged]),
        abort: async () => { await merged.unpersist(); await next.unpersist(); },
      };
    } catch (e) {
      await merged.unpersist(); await next.unpersist();
      throw e;
    }
  }
}

/** Streaming `dropDuplicates(cols)` / `distinct()`: the keys seen so far are the state. */
class StreamingDeduplication extends StateBase implements StatefulOperator {
  private readonly evictCol: string | null;

  constructor(session: Session, dir: string, private readonly columns: readonly string[] | null, watermark: WatermarkNode | null) {
    super(session, dir, { operator: "dropDuplicates", keys: columns ?? "all columns" }, "dropDuplicates");
    this.evictCol = watermark && columns?.some((c) => c.toLowerCase() === watermark.column.toLowerCase()) ? watermark.column : null;
  }

  async step(input: PlanNode, batchId: number, watermarkMs: number): Promise<StateStepResult> {
    const keys = this.columns ?? (await this.df(input).schema()).fields.map((f) => f.name);
    const keysPlan = ProjectNode.create(input, keys.map(col));
    await this.fixSchema(keysPlan);
    const distinct = DeduplicateNode.create(input, keys);
    // Null-safe key equality: a null key is a key like any other, as in Spark's state store.
    const seen = (k: string) => BinaryExpr.create("<=>", ColumnExpr.create(`__quarry_new.${k}`), ColumnExpr.create(`__quarry_seen.${k}`));
    const cond = keys.slice(1).reduce<Expr>((acc, k) => BinaryExpr.create("AND", acc, seen(k)), seen(keys[0]));
    const fresh = this.df(JoinNode.create(SubqueryAliasNode.create(distinct, "__quarry_new"), SubqueryAliasNode.create(this.stateBefore(batchId), "__quarry_seen"), { type: "condition", expr: cond }, "left_anti")).cache();
    // Rows come back in the input's column order.
    let nextPlan: PlanNode = SetOpNode.create(ProjectNode.create(this.stateBefore(batchId), keys.map(col)), ProjectNode.create(fresh.plan, keys.map(col)), "union", true, true, false);
    if (this.evictCol && watermarkMs > 0) nextPlan = FilterNode.create(nextPlan, BinaryExpr.create(">", col(this.evictCol), LiteralExpr.create(new Date(watermarkMs))));
    const next = this.df(nextPlan).cache();
    try {
      const [before, after, added] = await Promise.all([this.df(this.stateBefore(batchId)).count(), next.count(), fresh.count()]);
      await this.snapshot(next, batchId);
      return {
        output: fresh.plan,
        progress: { operatorName: "dedupe", numRowsTotal: after, numRowsUpdated: added, numRowsRemoved: before + added - after, memoryUsedBytes: await dirBytes(path.join(this.dir, String(batchId))), numRowsDroppedByWatermark: 0 },
        commit: () => this.finish(next, [fresh]),
        abort: async () => { await fresh.unpersist(); await next.unpersist(); },
      };
    } catch (e) {
      await fresh.unpersist(); await next.unpersist();
      throw e;
    }
  }
}

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else n += fs.statSync(p).size;
    }
  };
  try { walk(dir); } catch { /* not written */ }
  return n;
}

/** The operator for a query's stateful node. */
export function createStatefulOperator(session: Session, stateDir: string, op: StatefulOp, watermark: WatermarkNode | null, mode: OutputMode): StatefulOperator {
  if (op.kind === "aggregate") return new StreamingAggregation(session, stateDir, op.node, watermark, mode);
  return new StreamingDeduplication(session, stateDir, op.node.kind === "DeduplicateNode" ? op.node.columns : null, watermark);
}
