import type { PlanNode } from "../visitor.js";

/** Replaces nulls: one value for every column of a matching type, or a value per column. */
export interface NaFillNode {
  readonly kind: "NaFillNode";
  readonly child: PlanNode;
  readonly value: unknown;
  readonly perColumn: Readonly<Record<string, unknown>> | null;
  readonly subset: readonly string[] | null;
}

export const NaFillNode = {
  create(child: PlanNode, value: unknown, perColumn: Readonly<Record<string, unknown>> | null, subset: readonly string[] | null): NaFillNode {
    return Object.freeze({ kind: "NaFillNode", child, value, perColumn, subset });
  },
};
