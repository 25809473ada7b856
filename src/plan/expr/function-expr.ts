import type { Expr } from "./expr.js";
/** A call of a named function (scalar, aggregate or window); names are Spark's, lower case. */
export interface FunctionExpr { readonly kind: "FunctionExpr"; readonly name: string; readonly args: readonly Expr[]; readonly distinct: boolean }
export const FunctionExpr = {
  create(name: string, args: readonly Expr[], distinct = false): FunctionExpr {
    return Object.freeze({ kind: "FunctionExpr", name: name.toLowerCase(), args: Object.freeze([...args]), distinct });
  },
};
