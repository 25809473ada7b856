import type { PlanNode } from "../visitor.js";

/** The first `n` rows. */
export interface LimitNode {
  readonly kind: "LimitNode";
  readonly child: PlanNode;
  readonly n: number;
}

export const LimitNode = {
  create(child: PlanNode, n: number): LimitNode {
    return Object.freeze({ kind: "LimitNode", child, n });
  },
};
