/**
 * Where training statistics come from. The iteration drivers (EM, Lloyd, the optimizers) are
 * shared; each pass over the data goes through a StatsProvider: one aggregate query per pass
 * compiled for the backend (SqlStatsProvider, runs where the data is, including Spark), or
 * WebAssembly kernels over columns copied once into shared memory (the embedded engine).
 */
import type { Matrix } from "../linalg/dense.js";
import type { LinearMetricSums } from "../kernels/params.js";

export type { LinearMetricSums };

/** Per-component constants of a Gaussian mixture, ready for the E-step. */
export interface GmmPrecomputed {
  readonly k: number;
  readonly d: number;
  /** log w_k − (d/2)·log 2π − ½·log det Σ_k */
  readonly logConst: readonly number[];
  /** A_k = C_k⁻¹ with Σ_k = C_k C_kᵀ (lower-triangular), so (x−μ)ᵀΣ⁻¹(x−μ) = ‖A_k x − b_k‖². */
  readonly A: readonly Matrix[];
  /** b_k = A_k μ_k */
  readonly b: readonly (readonly number[])[];
  /** The parameters these constants came from (covariances as regularised for the factorisation). */
  readonly raw: { readonly weights: readonly number[]; readonly means: readonly (readonly number[])[]; readonly covs: readonly (readonly (readonly number[])[])[] };
}

/** E-step sufficient statistics (weighted by the row weights when there are any). */
export interface GmmStats {
  readonly weightSum: number;
  /** Σ_i w_i · log Σ_k w_k N(x_i | μ_k, Σ_k) */
  readonly logLik: number;
  /** Σ_i w_i r_ik, length k */
  readonly sumR: Float64Array;
  /** Σ_i w_i r_ik x_i, k×d row-major */
  readonly sumRX: Float64Array;
  /** Σ_i w_i r_ik x_i x_iᵀ, k×d×d row-major (symmetric) */
  readonly sumRXX: Float64Array;
}

export interface KMeansStats {
  /** Σ w per nearest centre, length k */
  readonly counts: Float64Array;
  /** Σ w·x per nearest centre, k×d */
  readonly sums: Float64Array;
  /** Σ w·‖x − nearest centre‖² */
  readonly cost: number;
}

/** Loss and gradient sums of a generalized linear model over the rows. */
export interface GlmStats {
  readonly weightSum: number;
  /** Σ w·loss */
  readonly loss: number;
  /** Σ w·∂loss/∂β, coefficients first (class-major for multinomial), then intercept(s). */
  readonly grad: Float64Array;
}

/** One pass of X'WX and friends, for the normal equations. */
export interface GramStats {
  readonly weightSum: number;
  readonly count: number;
  readonly sumX: Float64Array;
  readonly sumY: number;
  readonly sumYY: number;
  /** d×d row-major */
  readonly xtx: Float64Array;
  readonly xty: Float64Array;
}

/** Per-feature summary used for validation and standardization. */
export interface SummaryStats {
  readonly count: number;
  readonly weightSum: number;
  readonly mean: Float64Array;
  /** Unbiased weighted variance, Σw(x−x̄)² / (W − Σw²/W), as Spark's summarizer computes it. */
  readonly variance: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  /** Rows whose features contain a null, NaN or infinite value. */
  readonly invalidRows: number;
  /** Distinct label values with their weight sums, when a label column is present (and asked for). */
  readonly labels: ReadonlyMap<number, number> | null;
  /** Rows with a null label. */
  readonly nullLabels: number;
  /** Rows with a NaN or infinite label (0 without a label column). */
  readonly nonFiniteLabels: number;
  /** Rows with a null, NaN, infinite or negative weight (0 without a weight column). */
  readonly invalidWeights: number;
  /** Weighted mean of the label (0 without a label column). */
  readonly labelMean: number;
  /** Unbiased weighted variance of the label. */
  readonly labelVariance: number;
  /** Population (biased) weighted variance of the label, Σw(y−ȳ)²/W. */
  readonly labelVariancePop: number;
}

