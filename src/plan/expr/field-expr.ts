import type { Expr } from "./expr.js";
/** `struct.field` or `array[index]` access. */
export interface FieldExpr { readonly kind: "FieldExpr"; readonly child: Expr; readonly field: string | number }
export const FieldExpr = {
  create(child: Expr, field: string | number): FieldExpr { return Object.freeze({ kind: "FieldExpr", child, field }); },
};
