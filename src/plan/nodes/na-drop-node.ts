import type { PlanNode } from "../visitor.js";

/** Drops rows with nulls (or NaN) in `subset` (all columns when null): `how` any/all, or fewer than `thresh` non-null values. */
export interface NaDropNode {
  readonly kind: "NaDropNode";
  readonly child: PlanNode;
  readonly how: "any" | "all";
  readonly thresh: number | null;
  readonly subset: readonly string[] | null;
}

export const NaDropNode = {
  create(child: PlanNode, how: "any" | "all", thresh: number | null, subset: readonly string[] | null): NaDropNode {
    return Object.freeze({ kind: "NaDropNode", child, how, thresh, subset });
  },
};
