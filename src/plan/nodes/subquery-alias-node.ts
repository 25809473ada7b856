import type { PlanNode } from "../visitor.js";

/** Names an input so its columns can be referred to as `alias.column`. */
export interface SubqueryAliasNode {
  readonly kind: "SubqueryAliasNode";
  readonly child: PlanNode;
  readonly alias: string;
}

export const SubqueryAliasNode = {
  create(child: PlanNode, alias: string): SubqueryAliasNode {
    return Object.freeze({ kind: "SubqueryAliasNode", child, alias });
  },
};
