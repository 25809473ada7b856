/** Shared pieces of the ML tests: fixtures, tolerant comparisons, and frames from arrays. */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { DataFrame, Session } from "quarry";

const here = path.dirname(fileURLToPath(import.meta.url));
// Fixtures live in the source tree (test/ml/fixtures), two levels above build/test/ml.
const fixtureDir = path.resolve(here, "../../../test/ml/fixtures");

/** A fixture JSON written by test/ml/fixtures/gen_*.py. */
export const fixture = (name: string): any => JSON.parse(fs.readFileSync(path.join(fixtureDir, name), "utf8"));

/** |a − b| <= tol·max(1, |b|): relative for large values, absolute near zero. */
export function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Number.isFinite(actual), `${what}: got ${actual}`);
  const err = Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  assert.ok(err <= tol, `${what}: got ${actual}, expected ${expected} (relative error ${err.toExponential(2)} > ${tol})`);
}
export function closeAll(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((v, i) => close(v, expected[i], tol, `${what}[${i}]`));
}

/**
 * A frame with an `id` (the row's position, to order results by: engines need not keep row order),
 * a `features` vector column, and `label` / `w` when given.
 */
export function frame(spark: Session, X: number[][], y?: number[], w?: number[]): DataFrame {
  const rows = X.map((x, i) => ({ id: i, features: x, ...(y ? { label: y[i] } : {}), ...(w ? { w: w[i] } : {}) }));
  return spark.createDataFrame(rows, `id INT, features ARRAY<DOUBLE>${y ? ", label DOUBLE" : ""}${w ? ", w DOUBLE" : ""}`);
}
