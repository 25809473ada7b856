/**
 * Gaussian mixture models with full covariances, trained by expectation-maximisation over the
 * whole dataset where it lives: each iteration's responsibilities and moments come from one
 * pass of a statistics provider (a backend aggregate, or WebAssembly kernels on all cores).
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { Column } from "../../api/column.js";
import { ExecutionError, IllegalArgumentError } from "../../errors.js";
import { Estimator, Model } from "../base/estimator.js";
import { ge, type ParamTable } from "../base/params.js";
import { loadModelDir, registerModel, saveModelDir } from "../base/persistence.js";
import { cholesky, invertLower, logDiagSum, zeros, type Matrix } from "../linalg/dense.js";
import { gmmPrecompute, type GmmPrecomputed, type StatsProvider, type TrainingColumns } from "../stats/provider.js";
import { checkedFeatures, checkTrainingColumns, checkVector, predictionCounts, checkTrainingSummary, kmeansPlusPlus, localLloyd, trainingProvider, prng, sortRows, type ProgressCallback, type ProviderChoice } from "../common.js";

/** One fitted component. */
export interface MultivariateGaussian { readonly mean: number[]; readonly cov: number[][] }

/** Starting parameters for EM (our extension: Spark has none; scikit-learn calls them *_init). */
export interface GaussianMixtureInit { readonly weights: readonly number[]; readonly means: readonly (readonly number[])[]; readonly covs: readonly (readonly (readonly number[])[])[] }

export interface GaussianMixtureParams {
  featuresCol: string; predictionCol: string; probabilityCol: string; weightCol: string | null;
  k: number; maxIter: number; tol: number; seed: number; regCovar: number;
  initMode: "k-means++" | "random"; initialModel: GaussianMixtureInit | null;
  statsProvider: ProviderChoice; onProgress: ProgressCallback | null;
}

const PARAMS: ParamTable = [
  { name: "featuresCol", type: "string", default: "features", doc: "Vector column to cluster." },
  { name: "predictionCol", type: "string", default: "prediction", doc: "Output column: index of the most probable component." },
  { name: "probabilityCol", type: "string", default: "probability", doc: "Output column: vector of component probabilities." },
  { name: "weightCol", type: "string?", default: null, doc: "Optional column of non-negative row weights." },
  { name: "k", type: "int", default: 2, doc: "Number of components (> 1).", check: (v) => (typeof v === "number" && v > 1 ? null : "must be > 1") },
  { name: "maxIter", type: "int", default: 100, doc: "Maximum number of EM iterations.", check: ge(0) },
  { name: "tol", type: "float", default: 0.01, doc: "Stop when the TOTAL log-likelihood (summed over rows, not averaged) changes by less than tol between iterations, as in Spark. scikit-learn's tol compares the per-row average instead: use tol = sklearn_tol × n to match it.", check: ge(0) },
  { name: "seed", type: "int", default: 42, doc: "Seed of the initialisation's random choices." },
  { name: "regCovar", type: "float", default: 1e-6, doc: "Added to each covariance's diagonal so it stays positive definite (scikit-learn's reg_covar; Spark has none).", check: ge(0) },
  { name: "initMode", type: "string", default: "k-means++", values: ["k-means++", "random"], doc: "k-means++: seeds on a sample refined by Lloyd steps, then moments of each seed's points (like scikit-learn's kmeans init). random: each mean averages 5 sampled rows, diagonal covariance (Spark's initialisation)." },
  { name: "initialModel", type: "object?", default: null, doc: "Explicit starting { weights, means, covs } (overrides initMode)." },
  { name: "statsProvider", type: "string", default: "auto", values: ["auto", "sql", "kernel"], doc: "Where each iteration's statistics are computed: the engine (sql) or in-process WebAssembly kernels (kernel); auto picks kernels on the embedded engine." },
  { name: "onProgress", type: "function?", default: null, doc: "Called after each iteration with { iteration, objective (total log-likelihood), elapsedMs }." },
];

/** Training summary. */
export interface GaussianMixtureSummary {
  readonly k: number;
  /** Total log-likelihood of the training data under the parameters of the last E-step. */
  readonly logLikelihood: number;
  readonly logLikelihoodHistory: readonly number[];
  readonly numIter: number;
  readonly converged: boolean;
  /** Rows per component (by most probable component). */
  readonly clusterSizes: readonly number[];
  /** Which statistics provider trained the model ("sql" or "kernel"). */
  readonly statsProvider: string;
}

