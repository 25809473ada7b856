import type { DataType } from "../types.js";
/** A constant. `dataType` is set when the user gave one or the value's JS type decides it. */
export interface LiteralExpr { readonly kind: "LiteralExpr"; readonly value: unknown; readonly dataType: DataType }

/** Spark's literal typing for a JS value: integers that fit 32 bits are `int`, other numbers `double`. */
export function literalType(value: unknown): DataType {
  if (value === null || value === undefined) return "void";
  if (typeof value === "number") return Number.isInteger(value) && Math.abs(value) <= 2147483647 ? "int" : Number.isInteger(value) && Number.isSafeInteger(value) ? "bigint" : "double";
  if (typeof value === "bigint") return "bigint";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  if (value instanceof Date) return "timestamp";
  if (value instanceof Uint8Array) return "binary";
  if (Array.isArray(value)) {
    const first = value.find((v) => v !== null && v !== undefined);
    return { type: "array", elementType: first === undefined ? "void" : literalType(first), containsNull: true };
  }
  throw new TypeError(`Cannot make a literal from ${typeof value} ${String(value)}: use a number, bigint, string, boolean, Date, Uint8Array, array or null.`);
}

export const LiteralExpr = {
  create(value: unknown, dataType?: DataType): LiteralExpr {
    const v = value === undefined ? null : value;
    return Object.freeze({ kind: "LiteralExpr", value: Array.isArray(v) ? Object.freeze([...v]) : v, dataType: dataType ?? literalType(v) });
  },
};
