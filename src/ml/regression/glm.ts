/**
 * Shared training of the linear models (least squares, binomial and multinomial logistic
 * regression): Spark's objective, solved in standardized space, by the optimizer the `solver`
 * param names. Objective:
 *   (1/Σw)·Σ w·loss(β) + regParam·[ (1−α)/2·Σ p_j² + α·Σ |p_j| ],   α = elasticNetParam,
 * with p_j = β_j·std_j when `standardization` is true (penalty on standardized coefficients,
 * Spark's default) and p_j = β_j otherwise. Intercepts are never penalised.
 *
 * The optimizer works in a reparametrization with the same minimum that keeps the problem well
 * conditioned whatever the data's offset and scale (as Spark's aggregators do): with an intercept,
 * margins are taken on centred features, c + Σ b_j·(x_j − x̄_j)/std_j, so the raw intercept is
 * c − Σ β_j·x̄_j (without it, a feature far from zero, e.g. a Unix timestamp, makes the
 * intercept and its coefficient so correlated that L-BFGS stopped at zero); and least squares
 * runs on the label in units of its standard deviation (the objective divided by σ_y²), so a label
 * of 1e9 or 1e-9 converges like one of 1. The reported objective is the one above.
 */
import { IllegalArgumentError } from "../../errors.js";
import { GradientDescent, LBFGS, OWLQN, StochasticGradientDescent, type DiffFunction, type OptimizeResult, type Optimizer } from "../optim/index.js";
import type { StatsProvider, SummaryStats } from "../stats/provider.js";
import type { ProgressCallback } from "../common.js";

export type GlmKind = "squared" | "binomial" | "multinomial";
export type Solver = "auto" | "normal" | "lbfgs" | "l-bfgs" | "gd" | "sgd";

export interface GlmOptions {
  readonly kind: GlmKind;
  readonly d: number;
  /** Classes (multinomial), else 1. */
  readonly K: number;
  readonly fitIntercept: boolean;
  readonly standardization: boolean;
  readonly regParam: number;
  readonly elasticNetParam: number;
  readonly solver: Solver;
  readonly maxIter: number;
  readonly tol: number;
  readonly stepSize: number;
  readonly miniBatchFraction: number;
  readonly seed: number;
  readonly onProgress: ProgressCallback | null;
  readonly estimator: string;
  readonly initialIntercepts?: readonly number[];
  /**
   * Divides the L2 term (Spark's least squares standardizes the label, so its L2 penalty is
   * regParam·(1−α)/(2·σ_y)·‖b‖² with σ_y the label's standard deviation).
   */
  readonly l2Divisor?: number;
  /** Least squares: the label's standard deviation, the unit the optimizer works in (default 1). */
  readonly labelScale?: number;
}

export interface GlmResult {
  /** Coefficients in the original feature space, K×d class-major (K = 1 except multinomial). */
  readonly beta: Float64Array;
  readonly intercepts: Float64Array;
  readonly objectiveHistory: readonly number[];
  readonly iterations: number;
  readonly converged: boolean;
  readonly solver: string;
}

