import type { Expr } from "./expr.js";
import type { SortOrderExpr } from "./sort-order-expr.js";
/** A frame boundary: a row/range offset from the current row, or unbounded. */
export type FrameBound = number | "unboundedPreceding" | "unboundedFollowing" | "currentRow";
export interface WindowFrame { readonly type: "rows" | "range"; readonly start: FrameBound; readonly end: FrameBound }
export interface WindowSpec { readonly partitionBy: readonly Expr[]; readonly orderBy: readonly SortOrderExpr[]; readonly frame: WindowFrame | null }
/** `func OVER (PARTITION BY ... ORDER BY ... frame)`. */
export interface WindowExpr { readonly kind: "WindowExpr"; readonly func: Expr; readonly spec: WindowSpec }
export const WindowExpr = {
  create(func: Expr, spec: WindowSpec): WindowExpr { return Object.freeze({ kind: "WindowExpr", func, spec }); },
};
