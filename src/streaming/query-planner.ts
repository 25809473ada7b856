/**
 * Checks a streaming plan against Spark's rules for what a micro-batch engine can run
 * (Spark's UnsupportedOperationChecker, as its documentation states them) and finds its parts:
 * the stream leaves, the watermark, and the one stateful operator. Every refusal happens at
 * `start()`, with Spark's wording and what to do instead.
 */
import { AnalysisError } from "../errors.js";
import { BinaryExpr, ColumnExpr, LiteralExpr, SqlExpr, exprSome, unalias, type Expr } from "../plan/expr/index.js";
import { parseDurationMs } from "../plan/interval.js";
import { functionKind } from "../plan/functions.js";
import { isStreamingPlan, nodeChildren, planSome, type PlanNode } from "../plan/visitor.js";
import type { AggregateNode, DeduplicateNode, DistinctNode, StreamSourceNode, WatermarkNode } from "../plan/nodes/index.js";

export type OutputMode = "append" | "update" | "complete";

/** The stateful operator of a query. */
export type StatefulOp =
  | { readonly kind: "aggregate"; readonly node: AggregateNode }
  | { readonly kind: "dedup"; readonly node: DeduplicateNode | DistinctNode };

/** What the engine needs to know about a streaming plan. */
export interface QueryShape {
  readonly sources: readonly StreamSourceNode[];
  readonly watermark: WatermarkNode | null;
  readonly stateful: StatefulOp | null;
}

const unsupported = (msg: string) => new AnalysisError(msg, "STREAMING_UNSUPPORTED_OPERATION");

function nodeExprs(n: PlanNode): readonly Expr[] {
  switch (n.kind) {
    case "ProjectNode": return n.exprs;
    case "FilterNode": return [n.condition];
    case "AggregateNode": return [...n.groupBy, ...n.aggs];
    case "WithColumnsNode": return n.columns.map((c) => c.expr);
    case "SortNode": return n.orders;
    case "JoinNode": return n.on && n.on.type === "condition" ? [n.on.expr] : [];
    default: return [];
  }
}

/** Analyses `plan` for `outputMode`; throws Spark-like errors for what micro-batches cannot run. */
export function planStreamingQuery(plan: PlanNode, outputMode: OutputMode): QueryShape {
  const sources: StreamSourceNode[] = [];
  const watermarks: WatermarkNode[] = [];
  const statefuls: StatefulOp[] = [];
  const walk = (n: PlanNode): void => {
    const streaming = isStreamingPlan(n);
    if (streaming) {
      for (const e of nodeExprs(n)) {
        if (exprSome(e, (x) => x.kind === "WindowExpr")) throw unsupported("Non-time-based windows are not supported on streaming DataFrames/Datasets: over(Window...) needs the whole input. Use an event-time F.window(...) in groupBy instead.");
      }
    }
    switch (n.kind) {
      case "StreamSourceNode": sources.push(n); return;
      case "WatermarkNode": watermarks.push(n); break;
      case "AggregateNode":
        if (streaming) {
          statefuls.push({ kind: "aggregate", node: n });
          walk(n.child);
          return;
        }
        break;
      case "DeduplicateNode": case "DistinctNode":
        if (streaming) { statefuls.push({ kind: "dedup", node: n }); walk(n.child); return; }
        break;
      case "SortNode":
        if (streaming && !(planSome(n.child, (x) => x.kind === "AggregateNode" && isStreamingPlan(x)) && outputMode === "complete")) throw unsupported("Sorting is not supported on streaming DataFrames/Datasets, unless it is on aggregated DataFrame/Dataset in Complete output mode. Sort the results where you read them (e.g. spark.sql(\"... ORDER BY ...\") on a memory sink).");
        break;
      case "LimitNode":
        if (streaming) throw unsupported("Limits are not supported on streaming DataFrames/Datasets in Quarry. Limit the results where you read them.");
        break;
      case "DescribeNode":
        if (streaming) throw unsupported("describe() is not supported on streaming DataFrames/Datasets; describe the sink's output instead.");
        break;
      case "SetOpNode": {
        const l = isStreamingPlan(n.left), r = isStreamingPlan(n.right);
        if (n.op !== "union" && (l || r)) throw unsupported(`${n.op === "intersect" ? "Intersect" : "Except"} is not supported on streaming DataFrames/Datasets.`);
        if (l !== r) throw unsupported("Union between streaming and batch DataFrames/Datasets is not supported: union two streams, or join the stream with the batch DataFrame.");
        break;
      }
      case "JoinNode": {
        const l = isStreamingPlan(n.left), r = isStreamingPlan(n.right);
        if (l && r) throw unsupported("Stream-stream joins are not supported in Quarry yet; join the stream with a static DataFrame.");
        if (l && !["inner", "left", "left_semi", "left_anti", "cross"].includes(n.how)) throw unsupported(`A ${n.how} outer join with a streaming DataFrame on the left is not supported: the result would need every future stream row. Use inner, left outer or left semi, with the stream on the left.`);
        if (r && n.how !== "inner") throw unsupported(`A ${n.how.replace("_", " ")} join with a streaming DataFrame on the right is not supported; put the stream on the left (inner, left outer or left semi).`);
        if (l && n.how === "left_anti") throw unsupported("Left anti joins of a stream with a static DataFrame are not supported in Quarry yet.");
        break;
      }
      default: break;
    }
    for (const c of nodeChildren(n)) walk(c);
  };
  walk(plan);
  if (statefuls.length > 1) throw unsupported("Multiple streaming aggregations (or an aggregation with dropDuplicates) are not supported with streaming DataFrames/Datasets. Write the first result to a sink and read it as a new stream.");
  if (watermarks.length > 1) throw unsupported("More than one withWatermark(...) in a streaming query is not supported in Quarry yet; set the watermark once, on the event-time column.");
  const stateful = statefuls[0] ?? null;
  const watermark = watermarks[0] ?? null;
  if (outputMode === "complete" && stateful?.kind !== "aggregate") {
    throw unsupported("Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets. Use append mode, or aggregate (groupBy(...).agg(...)).");
  }
  if (stateful?.kind === "aggregate") {
    for (const a of stateful.node.aggs) {
      if (exprSome(a, (x) => x.kind === "FunctionExpr" && functionKind(x.name) === "aggregate" && x.distinct)) {
        throw unsupported("Distinct aggregations (countDistinct, sumDistinct) are not supported on streaming DataFrames/Datasets. Use approx_count_distinct in a batch query over the sink, or dropDuplicates before counting.");
      }
    }
    if (outputMode === "update" && stateful.node.groupBy.some((k) => { const u = unalias(k); return u.kind === "FunctionExpr" && u.name === "session_window"; })) {
      throw unsupported("Update output mode is not supported for session window aggregations on streaming DataFrames/Datasets (a session can still grow or merge). Use append (with a watermark) or complete mode.");
    }
    if (outputMode === "append") {
      if (!watermark) throw unsupported("Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark. Add withWatermark(eventTime, delay) and group by F.window(eventTime, ...), or use update/complete mode.");
      if (eventTimeKey(stateful.node, watermark) === null) {
        throw unsupported(`Append output mode needs the event-time column ${JSON.stringify(watermark.column)} (or a F.window over it) among the groupBy keys, so a group can be finalized when the watermark passes it.`);
      }
    }
  }
  return { sources, watermark, stateful };
}

