import type { PlanNode } from "../visitor.js";

/** Union, intersection or difference of two inputs, by position or by name. */
export interface SetOpNode {
  readonly kind: "SetOpNode";
  readonly left: PlanNode;
  readonly right: PlanNode;
  readonly op: "union" | "intersect" | "except";
  readonly all: boolean;
  readonly byName: boolean;
  readonly allowMissingColumns: boolean;
}

export const SetOpNode = {
  create(left: PlanNode, right: PlanNode, op: "union" | "intersect" | "except", all: boolean, byName: boolean, allowMissingColumns: boolean): SetOpNode {
    return Object.freeze({ kind: "SetOpNode", left, right, op, all, byName, allowMissingColumns });
  },
};
