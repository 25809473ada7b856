import type { Expr } from "./expr.js";
export type UnaryOp = "NOT" | "NEGATE" | "IS NULL" | "IS NOT NULL" | "IS NAN";
/** `NOT x`, `-x`, `x IS NULL`, `x IS NOT NULL`, `isnan(x)`. */
export interface UnaryExpr { readonly kind: "UnaryExpr"; readonly op: UnaryOp; readonly child: Expr }
export const UnaryExpr = {
  create(op: UnaryOp, child: Expr): UnaryExpr { return Object.freeze({ kind: "UnaryExpr", op, child }); },
};