/** Per-component E-step constants, with regularisation escalated until each covariance factors. */
function precompute(weights: readonly number[], means: readonly (readonly number[])[], covs: readonly Matrix[], regCovar: number): GmmPrecomputed {
  const A: Matrix[] = [], half: number[] = [], used: Matrix[] = [];
  covs.forEach((c, j) => {
    let jitter = 0;
    let cur = c;
    let l = cholesky(cur);
    for (let t = 0; !l && t < 12; t++) {
      jitter = Math.max(regCovar, 1e-12) * 10 ** t;
      cur = c.map((row, a) => row.map((v, b) => (a === b ? v + jitter : v)));
      l = cholesky(cur);
    }
    if (!l) throw new ExecutionError(`GaussianMixture: the covariance of component ${j} is not positive definite even with regularization ${jitter}; the data may hold NaN or infinite values.`, "SINGULAR_COVARIANCE");
    A.push(invertLower(l));
    half.push(logDiagSum(l));
    used.push(cur);
  });
  return gmmPrecompute(weights.map((w) => Math.max(w, 1e-300)), A, means, half, used);
}

/**
 * Gaussian mixture clustering (full covariance, EM).
 * @example
 * const model = await new GaussianMixture({ k: 3, seed: 1 }).fit(assembler.transform(df));
 * model.weights; model.gaussians[0].mean; model.summary.logLikelihood;
 */
export class GaussianMixture extends Estimator<GaussianMixtureModel> {
  static readonly paramTable = PARAMS;
  constructor(params: Partial<GaussianMixtureParams> = {}, uid?: string) { super(PARAMS, params as Record<string, unknown>, uid); }
  copy(overrides: Partial<GaussianMixtureParams> = {}): GaussianMixture { return new GaussianMixture({ ...(this.getParams() as Partial<GaussianMixtureParams>), ...overrides }, this.uid); }