/** Minimises the objective with a first-order solver over data passes. */
export async function trainGlm(provider: StatsProvider, summary: SummaryStats, o: GlmOptions): Promise<GlmResult> {
  const { d, K } = o;
  const std = Array.from(summary.variance, (v) => Math.sqrt(v));
  // Columns with zero variance get a zero coefficient (as in Spark): scale 0 keeps them at 0.
  const scale = std.map((s) => (s > 0 ? 1 / s : 0));
  const nb = K * d;
  const nParams = nb + (o.fitIntercept ? K : 0);
  const l2 = (o.regParam * (1 - o.elasticNetParam)) / (o.l2Divisor && o.l2Divisor > 0 ? o.l2Divisor : 1);
  const l1 = o.regParam * o.elasticNetParam;
  // Penalty weights per standardized coefficient b_j (β_j = b_j·scale_j).
  const penScale = (j: number) => (o.standardization ? 1 : scale[j % d]);
  const t0 = performance.now();

  // Centring (with an intercept): margins use x − mean; the raw intercept absorbs −Σ β_j·mean_j.
  const mean = o.fitIntercept ? Float64Array.from(summary.mean) : new Float64Array(d);
  // A provider that works on x − shift takes its margins about the shift: its intercept is
  // c − Σ β_j·(mean_j − shift_j), and centring its gradient sums takes mean − shift.
  const shift = provider.shift ?? new Float64Array(d);
  const off = mean.map((m, j) => m - shift[j]);
  // The unit of the parameters and the objective's scale (least squares: the label's std).
  const ys = o.kind === "squared" && o.labelScale && o.labelScale > 0 && Number.isFinite(o.labelScale) ? o.labelScale : 1;
  const ys2 = ys * ys;

  /** Coefficients from the optimizer's parameters u (X = ys·u), in the original space. */
  const coefficients = (u: Float64Array): Float64Array => {
    const beta = new Float64Array(nb);
    for (let i = 0; i < nb; i++) beta[i] = u[i] * ys * scale[i % d];
    return beta;
  };
  /** Intercepts for margins taken about `about` (per feature): c·ys − Σ β_j·about_j. */
  const intercepts = (u: Float64Array, beta: Float64Array, about: Float64Array): Float64Array => Float64Array.from({ length: K }, (_, c) => {
    let v = o.fitIntercept ? u[nb + c] * ys : 0;
    for (let j = 0; j < d; j++) v -= beta[c * d + j] * about[j];
    return v;
  });
  const fn: DiffFunction = async (u, batch) => {
    const beta = coefficients(u);
    const icpt = intercepts(u, beta, off);
    const s = o.kind === "squared" ? await provider.squared(beta, icpt[0], batch)
      : o.kind === "binomial" ? await provider.binomial(beta, icpt[0], batch)
      : await provider.multinomial(beta, icpt, batch);
    const sw = s.weightSum > 0 ? s.weightSum : 1;
    // In X = ys·u: f(X) and its gradient, then f/ys² and (∂f/∂X)/ys for u.
    let f = s.loss / sw;
    const g = new Float64Array(nParams);
    for (let i = 0; i < nb; i++) {
      const c = Math.floor(i / d);
      // ∂/∂b_j of Σ w·loss with margins on centred features: (G_j − mean_j·G_c)·scale_j.
      const gi = o.fitIntercept ? s.grad[i] - off[i % d] * s.grad[nb + c] : s.grad[i];
      g[i] = (gi / sw) * scale[i % d];
    }
    if (o.fitIntercept) for (let c = 0; c < K; c++) g[nb + c] = s.grad[nb + c] / sw;
    if (l2 > 0) {
      for (let i = 0; i < nb; i++) {
        const p = u[i] * ys * penScale(i);
        f += 0.5 * l2 * p * p;
        g[i] += l2 * p * penScale(i);
      }
    }
    f /= ys2;
    for (let i = 0; i < nParams; i++) g[i] /= ys;
    return { f, g };
  };
  const l1w = new Float64Array(nParams);
  for (let i = 0; i < nb; i++) l1w[i] = (l1 * penScale(i) * (scale[i % d] === 0 ? 0 : 1)) / ys;

  const x0 = new Float64Array(nParams);
  if (o.fitIntercept && o.initialIntercepts) for (let c = 0; c < K; c++) x0[nb + c] = o.initialIntercepts[c] / ys;
  const onIteration = (it: number, f: number) => o.onProgress?.({ estimator: o.estimator, iteration: it, objective: f * ys2, elapsedMs: performance.now() - t0 });
  const base = { maxIter: o.maxIter, tol: o.tol, onIteration };
  let solver = o.solver === "l-bfgs" ? "lbfgs" : o.solver;
  if (solver === "auto" || solver === "normal") solver = "lbfgs";
  let opt: Optimizer;
  switch (solver) {
    case "lbfgs": opt = l1 > 0 ? new OWLQN({ ...base, l1: l1w }) : new LBFGS(base); break;
    case "gd": opt = new GradientDescent({ ...base, stepSize: o.stepSize, l1: l1 > 0 ? l1w : undefined }); break;
    case "sgd": opt = new StochasticGradientDescent({ ...base, stepSize: o.stepSize, miniBatchFraction: o.miniBatchFraction, seed: o.seed, l1: l1 > 0 ? l1w : undefined }); break;
    default: throw new IllegalArgumentError(`${o.estimator}: unknown solver ${JSON.stringify(o.solver)}.`, "INVALID_PARAM");
  }
  const r: OptimizeResult = await opt.minimize(fn, x0);
  const beta = coefficients(r.x);
  return { beta, intercepts: intercepts(r.x, beta, mean), objectiveHistory: r.objectiveHistory.map((f) => f * ys2), iterations: r.iterations, converged: r.converged, solver: opt.name };
}
