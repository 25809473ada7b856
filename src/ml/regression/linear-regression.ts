/**
 * Linear regression (least squares with optional elastic-net regularization). The normal solver
 * needs one pass (X'WX by the statistics provider) and gives standard errors, t and p values;
 * the iterative solvers (L-BFGS / OWL-QN, gradient descent, mini-batch SGD) make one pass per
 * objective evaluation.
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { Column } from "../../api/column.js";
import { IllegalArgumentError } from "../../errors.js";
import { Estimator, Model } from "../base/estimator.js";
import { ge, gt, inRange, type ParamTable } from "../base/params.js";
import { loadModelDir, registerModel, saveModelDir } from "../base/persistence.js";
import { invertSPD, solveSPD, zeros, type Matrix } from "../linalg/dense.js";
import { tTestPValue } from "../linalg/special.js";
import { checkedFeatures, checkTrainingColumns, checkVector, checkTrainingSummary, trainingProvider, type ProgressCallback, type ProviderChoice } from "../common.js";
import { trainGlm, type Solver } from "./glm.js";
import type { TrainingColumns } from "../stats/provider.js";
import { metricsFromSums, regressionMetrics } from "./regression-metrics.js";

export interface LinearRegressionParams {
  featuresCol: string; labelCol: string; predictionCol: string; weightCol: string | null;
  maxIter: number; regParam: number; elasticNetParam: number; tol: number; fitIntercept: boolean; standardization: boolean;
  solver: Solver; stepSize: number; miniBatchFraction: number; seed: number;
  statsProvider: ProviderChoice; onProgress: ProgressCallback | null;
}

const PARAMS: ParamTable = [
  { name: "featuresCol", type: "string", default: "features", doc: "Vector column of features." },
  { name: "labelCol", type: "string", default: "label", doc: "Numeric label column." },
  { name: "predictionCol", type: "string", default: "prediction", doc: "Output column of predictions." },
  { name: "weightCol", type: "string?", default: null, doc: "Optional column of non-negative row weights." },
  { name: "maxIter", type: "int", default: 100, doc: "Maximum iterations of the iterative solvers.", check: ge(0) },
  { name: "regParam", type: "float", default: 0, doc: "Regularization strength λ.", check: ge(0) },
  { name: "elasticNetParam", type: "float", default: 0, doc: "Elastic-net mixing α in [0, 1]: 0 is L2 (ridge), 1 is L1 (lasso).", check: inRange(0, 1) },
  { name: "tol", type: "float", default: 1e-6, doc: "Convergence tolerance, as in Spark. L-BFGS/OWL-QN: stop when the gradient's norm is at most max(tol·|objective|, 1e-8) or the objective moved at most tol·|initial objective| over the last 20 iterations; gd: when the objective's relative change is below tol; sgd: when the solution moves less than tol·max(‖x‖, 1).", check: ge(0) },
  { name: "fitIntercept", type: "boolean", default: true, doc: "Whether to fit an intercept (never regularized)." },
  { name: "standardization", type: "boolean", default: true, doc: "Penalise standardized coefficients (β_j·std_j) rather than raw ones; without regularization the fit is the same either way." },
  { name: "solver", type: "string", default: "auto", values: ["auto", "normal", "lbfgs", "l-bfgs", "gd", "sgd"], doc: "auto: normal equations when there is no L1 term and at most 4096 features, else L-BFGS (OWL-QN with L1); normal; lbfgs; gd (gradient descent with backtracking, proximal for L1); sgd (mini-batch)." },
  { name: "stepSize", type: "float", default: 1.0, doc: "Initial step of gd, and the step of sgd (decayed as stepSize/√t).", check: gt(0) },
  { name: "miniBatchFraction", type: "float", default: 1.0, doc: "Fraction of rows per sgd step.", check: (v) => (typeof v === "number" && v > 0 && v <= 1 ? null : "must be in (0, 1]") },
  { name: "seed", type: "int", default: 42, doc: "Seed of sgd's mini-batch draws." },
  { name: "statsProvider", type: "string", default: "auto", values: ["auto", "sql", "kernel"], doc: "Where the data passes run (see GaussianMixture)." },
  { name: "onProgress", type: "function?", default: null, doc: "Called after each iteration with { iteration, objective, elapsedMs }." },
];

/** What training measured. */
export class LinearRegressionTrainingSummary {
  constructor(
    readonly r2: number, readonly r2adj: number, readonly rootMeanSquaredError: number, readonly meanSquaredError: number,
    readonly meanAbsoluteError: number, readonly explainedVariance: number, readonly numInstances: number, readonly degreesOfFreedom: number,
    readonly objectiveHistory: readonly number[], readonly totalIterations: number, readonly solver: string, readonly statsProvider: string,
    private readonly inference: { se: number[]; t: number[]; p: number[] } | null,
  ) {}
  private need(): { se: number[]; t: number[]; p: number[] } {
    if (!this.inference) throw new IllegalArgumentError("Standard errors, t values and p values are only available for solver \"normal\" (or \"auto\" choosing it) without regularization (regParam = 0).", "NO_INFERENCE");
    return this.inference;
  }
  /** Standard errors of the coefficients, then of the intercept (Spark's order). */
  get coefficientStandardErrors(): number[] { return this.need().se; }
  /** t statistics, same order. */
  get tValues(): number[] { return this.need().t; }
  /** Two-sided p values, same order. */
  get pValues(): number[] { return this.need().p; }
}

