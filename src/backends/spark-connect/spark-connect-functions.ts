/**
 * How Quarry's functions and operators are called on Spark. Quarry names its functions as Spark
 * does, so the table only lists the names that differ; a function Quarry does not know
 * (not in plan/functions.ts) is unsupported rather than passed through unchecked.
 */
import type { BinaryOp } from "../../plan/expr/binary-expr.js";
import type { UnaryOp } from "../../plan/expr/unary-expr.js";
import { functionKind } from "../../plan/functions.js";
import { UnsupportedOperationError, q } from "../../errors.js";

/** Quarry function names whose Spark name differs. */
const RENAMED: Readonly<Record<string, string>> = {
  sum_distinct: "sum",
};

/** Spark's function for each binary operator (Spark Connect sends operators as functions). */
export const SPARK_BINARY_OPS: Readonly<Record<BinaryOp, string>> = {
  "+": "+", "-": "-", "*": "*", "/": "/", "%": "%",
  // `!=` is compiled as not(==), as Spark's own clients do (Spark has no `!=` function).
  "=": "==", "!=": "==", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
  AND: "and", OR: "or", "<=>": "<=>",
};

/** Spark's function for each unary operator. */
export const SPARK_UNARY_OPS: Readonly<Record<UnaryOp, string>> = {
  NOT: "not", NEGATE: "negative", "IS NULL": "isnull", "IS NOT NULL": "isnotnull", "IS NAN": "isnan",
};

/**
 * Spark's name for a Quarry function.
 * @throws UnsupportedOperationError for a name Quarry does not know.
 */
export function sparkFunctionName(name: string): string {
  if (functionKind(name) === undefined) {
    throw new UnsupportedOperationError(`Function ${q(name)} is not supported on the Spark Connect backend.`, "UNSUPPORTED_FUNCTION");
  }
  return RENAMED[name] ?? name;
}
