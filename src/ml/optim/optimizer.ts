/**
 * One interface for the first-order optimizers (gradient descent with line search, mini-batch
 * SGD, L-BFGS, OWL-QN). An objective evaluation is one pass over the data (a backend aggregate
 * or a kernel pass), so the optimizers are written to spend as few evaluations as they can.
 */

/** A function value and gradient. */
export interface Evaluation { readonly f: number; readonly g: Float64Array }
/** A mini-batch request: evaluate on a pseudo-random fraction of rows drawn with `seed`. */
export interface Batch { readonly fraction: number; readonly seed: number }
/** The objective: evaluated on all rows when `batch` is null. */
export type DiffFunction = (x: Float64Array, batch: Batch | null) => Promise<Evaluation>;

export interface OptimizeOptions {
  readonly maxIter: number;
  /** Convergence tolerance; each optimizer documents what it compares. */
  readonly tol: number;
  /** Called after every iteration with the objective value. */
  readonly onIteration?: (iteration: number, objective: number, x: Float64Array) => void;
}

export interface OptimizeResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  /** The objective before the first step and after each iteration. */
  readonly objectiveHistory: readonly number[];
  readonly converged: boolean;
}

export interface Optimizer {
  readonly name: string;
  minimize(f: DiffFunction, x0: Float64Array): Promise<OptimizeResult>;
}

export const axpy = (a: number, x: Float64Array, y: Float64Array): Float64Array => { const out = new Float64Array(y.length); for (let i = 0; i < y.length; i++) out[i] = y[i] + a * x[i]; return out; };
export const vdot = (a: Float64Array, b: Float64Array): number => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
export const vnorm = (a: Float64Array): number => Math.sqrt(vdot(a, a));

/** Relative change of the objective, the convergence test shared by the quasi-Newton methods. */
export function relativeChange(fPrev: number, f: number): number {
  return Math.abs(fPrev - f) / Math.max(Math.abs(fPrev), Math.abs(f), 1e-300);
}

/**
 * The stopping rule of Spark's L-BFGS and OWL-QN (Breeze's default convergence check), so `tol`
 * means what it means in Spark: converged when the (pseudo-)gradient's norm is at most
 * max(tol·|f|, 1e-8), or when f differs from the largest of the last 20 values by at most
 * tol·|f at the start| (the window starts with +inf, so that test cannot pass in the first 19
 * iterations).
 */
export class QuasiNewtonConvergence {
  private readonly window: number[] = [Infinity];
  constructor(private readonly tol: number, private readonly f0: number) {}

  /** True when the state after an iteration (or the start, before any) has converged. */
  converged(f: number, g: Float64Array): boolean {
    if (vnorm(g) <= Math.max(this.tol * Math.abs(f), 1e-8)) return true;
    return this.window.length >= 2 && Math.abs(f - Math.max(...this.window)) <= this.tol * Math.abs(this.f0);
  }

  /** Records the objective of a completed iteration. */
  record(f: number): void {
    this.window.push(f);
    if (this.window.length > 20) this.window.shift();
  }
}
