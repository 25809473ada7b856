import type { PlanNode } from "../visitor.js";
import type { Expr } from "../expr/expr.js";

/** Spark's join types (aliases are normalised by the API). */
export type JoinType = "inner" | "left" | "right" | "full" | "left_semi" | "left_anti" | "cross";
/** USING columns, a condition, or nothing (cross join). */
export type JoinOn = { readonly type: "using"; readonly columns: readonly string[] } | { readonly type: "condition"; readonly expr: Expr } | null;

/** Joins two inputs: on shared column names (one output column per key, Spark's USING) or on a condition. */
export interface JoinNode {
  readonly kind: "JoinNode";
  readonly left: PlanNode;
  readonly right: PlanNode;
  readonly on: JoinOn;
  readonly how: JoinType;
}

export const JoinNode = {
  create(left: PlanNode, right: PlanNode, on: JoinOn, how: JoinType): JoinNode {
    return Object.freeze({ kind: "JoinNode", left, right, on, how });
  },
};
