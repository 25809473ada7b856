import type { Expr } from "./expr.js";
/** Arithmetic, comparison and boolean operators, spelled as in SQL. `<=>` is null-safe equality. */
export type BinaryOp = "+" | "-" | "*" | "/" | "%" | "=" | "!=" | "<" | "<=" | ">" | ">=" | "AND" | "OR" | "<=>";
export interface BinaryExpr { readonly kind: "BinaryExpr"; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
export const BinaryExpr = {
  create(op: BinaryOp, left: Expr, right: Expr): BinaryExpr { return Object.freeze({ kind: "BinaryExpr", op, left, right }); },
};