/** The index of the grouping key that carries event time (a window over it, or the column itself), or null. */
export function eventTimeKey(agg: AggregateNode, wm: WatermarkNode): { index: number; isWindow: boolean } | null {
  const isWm = (e: Expr) => e.kind === "ColumnExpr" && e.text.toLowerCase() === wm.column.toLowerCase();
  for (let i = 0; i < agg.groupBy.length; i++) {
    const k = unalias(agg.groupBy[i]);
    if (k.kind === "FunctionExpr" && (k.name === "window" || k.name === "session_window") && isWm(k.args[0])) return { index: i, isWindow: true };
    if (isWm(k)) return { index: i, isWindow: false };
  }
  return null;
}

/** The engine SQL (Spark-style backticked name) for an event-time column as epoch milliseconds. */
export function eventTimeMsSql(column: string): string {
  return `epoch_ms(CAST(\`${column.replace(/`/g, "``")}\` AS TIMESTAMPTZ))`;
}

/**
 * The rows that the watermark `wmMs` makes late for a stateful operator, decided as Spark does: for
 * an aggregation keyed by `window(ts, size, slide, start)` a row is late when every window that
 * contains it has ended at or before the watermark (a row of a window still open is aggregated
 * even when its own time is behind the watermark); otherwise when its event time is at or before
 * the watermark. (Pairs of a sliding window that already closed are dropped by the aggregation.)
 */
export function lateRowCondition(op: StatefulOp | null, wm: WatermarkNode, wmMs: number): Expr {
  if (!(wmMs > 0)) return LiteralExpr.create(false);
  const key = op?.kind === "aggregate" ? eventTimeKey(op.node, wm) : null;
  const k = key?.isWindow && op?.kind === "aggregate" ? unalias(op.node.groupBy[key.index]) : null;
  if (k && k.kind === "FunctionExpr" && k.name === "window") {
    const lit = (i: number): string => { const a = k.args[i]; return a.kind === "LiteralExpr" ? String(a.value) : "0 seconds"; };
    const size = parseDurationMs(lit(1), "window duration");
    const slide = parseDurationMs(lit(2), "window slide duration");
    const start = parseDurationMs(lit(3), "window start time");
    const ms = eventTimeMsSql(wm.column);
    // The watermark stays out of the SQL text, so the engine parses that text once per query, not per batch.
    return BinaryExpr.create("<=", SqlExpr.create(`floor((${ms} - ${start}) / ${slide}) * ${slide} + ${start} + ${size}`), LiteralExpr.create(wmMs));
  }
  return BinaryExpr.create("<=", ColumnExpr.create(wm.column), LiteralExpr.create(new Date(wmMs)));
}