  async fit(df: DataFrame): Promise<GaussianMixtureModel> {
    this.params.validate();
    const p = this.getParams() as unknown as GaussianMixtureParams;
    const t0 = performance.now();
    await checkTrainingColumns(df, p, "GaussianMixture");
    const cols: TrainingColumns = { featuresCol: p.featuresCol, labelCol: null, weightCol: p.weightCol };
    const { provider, d, n } = await trainingProvider(df, cols, "GaussianMixture", p.statsProvider, { center: true });
    try {
      if (p.k > n) throw new IllegalArgumentError(`GaussianMixture: k = ${p.k} is larger than the number of rows (${n}); use k <= ${n}.`, "K_TOO_LARGE");
      const summary = await provider.summary();
      checkTrainingSummary(summary, "GaussianMixture", cols);
      const shift = provider.shift ?? new Float64Array(d);
      let { weights, means, covs } = await this.initialise(provider, p, d, shift, summary.variance);
      const history: number[] = [];
      let converged = false, iter = 0;
      for (; iter < p.maxIter; iter++) {
        const stats = await provider.gmm(precompute(weights, means, covs, p.regCovar));
        history.push(stats.logLik);
        p.onProgress?.({ estimator: "GaussianMixture", iteration: iter + 1, objective: stats.logLik, elapsedMs: performance.now() - t0 });
        // M-step, as scikit-learn does it: a component that lost all its mass keeps a tiny
        // weight, a zero mean and a regCovar·I covariance instead of turning into NaN.
        const eps = 10 * 2.220446049250313e-16;
        const nk = Array.from(stats.sumR, (v) => v + eps);
        const total = stats.weightSum;
        weights = nk.map((v) => v / nk.reduce((a, b) => a + b, 0));
        means = nk.map((v, j) => Array.from({ length: d }, (_, a) => stats.sumRX[j * d + a] / v));
        covs = nk.map((v, j) => {
          const c = zeros(d, d);
          for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) c[a][b] = stats.sumRXX[j * d * d + a * d + b] / v - means[j][a] * means[j][b];
          for (let a = 0; a < d; a++) c[a][a] += p.regCovar;
          return c;
        });
        void total;
        if (iter > 0 && Math.abs(history[iter] - history[iter - 1]) < p.tol) { converged = true; iter++; break; }
      }
      const model = new GaussianMixtureModel(
        { ...p, onProgress: null },
        weights,
        means.map((m, j) => ({ mean: m.map((v, a) => v + shift[a]), cov: covs[j].map((row) => [...row]) })),
        this.uid,
      );
      const sizes = provider.gmmHardCounts ? await provider.gmmHardCounts(precompute(weights, means, covs, p.regCovar)) : await model.clusterSizesOf(df);
      model.summary = { k: p.k, logLikelihood: history[history.length - 1] ?? NaN, logLikelihoodHistory: history, numIter: iter, converged, clusterSizes: sizes, statsProvider: provider.name };
      return model;
    } finally {
      await provider.close();
    }
  }

  /** Starting weights, means (in the provider's shifted coordinates) and covariances. */
  private async initialise(provider: StatsProvider, p: GaussianMixtureParams, d: number, shift: Float64Array, variance: Float64Array): Promise<{ weights: number[]; means: number[][]; covs: Matrix[] }> {
    if (p.initialModel) {
      const im = p.initialModel;
      if (im.weights.length !== p.k || im.means.length !== p.k || im.covs.length !== p.k) throw new IllegalArgumentError(`GaussianMixture: initialModel must have k = ${p.k} weights, means and covariances.`, "INVALID_PARAM");
      if (im.means.some((m) => m.length !== d) || im.covs.some((c) => c.length !== d || c.some((r) => r.length !== d))) throw new IllegalArgumentError(`GaussianMixture: initialModel means must have ${d} entries and covariances must be ${d}×${d}.`, "INVALID_PARAM");
      return { weights: [...im.weights], means: im.means.map((m) => m.map((v, a) => v - shift[a])), covs: im.covs.map((c) => c.map((r) => [...r])) };
    }
    const rand = prng(p.seed);
    const sample = sortRows(await provider.sample(Math.max(20 * p.k, 10000), p.seed));
    if (sample.length < p.k) throw new IllegalArgumentError(`GaussianMixture: only ${sample.length} rows to initialise ${p.k} components.`, "K_TOO_LARGE");
    if (p.initMode === "random") {
      // Spark's initialisation: each mean averages 5 rows drawn with replacement; diagonal covariance.
      const means: number[][] = [], covs: Matrix[] = [];
      for (let j = 0; j < p.k; j++) {
        const rows = Array.from({ length: 5 }, () => sample[Math.floor(rand() * sample.length)]);
        const m = Array.from({ length: d }, (_, a) => rows.reduce((s, r) => s + r[a], 0) / 5);
        const c = zeros(d, d);
        for (let a = 0; a < d; a++) c[a][a] = Math.max(rows.reduce((s, r) => s + (r[a] - m[a]) ** 2, 0) / 5, variance[a] * 1e-3, p.regCovar || 1e-9);
        means.push(m); covs.push(c);
      }
      return { weights: new Array(p.k).fill(1 / p.k), means, covs };
    }
    const seeds = localLloyd(sample, null, kmeansPlusPlus(sample, null, p.k, rand), 10);
    const groups: number[][][] = seeds.map(() => []);
    for (const r of sample) {
      let bj = 0, bd = Infinity;
      seeds.forEach((c, j) => { let s = 0; for (let a = 0; a < d; a++) s += (r[a] - c[a]) ** 2; if (s < bd) { bd = s; bj = j; } });
      groups[bj].push(r);
    }
    const weights = groups.map((g) => Math.max(g.length, 1) / sample.length);
    const means = groups.map((g, j) => (g.length ? Array.from({ length: d }, (_, a) => g.reduce((s, r) => s + r[a], 0) / g.length) : seeds[j]));
    const covs = groups.map((g, j) => {
      const c = zeros(d, d);
      for (const r of g) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) c[a][b] += (r[a] - means[j][a]) * (r[b] - means[j][b]);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) c[a][b] = g.length > 1 ? c[a][b] / g.length : a === b ? variance[a] || 1 : 0;
      for (let a = 0; a < d; a++) c[a][a] += p.regCovar;
      return c;
    });
    const s = weights.reduce((a, b) => a + b, 0);
    return { weights: weights.map((w) => w / s), means, covs };
  }
}

/**
 * A fitted Gaussian mixture. `transform` adds the probability vector and the most probable
 * component (lazily, as column expressions).
 */
export class GaussianMixtureModel extends Model {
  /** Training summary (absent on a loaded model). */
  summary: GaussianMixtureSummary | null = null;
  private readonly pre: GmmPrecomputed;

  constructor(params: Partial<GaussianMixtureParams>, readonly weights: number[], readonly gaussians: MultivariateGaussian[], uid?: string) {
    super(PARAMS, { ...params, onProgress: null } as Record<string, unknown>, uid);
    this.pre = precompute(weights, gaussians.map((g) => g.mean), gaussians.map((g) => g.cov), 0);
  }
  copy(overrides: Partial<GaussianMixtureParams> = {}): GaussianMixtureModel {
    const m = new GaussianMixtureModel({ ...(this.getParams() as Partial<GaussianMixtureParams>), ...overrides }, this.weights, this.gaussians, this.uid);
    m.summary = this.summary;
    return m;
  }
  /** Number of components. */
  get k(): number { return this.weights.length; }

