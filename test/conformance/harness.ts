/**
 * The conformance harness: ONE suite, run against every backend.
 *
 * Each test file calls `conformance(title, (ctx) => { ctx.it(...) })`. The harness opens a
 * `describe` per enabled backend, creates a session in `before` and stops it in `after`.
 * Inside a test body `ctx.spark` is that backend's session.
 *
 * Markers: a backend declares the features it does not support, with a reason, in its entry's
 * `unsupported` table. A test that exercises such a feature names it when it is declared:
 *
 *   ctx.it("reads a corrupt-record column", { feature: "csv.corruptRecordColumn" }, async () => { ... });
 *
 * On a backend that marks the feature, the test passes only if the body throws
 * `UnsupportedOperationError`; if the body passes, the test FAILS with "marker no longer
 * needed" so that stale markers are removed; any other error fails the test as usual.
 * `ctx.unsupported(key)` returns the backend's reason (or undefined) for the rare test that
 * needs to branch.
 *
 * Expected values in the suite never come from Quarry: they are hand-written tables or plain-JS
 * reference computations over data generated here with a seeded PRNG.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Session, UnsupportedOperationError, QuarryError, typeToString, type DataType } from "quarry";
import { ENABLED_BACKENDS, sparkRemote } from "../backends/spark-connect/spark-server.js";

export type Row = Record<string, unknown>;
/** The session type, derived from the public API so the harness needs no internal import. */
export type Spark = Awaited<ReturnType<ReturnType<typeof Session.builder>["getOrCreate"]>>;
export type DataFrame = ReturnType<Spark["table"]>;

/** A schema field with its type as Spark's simple string (`int`, `array<string>`, `struct<a:int>`). */
export interface SimpleField {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
}
export function simpleField(f: { readonly name: string; readonly type: DataType; readonly nullable: boolean }): SimpleField {
  return { name: f.name, type: typeToString(f.type), nullable: f.nullable };
}

/** Feature keys a backend may mark unsupported. Keep this list in step with the tests using them. */
export const FEATURES = {
  "int64.bigint": "session config quarry.int64=bigint returns 64-bit integers as bigint",
  "csv.corruptRecordColumn": "CSV PERMISSIVE mode keeps the raw line in columnNameOfCorruptRecord",
  "csv.failfastLocation": "CSV FAILFAST errors name the file and the line",
  "write.atomic": "a failed write leaves the previous output intact",
  "catalog.warehouse": "session config quarry.warehouse: persistent tables shared by sessions on one warehouse dir",
  "session.multiple": "several sessions open at once in one process, each with its own config and temp views",
  "streaming.foreachBatch": "writeStream.foreachBatch(fn): a JavaScript function called with each micro-batch",
  "streaming.console": "the console sink prints each batch on this process's stdout",
  "streaming.malformedJsonCount": "progress counts rows whose from_json input did not parse (numMalformedJsonRows)",
  "streaming.checkpointChecksAtStart": "start() refuses a checkpoint in use by a running query, and a restart whose stateful operator changed",
} as const;
export type FeatureKey = keyof typeof FEATURES;

export interface BackendEntry {
  readonly name: string;
  /** `getOrCreate()`: the active session if there is one (Spark's semantics), else a new one. */
  readonly session: (configs?: Record<string, string>) => Promise<Spark>;
  /** Always a new, independent session (`SessionBuilder.create()`); `configs` go to `.config(k, v)`. */
  readonly newSession: (configs?: Record<string, string>) => Promise<Spark>;
  readonly unsupported: Partial<Record<FeatureKey, string>>;
  readonly enabled: boolean;
}

function withConfigs(builder: ReturnType<typeof Session.builder>, configs: Record<string, string>) {
  let b = builder;
  for (const [k, v] of Object.entries(configs)) b = b.config(k, v);
  return b;
}

/** Which backends run: QUARRY_BACKENDS (default duckdb,spark). */
const ENABLED = ENABLED_BACKENDS;

export const BACKENDS: readonly BackendEntry[] = [
  {
    name: "duckdb",
    session: async (configs = {}) => withConfigs(Session.builder().appName("conformance"), configs).getOrCreate(),
    newSession: async (configs = {}) => withConfigs(Session.builder().appName("conformance"), configs).create(),
    unsupported: {},
    enabled: ENABLED.includes("duckdb"),
  },
  {
    // A Spark Connect server (scripts/spark/server.mjs; `npm test` starts one, sparkRemote() waits for it).
    name: "spark",
    session: async (configs = {}) =>
      withConfigs(Session.builder().appName("conformance").remote(await sparkRemote()), configs).getOrCreate(),
    newSession: async (configs = {}) =>
      withConfigs(Session.builder().appName("conformance").remote(await sparkRemote()), configs).create(),
    unsupported: {
      "catalog.warehouse": "catalog tables live in the server's spark.sql.warehouse.dir, fixed when the server starts; a session cannot choose its own warehouse",
      "streaming.foreachBatch": "a Spark server cannot call a JavaScript function",
      "streaming.console": "Spark's console sink prints on the server's stdout, not this process's",
      "streaming.malformedJsonCount": "Spark Structured Streaming does not count rows whose JSON did not parse",
      "streaming.checkpointChecksAtStart": "Spark checks the checkpoint's state schema when the first batch runs, not at start()",
    },
    enabled: ENABLED.includes("spark"),
  },
];

