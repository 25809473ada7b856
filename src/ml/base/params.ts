/**
 * Params declared as data: one table per estimator, each entry with a name, a type, a default,
 * a constraint and a one-line doc. Constructors only store params; `fit` validates them.
 */
import { IllegalArgumentError } from "../../errors.js";

/** A param value for a message: JSON, except numbers JSON cannot spell (NaN, Infinity). */
function show(v: unknown): string { return typeof v === "number" && !Number.isFinite(v) ? String(v) : JSON.stringify(v); }

export type ParamType = "int" | "float" | "string" | "boolean" | "string[]" | "float[]" | "int?" | "float?" | "string?" | "function?" | "object?";

/** One parameter's declaration. */
export interface ParamSpec<T = unknown> {
  readonly name: string;
  readonly type: ParamType;
  readonly default: T;
  readonly doc: string;
  /** Returns an error text when the value is not allowed (e.g. "must be >= 1"). */
  readonly check?: (value: T, all: Readonly<Record<string, unknown>>) => string | null;
  /** For string params: the allowed values. */
  readonly values?: readonly string[];
}

/** A table of param declarations, by name. */
export type ParamTable = readonly ParamSpec[];

/** Common constraints. */
export const gt = (lo: number) => (v: unknown) => (typeof v === "number" && v > lo ? null : `must be > ${lo}`);
export const ge = (lo: number) => (v: unknown) => (typeof v === "number" && v >= lo ? null : `must be >= ${lo}`);
export const inRange = (lo: number, hi: number) => (v: unknown) => (typeof v === "number" && v >= lo && v <= hi ? null : `must be in [${lo}, ${hi}]`);

function typeOk(type: ParamType, v: unknown): boolean {
  const optional = type.endsWith("?");
  if (optional && (v === null || v === undefined)) return true;
  const base = optional ? type.slice(0, -1) : type;
  switch (base) {
    case "int": return typeof v === "number" && Number.isInteger(v);
    case "float": return typeof v === "number" && !Number.isNaN(v);
    case "string": return typeof v === "string";
    case "boolean": return typeof v === "boolean";
    case "string[]": return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "float[]": return Array.isArray(v) && v.every((x) => typeof x === "number");
    case "function": return typeof v === "function";
    case "object": return typeof v === "object" && v !== null;
  }
  return false;
}

/**
 * Holds param values over a declared table. Immutable: `copy` returns a new holder.
 */
export class Params {
  private readonly values: Readonly<Record<string, unknown>>;

  constructor(readonly owner: string, readonly table: ParamTable, given: Readonly<Record<string, unknown>> = {}) {
    for (const k of Object.keys(given)) {
      if (given[k] === undefined) continue;
      if (!table.some((p) => p.name === k)) {
        const names = table.map((p) => p.name);
        throw new IllegalArgumentError(`${owner} has no param ${JSON.stringify(k)}. Its params: ${names.join(", ")}.`, "UNKNOWN_PARAM");
      }
    }
    const values: Record<string, unknown> = {};
    for (const p of table) values[p.name] = given[p.name] !== undefined ? given[p.name] : p.default;
    this.values = Object.freeze(values);
  }

  /** A param's value. */
  get<T = unknown>(name: string): T {
    if (!(name in this.values)) throw new IllegalArgumentError(`${this.owner} has no param ${JSON.stringify(name)}.`, "UNKNOWN_PARAM");
    return this.values[name] as T;
  }
  /** All values, by name. */
  all(): Readonly<Record<string, unknown>> { return this.values; }
  /** A new holder with some values replaced. */
  copy(overrides: Readonly<Record<string, unknown>>): Params { return new Params(this.owner, this.table, { ...this.values, ...overrides }); }

  /** Checks every value's type and constraint; throws one error listing what is wrong. */
  validate(): void {
    const problems: string[] = [];
    for (const p of this.table) {
      const v = this.values[p.name];
      if ((v === null || v === undefined) && !p.type.endsWith("?")) { problems.push(`${p.name} must be set (it has no default)`); continue; }
      if (!typeOk(p.type, v)) { problems.push(`${p.name} must be of type ${p.type}, got ${show(v)}`); continue; }
      if (p.values && typeof v === "string" && !p.values.includes(v)) { problems.push(`${p.name} must be one of ${p.values.map((x) => JSON.stringify(x)).join(", ")}, got ${show(v)}`); continue; }
      const msg = p.check && v !== null && v !== undefined ? p.check(v, this.values) : null;
      if (msg) problems.push(`${p.name} ${msg} (got ${show(v)})`);
    }
    if (problems.length) throw new IllegalArgumentError(`Invalid params for ${this.owner}: ${problems.join("; ")}.`, "INVALID_PARAM");
  }

  /** One line per param: name, doc, default and current value (Spark's explainParams). */
  explain(): string {
    return this.table.map((p) => `${p.name}: ${p.doc} (default: ${JSON.stringify(p.default)}, current: ${JSON.stringify(this.values[p.name])})`).join("\n");
  }

  /** The values that can be stored as JSON (functions are dropped). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.values)) if (typeof v !== "function") out[k] = v;
    return out;
  }
}
