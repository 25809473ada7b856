import type { PlanNode } from "../visitor.js";

/** Removes columns by name; a missing name is a no-op, as in Spark. */
export interface DropNode {
  readonly kind: "DropNode";
  readonly child: PlanNode;
  readonly columns: readonly string[];
}

export const DropNode = {
  create(child: PlanNode, columns: readonly string[]): DropNode {
    return Object.freeze({ kind: "DropNode", child, columns });
  },
};