export interface ItOptions {
  /** Feature key(s) this test exercises; see FEATURES. */
  readonly feature?: FeatureKey | readonly FeatureKey[];
  /**
   * For a test of one engine's own machinery rather than a portable result (e.g. the rules and
   * file layout of Quarry's micro-batch engine, which Spark replaces with its own): the backends it
   * applies to, and why. Elsewhere it is listed as skipped with the reason.
   */
  readonly only?: { readonly backends: readonly string[]; readonly reason: string };
}

type Body = () => Promise<void> | void;

export interface Ctx {
  readonly backend: BackendEntry;
  /** The backend's session; valid inside test bodies (created in `before`). */
  readonly spark: Spark;
  it(title: string, fn: Body): void;
  it(title: string, opts: ItOptions, fn: Body): void;
  /** The backend's reason for not supporting `feature`, or undefined. */
  unsupported(feature: FeatureKey): string | undefined;
  /** Opens another, independent session on this backend; stopped in `after` if still open. */
  newSession(configs?: Record<string, string>): Promise<Spark>;
  /** A fresh temp directory (`$TMPDIR/quarry-conf-XXXX`), removed in `after`. */
  tempDir(): string;
}

/**
 * Runs `fn` on a backend that marks `feature` unsupported: passes only on
 * UnsupportedOperationError; fails with "marker no longer needed" if `fn` succeeds.
 */
export async function runMarked(backend: string, feature: string, reason: string, fn: Body): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof UnsupportedOperationError) return;
    throw new Error(
      `feature "${feature}" is marked unsupported on ${backend} (${reason}), so UnsupportedOperationError ` +
        `was expected, but got: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
      { cause: e },
    );
  }
  assert.fail(
    `marker no longer needed: "${feature}" passes on ${backend}; remove it from the backend's unsupported table`,
  );
}

/** Declares one describe per enabled backend, with a fresh session per describe. */
export function conformance(title: string, define: (ctx: Ctx) => void): void {
  for (const backend of BACKENDS) {
    if (!backend.enabled) continue;
    describe(`${title} [${backend.name}]`, () => {
      let spark: Spark | undefined;
      const extraSessions: Spark[] = [];
      const dirs: string[] = [];
      const ctx: Ctx = {
        backend,
        get spark(): Spark {
          if (!spark) throw new Error("ctx.spark is only available inside test bodies");
          return spark;
        },
        it(title: string, a: ItOptions | Body, b?: Body): void {
          const opts: ItOptions = typeof a === "function" ? {} : a;
          const fn: Body = typeof a === "function" ? a : b!;
          const features: readonly FeatureKey[] =
            opts.feature === undefined ? [] : typeof opts.feature === "string" ? [opts.feature] : opts.feature;
          const marked = features.find((f) => backend.unsupported[f] !== undefined);
          if (opts.only && !opts.only.backends.includes(backend.name)) {
            it(`${title} [not applicable on ${backend.name}: ${opts.only.reason}]`, { skip: opts.only.reason }, () => undefined);
          } else if (marked === undefined) {
            it(title, async () => fn());
          } else {
            const reason = backend.unsupported[marked]!;
            it(`${title} [unsupported: ${marked}]`, () => runMarked(backend.name, marked, reason, fn));
          }
        },
        unsupported: (feature) => backend.unsupported[feature],
        async newSession(configs = {}) {
          const s = await backend.newSession(configs);
          extraSessions.push(s);
          return s;
        },
        tempDir() {
          const d = makeTempDir();
          dirs.push(d);
          return d;
        },
      };
      before(async () => {
        spark = await backend.session();
      });
      after(async () => {
        for (const s of extraSessions) {
          try {
            await s.stop();
          } catch {
            // already stopped by the test
          }
        }
        if (spark) await spark.stop();
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
      });
      define(ctx);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "quarry-conf-"));
}

/** Absolute path of a file under test/fixtures (tests run from build/test/conformance). */
export function fixture(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const root of [path.resolve(here, "../../.."), path.resolve(here, "../.."), process.cwd()]) {
    const p = path.join(root, "test", "fixtures", name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`fixture not found: ${name}`);
}

/** mulberry32: a small seeded PRNG, so generated data is the same on every run and backend. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(rnd: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

export function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

/** Spark's string order: binary UTF-8 (code point) order, not JS's UTF-16 order. */
export function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Total order over result values: null first, then by kind. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
    if (Number.isNaN(b)) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  return compareStrings(stableString(a), stableString(b));
}

function stableString(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x));
}

