/**
 * The value mapping every backend shares (DESIGN.md): 64-bit integers come back as exact numbers
 * (an error naming the column otherwise) or as bigint, and rows are plain objects with a fixed
 * property order.
 */
import { ExecutionError, q } from "../errors.js";

/** How 64-bit integers come back: exact numbers (error when not exact) or bigint. */
export type Int64Mode = "number" | "bigint";

/** The error for a 64-bit value that a JavaScript number cannot hold exactly. */
export function int64Error(column: string, value: bigint): ExecutionError {
  return new ExecutionError(
    `Column ${q(column)} holds the 64-bit integer ${value}, which a JavaScript number cannot represent exactly. ` +
      `Set .config("quarry.int64", "bigint") on the session to get bigint values, or cast the column to double or string.`,
    "INT64_NOT_REPRESENTABLE",
  );
}

type RowMaker = (cols: ArrayLike<unknown>[], i: number) => Record<string, unknown>;
const makers = new Map<string, RowMaker>();

/** A function that builds one row object from column arrays, with a fixed property order (cached per column list). */
export function rowMaker(names: readonly string[]): RowMaker {
  const key = JSON.stringify(names);
  let make = makers.get(key);
  if (!make) {
    const body = `return { ${names.map((nm, j) => `${JSON.stringify(nm)}: c[${j}][i]`).join(", ")} };`;
    make = new Function("c", "i", body) as RowMaker;
    if (makers.size > 1000) makers.clear();
    makers.set(key, make);
  }
  return make;
}
