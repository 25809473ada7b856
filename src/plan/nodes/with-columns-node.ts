import type { PlanNode } from "../visitor.js";
import type { Expr } from "../expr/expr.js";

/** Adds or replaces columns by name (`withColumn`). */
export interface WithColumnsNode {
  readonly kind: "WithColumnsNode";
  readonly child: PlanNode;
  readonly columns: readonly { readonly name: string; readonly expr: Expr }[];
}

export const WithColumnsNode = {
  create(child: PlanNode, columns: readonly { readonly name: string; readonly expr: Expr }[]): WithColumnsNode {
    return Object.freeze({ kind: "WithColumnsNode", child, columns });
  },
};