/** Rows sorted by `keys` (default: every column of the first row, in order). Does not mutate. */
export function sortRows<T extends Row>(rows: readonly T[], ...keys: string[]): T[] {
  const ks = keys.length > 0 ? keys : rows.length > 0 ? Object.keys(rows[0]) : [];
  return [...rows].sort((x, y) => {
    for (const k of ks) {
      const c = compareValues(x[k], y[k]);
      if (c !== 0) return c;
    }
    return 0;
  });
}

/** Relative-or-absolute closeness; NaN equals NaN. */
export function approxEqual(a: number, b: number, relTol = 1e-9, absTol = 1e-12): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= Math.max(absTol, relTol * Math.max(Math.abs(a), Math.abs(b)));
}

export function assertApprox(actual: unknown, expected: number, relTol = 1e-9, msg = ""): void {
  assert.equal(typeof actual, "number", `${msg} expected a number near ${expected}, got ${String(actual)}`);
  assert.ok(approxEqual(actual as number, expected, relTol), `${msg} expected ≈ ${expected}, got ${String(actual)}`);
}

/** Deep equality where doubles compare with `relTol` (exact when relTol is 0). */
export function valuesEqual(a: unknown, b: unknown, relTol: number): boolean {
  if (typeof a === "number" && typeof b === "number") return relTol === 0 ? Object.is(a, b) || a === b : approxEqual(a, b, relTol);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => valuesEqual(x, b[i], relTol));
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a as object).sort();
    const kb = Object.keys(b as object).sort();
    return (
      valuesEqual(ka, kb, 0) &&
      ka.every((k) => valuesEqual((a as Row)[k], (b as Row)[k], relTol))
    );
  }
  return a === b;
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === "bigint") return `${x}n`;
    if (typeof x === "number" && !Number.isFinite(x)) return String(x);
    return x;
  });
}

/**
 * Asserts two row sets are equal ignoring order (both are sorted by `sortBy`, default every
 * column), comparing doubles with `relTol` (default exact).
 */
export function assertRows(
  actual: readonly Row[],
  expected: readonly Row[],
  opts: { sortBy?: string[]; relTol?: number; ordered?: boolean } = {},
): void {
  const relTol = opts.relTol ?? 0;
  // One key list for both sides, so that column order in the rows cannot change the sort.
  const keys = opts.sortBy ?? Object.keys(expected[0] ?? actual[0] ?? {});
  const a = opts.ordered ? [...actual] : sortRows(actual, ...keys);
  const e = opts.ordered ? [...expected] : sortRows(expected, ...keys);
  assert.equal(a.length, e.length, `row count: got ${a.length}, expected ${e.length}\nactual: ${show(a.slice(0, 10))}`);
  for (let i = 0; i < e.length; i++) {
    if (!valuesEqual(a[i], e[i], relTol)) {
      assert.fail(`row ${i} differs\n  actual:   ${show(a[i])}\n  expected: ${show(e[i])}`);
    }
  }
}

/**
 * Expects `fn` to fail (synchronously or asynchronously) with an instance of `cls` whose message
 * matches every pattern (a string must occur verbatim). Returns the error.
 */
export async function expectError(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => Error,
  ...patterns: (string | RegExp)[]
): Promise<Error> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  if (caught === undefined) assert.fail(`expected ${cls.name}, but nothing was thrown`);
  if (!(caught instanceof cls)) {
    const d = caught instanceof Error ? `${caught.constructor.name}: ${caught.message}` : String(caught);
    assert.fail(`expected ${cls.name}, got ${d}`);
  }
  const err = caught as Error;
  assert.ok(err instanceof QuarryError, `${err.constructor.name} should extend QuarryError`);
  for (const p of patterns) {
    const ok = typeof p === "string" ? err.message.includes(p) : p.test(err.message);
    assert.ok(ok, `error message should match ${String(p)}; it was:\n${err.message}`);
  }
  return err;
}

/** Captures what `fn` writes to stdout (console.log included). */
export async function captureStdout(fn: () => Promise<unknown> | unknown): Promise<string> {
  const chunks: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  (process.stdout as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]): boolean => {
    // The test runner reports to its parent over this process's stdout, in binary messages that it
    // may write while `fn` waits on I/O: pass those through, capture only text.
    if (typeof chunk !== "string") return original(chunk as Uint8Array, ...(rest as []));
    chunks.push(chunk);
    const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    if (cb) cb();
    return true;
  };
  try {
    await fn();
  } finally {
    (process.stdout as { write: unknown }).write = original;
  }
  return chunks.join("");
}

/** Lists every file under `dir` (relative paths, sorted); [] if `dir` does not exist. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}

/** A UTC date (midnight) — how DATE values come back. Month is 1-based. */
export function utcDate(y: number, m: number, d: number): Date {
  const date = new Date(Date.UTC(2000, m - 1, d));
  date.setUTCFullYear(y); // Date.UTC maps years 0-99 to 1900-1999
  return date;
}

/** A short random suffix for names that must be unique across runs (tables on a shared server). */
export function uniqueSuffix(): string {
  return Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0");
}
