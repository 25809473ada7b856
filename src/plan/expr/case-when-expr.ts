import type { Expr } from "./expr.js";
/** `CASE WHEN c1 THEN v1 ... ELSE otherwise END`; a missing otherwise yields null. */
export interface CaseWhenExpr {
  readonly kind: "CaseWhenExpr";
  readonly branches: readonly (readonly [Expr, Expr])[];
  readonly otherwise: Expr | null;
}
export const CaseWhenExpr = {
  create(branches: readonly (readonly [Expr, Expr])[], otherwise: Expr | null): CaseWhenExpr {
    return Object.freeze({ kind: "CaseWhenExpr", branches: Object.freeze(branches.map((b) => Object.freeze([b[0], b[1]] as const))), otherwise });
  },
};
