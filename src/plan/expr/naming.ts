/**
 * Spark's default output name of an unaliased expression (`sum(v)`, `(a + 1)`, `count(1)`),
 * so a program's column names are the same on every backend.
 */
import { typeToDDL } from "../types.js";
import type { Expr } from "./expr.js";

function lit(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (v instanceof Date) return `TIMESTAMP '${v.toISOString().replace("T", " ").replace("Z", "")}'`;
  if (Array.isArray(v)) return `array(${v.map(lit).join(", ")})`;
  return String(v);
}

/** The column name Spark would give `e` when it has no alias. */
export function exprName(e: Expr): string {
  switch (e.kind) {
    case "ColumnExpr": return e.nameParts[e.nameParts.length - 1];
    case "StarExpr": return e.qualifier ? `${e.qualifier}.*` : "*";
    case "LiteralExpr": return lit(e.value);
    case "AliasExpr": return e.name;
    case "BinaryExpr":
      if (e.op === "!=") return `(NOT (${exprName(e.left)} = ${exprName(e.right)}))`;
      return `(${exprName(e.left)} ${e.op} ${exprName(e.right)})`;
    case "UnaryExpr":
      switch (e.op) {
        case "NOT": return `(NOT ${exprName(e.child)})`;
        case "NEGATE": return `(- ${exprName(e.child)})`;
        case "IS NULL": return `(${exprName(e.child)} IS NULL)`;
        case "IS NOT NULL": return `(${exprName(e.child)} IS NOT NULL)`;
        case "IS NAN": return `isnan(${exprName(e.child)})`;
      }
      break;
    case "FunctionExpr": {
      if (e.name === "like") return `${exprName(e.args[0])} LIKE ${exprName(e.args[1])}`;
      if (e.name === "rlike") return `RLIKE(${exprName(e.args[0])}, ${exprName(e.args[1])})`;
      if (e.name === "count" && e.args.length === 1 && e.args[0].kind === "StarExpr") return "count(1)";
      const args = e.args.map(exprName).join(", ");
      return `${e.name}(${e.distinct ? "DISTINCT " : ""}${args})`;
    }
    case "CastExpr": return `CAST(${exprName(e.child)} AS ${typeToDDL(e.to)})`;
    case "CaseWhenExpr":
      return `CASE ${e.branches.map(([c, v]) => `WHEN ${exprName(c)} THEN ${exprName(v)}`).join(" ")}${e.otherwise ? ` ELSE ${exprName(e.otherwise)}` : ""} END`;
    case "InExpr": return `(${exprName(e.child)} IN (${e.values.map(exprName).join(", ")}))`;
    case "SortOrderExpr": return `${exprName(e.child)} ${e.direction.toUpperCase()} NULLS ${e.nulls.toUpperCase()}`;
    case "WindowExpr": {
      const parts: string[] = [];
      if (e.spec.partitionBy.length) parts.push(`PARTITION BY ${e.spec.partitionBy.map(exprName).join(", ")}`);
      if (e.spec.orderBy.length) parts.push(`ORDER BY ${e.spec.orderBy.map(exprName).join(", ")}`);
      return `${exprName(e.func)} OVER (${parts.join(" ")})`;
    }
    case "SqlExpr": return e.text;
    case "FieldExpr": return typeof e.field === "number" ? `${exprName(e.child)}[${e.field}]` : `${exprName(e.child)}.${e.field}`;
  }
  return "?";
}
