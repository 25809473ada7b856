/** Spark-style text tables for `show()`. */
import type { StructType } from "../plan/types.js";
import type { Row } from "../backends/backend.js";

function cell(v: unknown, floating = false): string {
  if (v === null || v === undefined) return "NULL";
  if (floating && typeof v === "number") return javaDouble(v);
  if (v instanceof Date) {
    const iso = v.toISOString();
    return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso.replace("T", " ").replace(/\.000Z$/, "").replace("Z", "");
  }
  if (Array.isArray(v)) return "[" + v.map((x) => cell(x, floating)).join(", ") + "]";
  if (v instanceof Uint8Array) return "[" + Array.from(v, (b) => b.toString(16).toUpperCase().padStart(2, "0")).join(" ") + "]";
  if (typeof v === "object") return "{" + Object.values(v as object).map((x) => cell(x)).join(", ") + "}";
  return String(v);
}

/** A double as Java prints it (Spark's show): 2.0, 1.0E10, NaN, Infinity. */
export function javaDouble(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e7) { const s = String(v); return s.includes(".") || s.includes("e") ? s : s + ".0"; }
  const [m, e] = v.toExponential().split("e");
  return `${m.includes(".") ? m : m + ".0"}E${e.startsWith("+") ? e.slice(1) : e}`;
}

/** Width in terminal columns, counting wide (CJK, emoji) characters as two. */
function width(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    w += (cp >= 0x1100 && (cp <= 0x115f || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd))) ? 2 : 1;
  }
  return w;
}
const padL = (s: string, n: number) => " ".repeat(Math.max(0, n - width(s))) + s;
const padR = (s: string, n: number) => s + " ".repeat(Math.max(0, n - width(s)));

/** Formats rows like Spark's `Dataset.showString`. */
export function formatShow(schema: StructType, rows: Row[], n: number, truncate: boolean | number, vertical: boolean): string {
  const names = schema.fields.map((f) => f.name);
  const limit = truncate === true ? 20 : truncate === false ? 0 : truncate;
  const shown = rows.slice(0, n);
  const cut = (s: string) => (limit > 0 && [...s].length > limit ? (limit < 4 ? [...s].slice(0, limit).join("") : [...s].slice(0, limit - 3).join("") + "...") : s);
  const isFloat = (t: unknown): boolean => t === "double" || t === "float" || (typeof t === "object" && t !== null && (t as { type: string }).type === "array" && isFloat((t as { elementType: unknown }).elementType));
  const floating = schema.fields.map((f) => isFloat(f.type));
  const data = shown.map((r) => names.map((name, j) => cut(cell(r[name], floating[j]))));
  let out = "";
  if (vertical) {
    const keyW = Math.max(0, ...names.map(width));
    data.forEach((r, i) => {
      out += `-RECORD ${i}${"-".repeat(Math.max(0, keyW + 10))}\n`;
      r.forEach((v, j) => { out += ` ${padR(names[j], keyW)} | ${v}\n`; });
    });
    if (data.length === 0) out += "(0 rows)\n";
  } else {
    const widths = names.map((h, j) => Math.max(3, width(h), ...data.map((r) => width(r[j]))));
    const sep = "+" + widths.map((w) => "-".repeat(w)).join("+") + "+\n";
    const line = (cells: string[]) => "|" + cells.map((c, j) => (limit > 0 ? padL(c, widths[j]) : padR(c, widths[j]))).join("|") + "|\n";
    out += sep + line(names.map(cut)) + sep;
    for (const r of data) out += line(r);
    out += sep;
  }
  if (rows.length > n) out += `only showing top ${n} row${n === 1 ? "" : "s"}\n`;
  return out + "\n";
}
