import type { Expr } from "./expr.js";
/** `x IN (v1, v2, ...)`. An empty list is false. */
export interface InExpr { readonly kind: "InExpr"; readonly child: Expr; readonly values: readonly Expr[] }
export const InExpr = {
  create(child: Expr, values: readonly Expr[]): InExpr { return Object.freeze({ kind: "InExpr", child, values: Object.freeze([...values]) }); },
};
