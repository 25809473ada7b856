import type { PlanNode } from "../visitor.js";

/** Removes duplicate rows. */
export interface DistinctNode {
  readonly kind: "DistinctNode";
  readonly child: PlanNode;
}

export const DistinctNode = {
  create(child: PlanNode): DistinctNode {
    return Object.freeze({ kind: "DistinctNode", child });
  },
};
