/**
 * Where a micro-batch reads its rows once. For a query whose watermark sits on a row-preserving
 * chain over its only stream (projections, withColumn, aliases, drops, renames: the usual
 * `from_json(value) -> select("e.*") -> withWatermark`), the executor materializes the watermark's
 * input straight from the source's batch, with one 0/1 column per `from_json` call on the chain
 * that flags a non-null document PERMISSIVE parsing turned into null. One aggregate over that
 * table then gives the input row count (the chain keeps every row), the malformed-JSON count and
 * the event-time statistics, where the source's rows were otherwise cached, counted and parsed a
 * second time for the malformed count.
 */
import { AliasExpr, BinaryExpr, CaseWhenExpr, ColumnExpr, LiteralExpr, UnaryExpr, exprSome, type Expr } from "../plan/expr/index.js";
import { FUNCTION_KINDS, functionKind } from "../plan/functions.js";
import { ProjectNode, WithColumnsNode } from "../plan/nodes/index.js";
import { planSome, type PlanNode } from "../plan/visitor.js";
import type { QueryShape } from "./query-planner.js";

/** The watermark's input with the malformed-JSON flags carried up to it. */
export interface FlaggedInput {
  /** The watermark's child (still over the stream leaf) with the flag columns appended. */
  readonly plan: PlanNode;
  /** The flag columns: 1 where a `from_json` got a non-null document and returned null, else 0. */
  readonly flags: readonly string[];
  /** The plan nodes whose `from_json` calls the flags count (the executor counts no others there). */
  readonly covered: ReadonlySet<PlanNode>;
}

type FunctionCall = Extract<Expr, { kind: "FunctionExpr" }>;

const FLAG = "__quarry_malformed_json_";
// Names of aggregate and window functions, to tell a SQL-text expression that may fold rows.
const ROW_FOLDING = new RegExp(`\\b(${Object.entries(FUNCTION_KINDS).filter(([, k]) => k !== "scalar").map(([n]) => n).join("|")}|unnest|list|array_agg|string_agg|median|quantile\\w*|mode|any_value|arg_max|arg_min|bool_and|bool_or)\\s*\\(`, "i");
const STAR_TEXT = /^\s*([^*()'"]*\.)?\*(\s|$)/;

/** The expressions a row-preserving node computes (none for aliases, drops and renames). */
function nodeExprs(n: PlanNode): readonly Expr[] {
  return n.kind === "ProjectNode" ? n.exprs : n.kind === "WithColumnsNode" ? n.columns.map((c) => c.expr) : [];
}

/** The `from_json` calls of a projection or withColumns node, outermost first. */
export function fromJsonCalls(n: PlanNode): FunctionCall[] {
  const calls: FunctionCall[] = [];
  for (const e of nodeExprs(n)) exprSome(e, (x) => { if (x.kind === "FunctionExpr" && x.name === "from_json") calls.push(x); return false; });
  return calls;
}

/** The 0/1 flag of one `from_json` call: its document was not null but the result is. */
export function malformedFlag(call: FunctionCall): Expr {
  return CaseWhenExpr.create([[BinaryExpr.create("AND", UnaryExpr.create("IS NOT NULL", call.args[0]), UnaryExpr.create("IS NULL", call)), LiteralExpr.create(1)]], LiteralExpr.create(0));
}

/** Whether every expression of `n` keeps one output row per input row and none is a star. */
function keepsRows(n: PlanNode): boolean {
  return nodeExprs(n).every((e) => !exprSome(e, (x) =>
    x.kind === "WindowExpr"
    || (x.kind === "FunctionExpr" && functionKind(x.name) !== "scalar" && functionKind(x.name) !== undefined)
    || (x.kind === "SqlExpr" && (ROW_FOLDING.test(x.text) || STAR_TEXT.test(x.text)))));
}

/**
 * The flagged watermark input of `shape` within `plan`, or null when the query does not have that
 * form (no watermark, several streams, the stream read elsewhere too, or a node between the stream
 * and the watermark that can drop, add or fold rows): the executor then caches the source's rows.
 */
export function flaggedWatermarkInput(plan: PlanNode, shape: QueryShape): FlaggedInput | null {
  const wm = shape.watermark;
  if (!wm || shape.sources.length !== 1) return null;
  const source = shape.sources[0];
  let uses = 0;
  planSome(plan, (n) => { if (n === source) uses++; return false; });
  if (uses !== 1) return null;
  // The chain from the watermark down to the stream.
  const chain: PlanNode[] = [];
  for (let n: PlanNode = wm.child; n !== source; ) {
    if (!["ProjectNode", "WithColumnsNode", "SubqueryAliasNode", "DropNode", "RenameNode"].includes(n.kind) || !keepsRows(n)) return null;
    chain.push(n);
    n = (n as { readonly child: PlanNode }).child;
  }
  const flags: string[] = [];
  const covered = new Set<PlanNode>();
  const aliases: string[] = [];
  let rebuilt: PlanNode = source;
  for (const n of chain.reverse()) {
    const carried = flags.map((f) => ColumnExpr.create(f));
    const calls = fromJsonCalls(n);
    const added = calls.map((c, i) => ({ name: `${FLAG}${flags.length + i}`, expr: malformedFlag(c) }));
    if (calls.length) covered.add(n);
    switch (n.kind) {
      case "ProjectNode": {
        // `*` carries the flags already; whether `alias.*` does depends on where each flag was added.
        if (n.exprs.some((e) => e.kind === "StarExpr" && e.qualifier !== null && aliases.some((a) => a.toLowerCase() === e.qualifier!.toLowerCase()))) return null;
        const star = n.exprs.some((e) => e.kind === "StarExpr" && e.qualifier === null);
        rebuilt = ProjectNode.create(rebuilt, [...n.exprs, ...(star ? [] : carried), ...added.map((a) => AliasExpr.create(a.expr, a.name))]);
        break;
      }
      case "WithColumnsNode":
        rebuilt = WithColumnsNode.create(rebuilt, [...n.columns, ...added]);
        break;
      default:
        if (n.kind === "SubqueryAliasNode") aliases.push(n.alias);
        rebuilt = Object.freeze({ ...n, child: rebuilt }) as PlanNode;
    }
    flags.push(...added.map((a) => a.name));
  }
  return { plan: rebuilt, flags, covered };
}
