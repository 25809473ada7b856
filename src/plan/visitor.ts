/**
 * The plan: a tree of frozen, tagged nodes. A backend compiles it with a visitor typed
 * `Record<NodeKind, handler>`, so forgetting a node kind fails type-checking, not a user.
 */
import type { ReadNode } from "./nodes/read-node.js";
import type { RangeNode } from "./nodes/range-node.js";
import type { LocalRelationNode } from "./nodes/local-relation-node.js";
import type { SqlNode } from "./nodes/sql-node.js";
import type { TableNode } from "./nodes/table-node.js";
import type { ProjectNode } from "./nodes/project-node.js";
import type { FilterNode } from "./nodes/filter-node.js";
import type { AggregateNode } from "./nodes/aggregate-node.js";
import type { JoinNode } from "./nodes/join-node.js";
import type { SortNode } from "./nodes/sort-node.js";
import type { LimitNode } from "./nodes/limit-node.js";
import type { DistinctNode } from "./nodes/distinct-node.js";
import type { DeduplicateNode } from "./nodes/deduplicate-node.js";
import type { SetOpNode } from "./nodes/set-op-node.js";
import type { SampleNode } from "./nodes/sample-node.js";
import type { WithColumnsNode } from "./nodes/with-columns-node.js";
import type { RenameNode } from "./nodes/rename-node.js";
import type { DropNode } from "./nodes/drop-node.js";
import type { NaDropNode } from "./nodes/na-drop-node.js";
import type { NaFillNode } from "./nodes/na-fill-node.js";
import type { DescribeNode } from "./nodes/describe-node.js";
import type { SubqueryAliasNode } from "./nodes/subquery-alias-node.js";
import type { StreamSourceNode } from "./nodes/stream-source-node.js";
import type { WatermarkNode } from "./nodes/watermark-node.js";

export type PlanNode =
  | ReadNode
  | RangeNode
  | LocalRelationNode
  | SqlNode
  | TableNode
  | ProjectNode
  | FilterNode
  | AggregateNode
  | JoinNode
  | SortNode
  | LimitNode
  | DistinctNode
  | DeduplicateNode
  | SetOpNode
  | SampleNode
  | WithColumnsNode
  | RenameNode
  | DropNode
  | NaDropNode
  | NaFillNode
  | DescribeNode
  | SubqueryAliasNode
  | StreamSourceNode
  | WatermarkNode;
export type NodeKind = PlanNode["kind"];
export type NodeOfKind<K extends NodeKind> = Extract<PlanNode, { kind: K }>;

/** One handler per node kind. */
export type NodeVisitor<R, C = void> = { readonly [K in NodeKind]: (node: NodeOfKind<K>, ctx: C) => R };

/** Calls the handler for `node`'s kind. */
export function visitNode<R, C>(visitor: NodeVisitor<R, C>, node: PlanNode, ctx: C): R {
  return (visitor[node.kind] as (n: PlanNode, c: C) => R)(node, ctx);
}

/** True when `pred` holds for `p` or any node below it. */
export function planSome(p: PlanNode, pred: (n: PlanNode) => boolean): boolean {
  return pred(p) || nodeChildren(p).some((c) => planSome(c, pred));
}

/** True when the plan reads a stream (`spark.readStream`). */
export function isStreamingPlan(p: PlanNode): boolean {
  return planSome(p, (n) => n.kind === "StreamSourceNode");
}

/** The input nodes of `node`. */
export function nodeChildren(node: PlanNode): PlanNode[] {
  const out: PlanNode[] = [];
  for (const key of ["child", "left", "right"] as const) {
    const v = (node as unknown as Record<string, unknown>)[key];
    if (v && typeof v === "object" && "kind" in v) out.push(v as PlanNode);
  }
  return out;
}