/**
 * Linear regression.
 * @example
 * const model = await new LinearRegression({ regParam: 0.1, elasticNetParam: 0.5 }).fit(train);
 * model.coefficients; model.intercept; model.summary.r2;
 */
export class LinearRegression extends Estimator<LinearRegressionModel> {
  static readonly paramTable = PARAMS;
  constructor(params: Partial<LinearRegressionParams> = {}, uid?: string) { super(PARAMS, params as Record<string, unknown>, uid); }
  copy(overrides: Partial<LinearRegressionParams> = {}): LinearRegression { return new LinearRegression({ ...(this.getParams() as Partial<LinearRegressionParams>), ...overrides }, this.uid); }

  async fit(df: DataFrame): Promise<LinearRegressionModel> {
    this.params.validate();
    const p = this.getParams() as unknown as LinearRegressionParams;
    const t0 = performance.now();
    await checkTrainingColumns(df, p, "LinearRegression");
    const cols: TrainingColumns = { featuresCol: p.featuresCol, labelCol: p.labelCol, weightCol: p.weightCol };
    const { provider, d } = await trainingProvider(df, cols, "LinearRegression", p.statsProvider, { center: p.fitIntercept ? "far" : false });
    try {
      const summary = await provider.summary({ labels: false });
      checkTrainingSummary(summary, "LinearRegression", cols);
      const l1 = p.regParam * p.elasticNetParam;
      const useNormal = p.solver === "normal" || (p.solver === "auto" && l1 === 0 && d <= 4096);
      if (p.solver === "normal" && l1 > 0) throw new IllegalArgumentError("LinearRegression: solver \"normal\" cannot handle an L1 term (elasticNetParam > 0 with regParam > 0); use solver \"auto\" or \"lbfgs\".", "INVALID_PARAM");
      let beta: number[], intercept: number, history: number[] = [], iterations = 0, solver: string;
      let inference: { se: number[]; t: number[]; p: number[] } | null = null;
      // (X'WX)⁻¹ over the solved columns (`cols`), intercept last; set for unregularized normal solves.
      let covInv: { inv: Matrix; cols: number[] } | null = null;
      if (useNormal) {
        const g = await provider.gram();
        const std = Array.from(summary.variance, (v) => Math.sqrt(v));
        const W = g.weightSum;
        const xbar = Array.from(g.sumX, (v) => v / W), ybar = g.sumY / W;
        const live = std.map((s, j) => (p.fitIntercept ? s > 0 : s > 0 || xbar[j] !== 0));
        const idx = live.map((l, j) => (l ? j : -1)).filter((j) => j >= 0);
        // Spark's normal solver divides the L2 term by the label's population standard deviation.
        const sy = Math.sqrt(summary.labelVariancePop);
        const l2 = (p.regParam * (1 - p.elasticNetParam)) / (sy > 0 ? sy : 1);
        const A: Matrix = idx.map((a) => idx.map((b) => (p.fitIntercept ? g.xtx[a * d + b] - W * xbar[a] * xbar[b] : g.xtx[a * d + b]) / W));
        const rhs = idx.map((a) => (p.fitIntercept ? g.xty[a] - W * xbar[a] * ybar : g.xty[a]) / W);
        // Spark's normal solver standardizes with the features' population variances (its L-BFGS
        // path, in trainGlm, with the unbiased ones).
        const popVar = (a: number) => Math.max(0, g.xtx[a * d + a] / W - xbar[a] * xbar[a]);
        idx.forEach((a, i) => { A[i][i] += l2 * (p.standardization ? popVar(a) : 1); });
        const sol = idx.length ? solveSPD(A, rhs, "the normal equations of LinearRegression") : [];
        beta = new Array<number>(d).fill(0);
        idx.forEach((a, i) => { beta[a] = sol[i]; });
        // With an intercept the provider sees x − shift (second moments without cancellation, even
        // for features far from zero): the intercept found there moves back by β·shift.
        const shift = provider.shift ?? new Float64Array(d);
        intercept = p.fitIntercept ? ybar - beta.reduce((s, b, j) => s + b * (xbar[j] + shift[j]), 0) : 0;
        solver = "normal";
        if (p.regParam === 0) {
          // (X'WX)⁻¹ over the columns that entered the solve, with the intercept column last.
          const m = idx.length + (p.fitIntercept ? 1 : 0);
          const full: Matrix = zeros(m, m);
          idx.forEach((a, i) => idx.forEach((b, k) => { full[i][k] = g.xtx[a * d + b]; }));
          if (p.fitIntercept) { idx.forEach((a, i) => { full[i][m - 1] = g.sumX[a]; full[m - 1][i] = g.sumX[a]; }); full[m - 1][m - 1] = W; }
          const inv = invertSPD(full, "X'WX for the standard errors");
          if (p.fitIntercept && provider.shift) {
            // The intercept's variance in the original coordinates: b = b_shifted − shiftᵀβ.
            const s = idx.map((a) => shift[a]);
            let v = inv[m - 1][m - 1];
            s.forEach((si, i) => { v -= 2 * si * inv[i][m - 1]; s.forEach((sk, k) => { v += si * sk * inv[i][k]; }); });
            inv[m - 1][m - 1] = v;
          }
          covInv = { inv, cols: idx };
        }
      } else {
        const r = await trainGlm(provider, summary, {
          kind: "squared", d, K: 1, fitIntercept: p.fitIntercept, standardization: p.standardization, regParam: p.regParam, elasticNetParam: p.elasticNetParam,
          solver: p.solver, maxIter: p.maxIter, tol: p.tol, stepSize: p.stepSize, miniBatchFraction: p.miniBatchFraction, seed: p.seed, onProgress: p.onProgress,
          estimator: "LinearRegression", initialIntercepts: [summary.labelMean],
          l2Divisor: Math.sqrt(summary.labelVariance), labelScale: Math.sqrt(summary.labelVariance),
        });
        beta = Array.from(r.beta); intercept = r.intercepts[0]; history = [...r.objectiveHistory]; iterations = r.iterations; solver = r.solver;
      }
      const model = new LinearRegressionModel({ ...p, onProgress: null }, beta, intercept, this.uid);
      const sums = await provider.linearMetrics(beta, intercept);
      const met = sums ? metricsFromSums(sums, summary.count, !p.fitIntercept)
        : await regressionMetrics(model.transform(df), p.labelCol, p.predictionCol, p.weightCol, !p.fitIntercept);
      const icptDof = p.fitIntercept ? 1 : 0;
      const dof = met.count - d - icptDof;
      if (covInv) {
        const { inv, cols: idx } = covInv;
        const m = inv.length;
        const sigma2 = (met.meanSquaredError * met.weightSum) / dof;
        const se = new Array<number>(d).fill(NaN);
        idx.forEach((a, i) => { se[a] = Math.sqrt(inv[i][i] * sigma2); });
        const all = [...se, ...(p.fitIntercept ? [Math.sqrt(inv[m - 1][m - 1] * sigma2)] : [])];
        const est = [...beta, ...(p.fitIntercept ? [intercept] : [])];
        const t = est.map((b, i) => b / all[i]);
        inference = { se: all, t, p: t.map((v) => tTestPValue(v, dof)) };
      }
      const r2adj = 1 - ((1 - met.r2) * (met.count - icptDof)) / dof;
      if (useNormal) { history = [0.5 * met.meanSquaredError]; }
      model.summary = new LinearRegressionTrainingSummary(met.r2, r2adj, met.rootMeanSquaredError, met.meanSquaredError, met.meanAbsoluteError, met.explainedVariance,
        met.count, dof, history, iterations, solver, provider.name, inference);
      p.onProgress?.({ estimator: "LinearRegression", iteration: iterations, objective: 0.5 * met.meanSquaredError, elapsedMs: performance.now() - t0 });
      return model;
    } finally {
      await provider.close();
    }
  }
}

