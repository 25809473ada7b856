import type { PlanNode } from "../visitor.js";
import type { Expr } from "../expr/expr.js";

/** Computes a list of expressions from each input row (`select`). */
export interface ProjectNode {
  readonly kind: "ProjectNode";
  readonly child: PlanNode;
  readonly exprs: readonly Expr[];
}

export const ProjectNode = {
  create(child: PlanNode, exprs: readonly Expr[]): ProjectNode {
    return Object.freeze({ kind: "ProjectNode", child, exprs });
  },
};
