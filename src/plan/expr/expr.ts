import type { AliasExpr } from "./alias-expr.js";
import type { BinaryExpr } from "./binary-expr.js";
import type { CaseWhenExpr } from "./case-when-expr.js";
import type { CastExpr } from "./cast-expr.js";
import type { ColumnExpr } from "./column-expr.js";
import type { FieldExpr } from "./field-expr.js";
import type { FunctionExpr } from "./function-expr.js";
import type { InExpr } from "./in-expr.js";
import type { LiteralExpr } from "./literal-expr.js";
import type { SortOrderExpr } from "./sort-order-expr.js";
import type { SqlExpr } from "./sql-expr.js";
import type { StarExpr } from "./star-expr.js";
import type { UnaryExpr } from "./unary-expr.js";
import type { WindowExpr } from "./window-expr.js";

/** Every expression kind. Backends handle each in a `Record<ExprKind, ...>`, so a new kind fails type-checking until every backend handles it. */
export type Expr =
  | AliasExpr | BinaryExpr | CaseWhenExpr | CastExpr | ColumnExpr | FieldExpr | FunctionExpr | InExpr
  | LiteralExpr | SortOrderExpr | SqlExpr | StarExpr | UnaryExpr | WindowExpr;
export type ExprKind = Expr["kind"];
export type ExprOfKind<K extends ExprKind> = Extract<Expr, { kind: K }>;

/** The direct children of an expression. */
export function exprChildren(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case "AliasExpr": case "CastExpr": case "UnaryExpr": case "SortOrderExpr": case "FieldExpr": return [e.child];
    case "BinaryExpr": return [e.left, e.right];
    case "CaseWhenExpr": return [...e.branches.flat(), ...(e.otherwise ? [e.otherwise] : [])];
    case "FunctionExpr": return e.args;
    case "InExpr": return [e.child, ...e.values];
    case "WindowExpr": return [e.func, ...e.spec.partitionBy, ...e.spec.orderBy];
    case "ColumnExpr": case "LiteralExpr": case "SqlExpr": case "StarExpr": return [];
  }
}

/** The expression under any aliases (`F.window(...).alias("w")` -> the window call). */
export function unalias(e: Expr): Expr {
  return e.kind === "AliasExpr" ? unalias(e.child) : e;
}

/** True when `pred` holds for `e` or any expression inside it. */
export function exprSome(e: Expr, pred: (x: Expr) => boolean): boolean {
  return pred(e) || exprChildren(e).some((c) => exprSome(c, pred));
}
