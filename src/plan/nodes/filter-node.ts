import type { PlanNode } from "../visitor.js";
import type { Expr } from "../expr/expr.js";

/** Keeps the rows where `condition` is true (`filter`/`where`). */
export interface FilterNode {
  readonly kind: "FilterNode";
  readonly child: PlanNode;
  readonly condition: Expr;
}

export const FilterNode = {
  create(child: PlanNode, condition: Expr): FilterNode {
    return Object.freeze({ kind: "FilterNode", child, condition });
  },
};
