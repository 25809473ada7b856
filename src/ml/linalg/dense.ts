/**
 * Small dense linear algebra for model state (k×d means, d×d covariances, coefficient
 * vectors): Cholesky, triangular solves, inverses. Data-sized work never happens here.
 */
import { ExecutionError } from "../../errors.js";

/** A d×d matrix as rows. */
export type Matrix = number[][];

export function zeros(r: number, c: number): Matrix { return Array.from({ length: r }, () => new Array<number>(c).fill(0)); }
export function identity(d: number): Matrix { const m = zeros(d, d); for (let i = 0; i < d; i++) m[i][i] = 1; return m; }
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; }
export function norm2(a: ArrayLike<number>): number { return Math.sqrt(dot(a, a)); }

/**
 * Lower-triangular L with A = L Lᵀ, or null when A is not (numerically) positive definite.
 */
export function cholesky(a: Matrix): Matrix | null {
  const d = a.length;
  const l = zeros(d, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(s > 0) || !Number.isFinite(s)) return null;
        l[i][i] = Math.sqrt(s);
      } else {
        l[i][j] = s / l[j][j];
      }
    }
  }
  return l;
}

/** Inverse of a lower-triangular matrix (also lower-triangular). */
export function invertLower(l: Matrix): Matrix {
  const d = l.length;
  const inv = zeros(d, d);
  for (let i = 0; i < d; i++) {
    inv[i][i] = 1 / l[i][i];
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i][k] * inv[k][j];
      inv[i][j] = -s / l[i][i];
    }
  }
  return inv;
}

/** Solves A x = b for symmetric positive definite A via Cholesky; throws when A is singular. */
export function solveSPD(a: Matrix, b: ArrayLike<number>, what = "the system"): number[] {
  const l = cholesky(a);
  if (!l) throw new ExecutionError(`Cannot solve ${what}: the matrix is singular or not positive definite (a constant or duplicated feature?). Remove the redundant feature or add regularization (regParam > 0).`, "SINGULAR_MATRIX");
  const d = a.length;
  const y = new Array<number>(d);
  for (let i = 0; i < d; i++) { let s = b[i]; for (let k = 0; k < i; k++) s -= l[i][k] * y[k]; y[i] = s / l[i][i]; }
  const x = new Array<number>(d);
  for (let i = d - 1; i >= 0; i--) { let s = y[i]; for (let k = i + 1; k < d; k++) s -= l[k][i] * x[k]; x[i] = s / l[i][i]; }
  return x;
}

/** Inverse of a symmetric positive definite matrix. */
export function invertSPD(a: Matrix, what = "the matrix"): Matrix {
  const d = a.length;
  const cols = identity(d).map((e) => solveSPD(a, e, what));
  return cols[0].map((_, i) => cols.map((c) => c[i]));
}

/** Σ log(diag(L)) — half the log-determinant of L Lᵀ. */
export function logDiagSum(l: Matrix): number { let s = 0; for (let i = 0; i < l.length; i++) s += Math.log(l[i][i]); return s; }

/** Matrix-vector product. */
export function matVec(a: Matrix, x: ArrayLike<number>): number[] { return a.map((row) => dot(row, x)); }
