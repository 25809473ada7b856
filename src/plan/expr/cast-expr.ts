import type { DataType } from "../types.js";
import type { Expr } from "./expr.js";
/** `CAST(x AS type)`; with `safe`, a value that does not convert becomes null (`try_cast`). */
export interface CastExpr { readonly kind: "CastExpr"; readonly child: Expr; readonly to: DataType; readonly safe: boolean }
export const CastExpr = {
  create(child: Expr, to: DataType, safe = false): CastExpr { return Object.freeze({ kind: "CastExpr", child, to, safe }); },
};