/** A mini-batch: a pseudo-random fraction of rows, drawn with a seed. */
export interface BatchSpec { readonly fraction: number; readonly seed: number }

export interface StatsProvider {
  readonly name: string;
  readonly d: number;
  /**
   * When set, the provider sees x − shift instead of x (the data's mean, subtracted so second
   * moments do not lose precision to cancellation); callers shift means back.
   */
  readonly shift: Float64Array | null;
  /** With `labels: false` a provider may skip the distinct-label count (`labels` is then null). */
  summary(options?: { readonly labels?: boolean }): Promise<SummaryStats>;
  gmm(p: GmmPrecomputed): Promise<GmmStats>;
  /**
   * Optional: rows per component by hard assignment (largest w_k N_k(x), first on ties),
   * unweighted; estimators compute it otherwise.
   */
  gmmHardCounts?(p: GmmPrecomputed): Promise<number[]>;
  kmeans(centers: readonly (readonly number[])[]): Promise<KMeansStats>;
  /** Binomial log-loss with margin β·x + β0; labels 0/1. */
  binomial(beta: Float64Array, intercept: number, batch: BatchSpec | null): Promise<GlmStats>;
  /** Multinomial (softmax) log-loss; beta is K×d class-major, labels 0..K−1. */
  multinomial(beta: Float64Array, intercepts: Float64Array, batch: BatchSpec | null): Promise<GlmStats>;
  /** ½·Σ w (y − β·x − β0)². */
  squared(beta: Float64Array, intercept: number, batch: BatchSpec | null): Promise<GlmStats>;
  gram(): Promise<GramStats>;
  /**
   * The training columns when they are already in this process (the kernel provider), so
   * small per-row summaries need no extra pass through the engine; null otherwise.
   */
  localColumns(): { readonly x: readonly Float64Array[]; readonly y: Float64Array | null; readonly w: Float64Array | null } | null;
  /**
   * Residual sums of a linear model over the training rows and labels, when this provider can
   * take them in one pass of its own (the kernel provider over resident data); null otherwise
   * (then the caller evaluates the model through the engine).
   */
  linearMetrics(coefficients: readonly number[], intercept: number): Promise<LinearMetricSums | null>;
  /**
   * Up to `n` rows' features, drawn deterministically from `seed`, for initialisation; only rows
   * with a positive weight (a row of weight 0 must not become a starting centre).
   */
  sample(n: number, seed: number): Promise<number[][]>;
  close(): Promise<void>;
}

/**
 * Whether a provider subtracts the features' means: always (true), never (false), or "far": only
 * for features whose mean is so far from zero against their spread (mean² > FAR_FROM_ZERO ·
 * variance) that second moments about zero would lose more than six digits to cancellation.
 */
export type Centering = boolean | "far";

/** See Centering. */
export const FAR_FROM_ZERO = 1e6;

/** The shift for one feature with mean m and (population) second moment about zero q: its mean when centring applies, else 0. */
export function shiftFor(center: Centering, m: number, q: number): number {
  if (center === true) return m;
  if (center === "far" && m * m > FAR_FROM_ZERO * Math.max(0, q - m * m)) return m;
  return 0;
}

/** The features, label and weight columns an estimator trains on. */
export interface TrainingColumns {
  readonly featuresCol: string;
  readonly labelCol: string | null;
  readonly weightCol: string | null;
}

/** Precomputes the E-step constants from weights, means and covariances (throws if a covariance is not PD). */
export function gmmPrecompute(weights: readonly number[], A: readonly Matrix[], means: readonly (readonly number[])[], logDetHalf: readonly number[], covs: readonly (readonly (readonly number[])[])[]): GmmPrecomputed {
  const k = weights.length;
  const d = means[0].length;
  const logConst = weights.map((w, j) => Math.log(w) - 0.5 * d * Math.log(2 * Math.PI) - logDetHalf[j]);
  const b = A.map((a, j) => a.map((row) => row.reduce((s, v, i) => s + v * means[j][i], 0)));
  return { k, d, logConst, A, b, raw: { weights, means, covs } };
}