  private logProbs(x: readonly number[]): number[] {
    const { k, d, A, b, logConst } = this.pre;
    checkVector(x, d, "GaussianMixtureModel");
    return Array.from({ length: k }, (_, j) => {
      let q = 0;
      for (let i = 0; i < d; i++) { let z = -b[j][i]; for (let c = 0; c <= i; c++) z += A[j][i][c] * x[c]; q += z * z; }
      return logConst[j] - 0.5 * q;
    });
  }
  /** Component probabilities of one vector. */
  predictProbability(x: readonly number[]): number[] {
    const lp = this.logProbs(x);
    const m = Math.max(...lp);
    const s = lp.reduce((acc, v) => acc + Math.exp(v - m), 0);
    return lp.map((v) => Math.exp(v - m) / s);
  }
  /** The most probable component of one vector. */
  predict(x: readonly number[]): number {
    const p = this.predictProbability(x);
    return p.indexOf(Math.max(...p));
  }

  /** Adds `probabilityCol` (array<double>) and `predictionCol` (int); lazy. */
  transform(df: DataFrame): DataFrame {
    const p = this.getParams() as unknown as GaussianMixtureParams;
    const { k, d, A, b, logConst } = this.pre;
    const vec = `__gmm_x_${this.uid}`;
    const checked = checkedFeatures(df, p.featuresCol, d, "GaussianMixtureModel", vec);
    const x = checked.x;
    const tmp = (j: number) => `__gmm_lp${j}_${this.uid}`;
    let out = checked.df;
    for (let j = 0; j < k; j++) {
      const zs: Column[] = [];
      for (let i = 0; i < d; i++) {
        let z: Column = F.lit(-b[j][i]);
        for (let c = 0; c <= i; c++) if (A[j][i][c] !== 0) z = z.plus(x[c].multiply(A[j][i][c]));
        zs.push(z.multiply(z));
      }
      out = out.withColumn(tmp(j), F.lit(logConst[j]).minus(zs.reduce((s, v) => s.plus(v)).multiply(0.5)));
    }
    const lp = Array.from({ length: k }, (_, j) => F.col(tmp(j)));
    const mx = `__gmm_max_${this.uid}`, lse = `__gmm_lse_${this.uid}`;
    out = out.withColumn(mx, F.greatest(...lp)).withColumn(lse, F.col(mx).plus(F.log(lp.map((c) => F.exp(c.minus(F.col(mx)))).reduce((s, v) => s.plus(v)))));
    let pred = F.when(lp[0].eq(F.col(mx)), 0);
    for (let j = 1; j < k; j++) pred = pred.when(lp[j].eq(F.col(mx)), j);
    out = out
      .withColumn(p.probabilityCol, checked.orNull(F.array(...lp.map((c) => F.exp(c.minus(F.col(lse))))).cast("array<double>")))
      .withColumn(p.predictionCol, checked.orNull(pred.otherwise(0)).cast("int"));
    return out.drop(...lp.map((_, j) => tmp(j)), mx, lse, vec);
  }

  /** @internal Rows per most probable component. */
  async clusterSizesOf(df: DataFrame): Promise<number[]> {
    const p = this.getParams() as unknown as GaussianMixtureParams;
    return predictionCounts(this.transform(df), p.predictionCol, this.k);
  }

  /** Saves weights, means and covariances (JSON) and the params. */
  async save(path: string, options: { overwrite?: boolean } = {}): Promise<void> {
    await saveModelDir(path, { className: "GaussianMixtureModel", uid: this.uid, params: this.params.toJSON(), data: { weights: this.weights, gaussians: this.gaussians } }, options.overwrite ?? false);
  }
  /** Loads a model saved by `save`. */
  static async load(path: string): Promise<GaussianMixtureModel> {
    const { uid, params, data } = await loadModelDir(path, "GaussianMixtureModel");
    const dd = data as { weights: number[]; gaussians: MultivariateGaussian[] };
    return new GaussianMixtureModel(params as Partial<GaussianMixtureParams>, dd.weights, dd.gaussians, uid);
  }
}

registerModel("GaussianMixtureModel", (path) => GaussianMixtureModel.load(path));
