import type { PlanNode } from "../visitor.js";

/** Renames columns (`withColumnRenamed`); a missing name is a no-op, as in Spark. */
export interface RenameNode {
  readonly kind: "RenameNode";
  readonly child: PlanNode;
  readonly renames: readonly (readonly [string, string])[];
}

export const RenameNode = {
  create(child: PlanNode, renames: readonly (readonly [string, string])[]): RenameNode {
    return Object.freeze({ kind: "RenameNode", child, renames });
  },
};
