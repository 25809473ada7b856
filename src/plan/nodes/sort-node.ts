import type { PlanNode } from "../visitor.js";
import type { SortOrderExpr } from "../expr/sort-order-expr.js";

/** Orders the rows (`orderBy`/`sort`). */
export interface SortNode {
  readonly kind: "SortNode";
  readonly child: PlanNode;
  readonly orders: readonly SortOrderExpr[];
}

export const SortNode = {
  create(child: PlanNode, orders: readonly SortOrderExpr[]): SortNode {
    return Object.freeze({ kind: "SortNode", child, orders });
  },
};
