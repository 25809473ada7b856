import type { Expr } from "./expr.js";
/** Gives an expression an output name. */
export interface AliasExpr { readonly kind: "AliasExpr"; readonly child: Expr; readonly name: string }
export const AliasExpr = {
  create(child: Expr, name: string): AliasExpr { return Object.freeze({ kind: "AliasExpr", child, name }); },
};
