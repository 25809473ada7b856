import type { Expr } from "./expr.js";
/** A sort key. Spark's defaults: ascending puts nulls first, descending puts nulls last. */
export interface SortOrderExpr { readonly kind: "SortOrderExpr"; readonly child: Expr; readonly direction: "asc" | "desc"; readonly nulls: "first" | "last" }
export const SortOrderExpr = {
  create(child: Expr, direction: "asc" | "desc", nulls?: "first" | "last"): SortOrderExpr {
    return Object.freeze({ kind: "SortOrderExpr", child, direction, nulls: nulls ?? (direction === "asc" ? "first" : "last") });
  },
};