/** Predicts with a fitted linear model: `prediction = coefficients · features + intercept`. */
export class LinearRegressionModel extends Model {
  summary: LinearRegressionTrainingSummary | null = null;
  constructor(params: Partial<LinearRegressionParams>, readonly coefficients: number[], readonly intercept: number, uid?: string) {
    super(PARAMS, { ...params, onProgress: null } as Record<string, unknown>, uid);
  }
  copy(overrides: Partial<LinearRegressionParams> = {}): LinearRegressionModel {
    const m = new LinearRegressionModel({ ...(this.getParams() as Partial<LinearRegressionParams>), ...overrides }, this.coefficients, this.intercept, this.uid);
    m.summary = this.summary;
    return m;
  }
  get numFeatures(): number { return this.coefficients.length; }
  /** The prediction for one feature vector. */
  predict(x: readonly number[]): number {
    checkVector(x, this.coefficients.length, "LinearRegressionModel");
    return this.coefficients.reduce((s, b, i) => s + b * x[i], this.intercept);
  }
  /** Adds `predictionCol`; lazy. */
  transform(df: DataFrame): DataFrame {
    const p = this.getParams() as unknown as LinearRegressionParams;
    const vec = `__linreg_x_${this.uid}`;
    const { df: checked, x } = checkedFeatures(df, p.featuresCol, this.coefficients.length, "LinearRegressionModel", vec);
    const terms: Column[] = this.coefficients.map((b, i) => x[i].multiply(b));
    return checked.withColumn(p.predictionCol, terms.reduce((s, t) => s.plus(t), F.lit(this.intercept))).drop(vec);
  }
  async save(path: string, options: { overwrite?: boolean } = {}): Promise<void> {
    await saveModelDir(path, { className: "LinearRegressionModel", uid: this.uid, params: this.params.toJSON(), data: { coefficients: this.coefficients, intercept: this.intercept } }, options.overwrite ?? false);
  }
  static async load(path: string): Promise<LinearRegressionModel> {
    const { uid, params, data } = await loadModelDir(path, "LinearRegressionModel");
    const dd = data as { coefficients: number[]; intercept: number };
    return new LinearRegressionModel(params as Partial<LinearRegressionParams>, dd.coefficients, dd.intercept, uid);
  }
}

registerModel("LinearRegressionModel", (path) => LinearRegressionModel.load(path));
