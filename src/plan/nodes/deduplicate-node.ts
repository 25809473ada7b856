import type { PlanNode } from "../visitor.js";

/** Keeps one row for each distinct value of `columns` (`dropDuplicates`). */
export interface DeduplicateNode {
  readonly kind: "DeduplicateNode";
  readonly child: PlanNode;
  readonly columns: readonly string[];
}

export const DeduplicateNode = {
  create(child: PlanNode, columns: readonly string[]): DeduplicateNode {
    return Object.freeze({ kind: "DeduplicateNode", child, columns });
  },
};
