import type { PlanNode } from "../visitor.js";

/** Keeps each row whose pseudo-random draw (a function of the row, its duplicate index and `seed`) falls in [lowerBound, upperBound). */
export interface SampleNode {
  readonly kind: "SampleNode";
  readonly child: PlanNode;
  readonly lowerBound: number;
  readonly upperBound: number;
  readonly withReplacement: boolean;
  readonly seed: number;
}

export const SampleNode = {
  create(child: PlanNode, lowerBound: number, upperBound: number, withReplacement: boolean, seed: number): SampleNode {
    return Object.freeze({ kind: "SampleNode", child, lowerBound, upperBound, withReplacement, seed });
  },
};
