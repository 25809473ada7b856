import type { PlanNode } from "../visitor.js";
import type { Expr } from "../expr/expr.js";

/** Groups by `groupBy` and computes `aggs` per group; no grouping means one row for the whole input. */
export interface AggregateNode {
  readonly kind: "AggregateNode";
  readonly child: PlanNode;
  readonly groupBy: readonly Expr[];
  readonly aggs: readonly Expr[];
}

export const AggregateNode = {
  create(child: PlanNode, groupBy: readonly Expr[], aggs: readonly Expr[]): AggregateNode {
    return Object.freeze({ kind: "AggregateNode", child, groupBy, aggs });
  },
};
