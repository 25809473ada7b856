import type { PlanNode } from "../visitor.js";

/** Spark's `describe`: count, mean, stddev, min, max of columns, as strings. */
export interface DescribeNode {
  readonly kind: "DescribeNode";
  readonly child: PlanNode;
  readonly columns: readonly string[];
}

export const DescribeNode = {
  create(child: PlanNode, columns: readonly string[]): DescribeNode {
    return Object.freeze({ kind: "DescribeNode", child, columns });
  },
};
