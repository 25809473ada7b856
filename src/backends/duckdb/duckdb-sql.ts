/**
 * Safe SQL text for DuckDB: every identifier is quoted and every literal escaped here, so a
 * user string can never change a query's structure.
 */
import { IllegalArgumentError } from "../../errors.js";

/** `"name"` with embedded quotes doubled. */
export function ident(name: string): string {
  if (name.includes("\u0000")) throw new IllegalArgumentError(`Identifier ${JSON.stringify(name)} contains a NUL character.`);
  return '"' + name.replace(/"/g, '""') + '"';
}

/** `'text'` with embedded quotes doubled (DuckDB's standard strings do not treat backslash specially). */
export function str(s: string): string {
  if (s.includes("\u0000")) throw new IllegalArgumentError(`String ${JSON.stringify(s.slice(0, 40))} contains a NUL character, which DuckDB strings cannot hold.`);
  return "'" + s.replace(/'/g, "''") + "'";
}

/** A list literal of strings: `['a', 'b']`. */
export function strList(items: readonly string[]): string {
  return "[" + items.map(str).join(", ") + "]";
}

/** A number as a DOUBLE literal, including NaN and infinities. */
export function doubleLit(v: number): string {
  if (Number.isNaN(v)) return "CAST('NaN' AS DOUBLE)";
  if (v === Infinity) return "CAST('Infinity' AS DOUBLE)";
  if (v === -Infinity) return "CAST('-Infinity' AS DOUBLE)";
  // A quoted literal is parsed as a double directly; a bare one goes through DECIMAL and can lose the last bit.
  return `CAST('${Object.is(v, -0) ? "-0.0" : String(v)}' AS DOUBLE)`;
}

/** An integer literal (validated to be an integer, so no text can slip in). */
export function intLit(v: number | bigint): string {
  if (typeof v === "bigint") return v.toString();
  if (!Number.isInteger(v)) throw new IllegalArgumentError(`Expected an integer, got ${v}.`);
  return String(v);
}
