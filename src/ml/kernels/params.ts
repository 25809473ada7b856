/**
 * Parameter packing and output unpacking for the WebAssembly kernels. The layouts here are the
 * ones documented in scripts/kernels/generate.mjs; every parameter value is later written twice
 * (an f64x2 splat) by the pool.
 */

/** Gaussian mixture parameters: k weights, k means of length d, k covariances (d x d). */
export interface GmmParams {
  /** Mixing weights (positive; they need not sum to 1, log w_k enters as given). */
  readonly weights: ArrayLike<number>;
  /** Component means, each of length d. */
  readonly means: readonly ArrayLike<number>[];
  /** Component covariances, each d x d row-major; only the lower triangle is read. */
  readonly covariances: readonly ArrayLike<number>[];
}

/** Sufficient statistics of one E step (responsibilities r_ik) for the M step. */
export interface GmmStats {
  readonly k: number;
  readonly d: number;
  /** sum_i w_i r_ik per component. */
  readonly sumResp: Float64Array;
  /** sum_i w_i r_ik x_i per component (length d each). */
  readonly sumX: Float64Array[];
  /** sum_i w_i r_ik x_i x_i^T per component, full d x d row-major (symmetric). */
  readonly sumXX: Float64Array[];
  /** sum_i w_i log sum_k pi_k N(x_i | mu_k, S_k). */
  readonly logLikelihood: number;
}

/** Statistics of one k-means assignment step. */
export interface KMeansStats {
  readonly k: number;
  readonly d: number;
  /** sum of row weights assigned to each centre (the count without weights). */
  readonly counts: Float64Array;
  /** sum_i w_i x_i over the rows assigned to each centre (length d each). */
  readonly sums: Float64Array[];
  /** sum_i w_i min_c ||x_i - c||^2. */
  readonly cost: number;
}

/** Loss and gradient sums of binomial logistic regression at one point. */
export interface LogisticStats {
  /** sum_i w_i (log(1 + e^m_i) - y_i m_i), m_i = intercept + coefficients . x_i. */
  readonly loss: number;
  /** sum_i w_i (sigmoid(m_i) - y_i) x_i. */
  readonly gradient: Float64Array;
  /** sum_i w_i (sigmoid(m_i) - y_i). */
  readonly interceptGradient: number;
  /** sum_i w_i. */
  readonly weightSum: number;
}

/** Loss and gradient sums of multinomial (softmax) logistic regression at one point. */
export interface MultinomialStats {
  /** sum_i w_i (log sum_c e^m_ic - m_i,y_i). */
  readonly loss: number;
  /** Per class c: sum_i w_i (p_ic - [y_i = c]) x_i. */
  readonly gradient: Float64Array[];
  /** Per class c: sum_i w_i (p_ic - [y_i = c]). */
  readonly interceptGradient: Float64Array;
  readonly weightSum: number;
}

/** Residual sums of a linear model at (coefficients, intercept): p = intercept + coefficients . x, e = y - p. */
export interface LinearMetricSums {
  /** sum_i w_i. */
  readonly weightSum: number;
  /** sum_i w_i y_i and sum_i w_i y_i^2. */
  readonly sumY: number;
  readonly sumYY: number;
  /** sum_i w_i e_i^2 and sum_i w_i |e_i|. */
  readonly sumSquaredError: number;
  readonly sumAbsError: number;
  /** sum_i w_i p_i and sum_i w_i p_i^2. */
  readonly sumPred: number;
  readonly sumPredSq: number;
}

/** Weighted moments for least squares (the normal equations). */
export interface GramStats {
  /** sum w. */
  readonly weightSum: number;
  /** sum w x (length d). */
  readonly sumX: Float64Array;
  /** X^T W X, full d x d row-major. */
  readonly xtx: Float64Array;
  /** X^T W y (length d). */
  readonly xty: Float64Array;
  /** sum w y. */
  readonly sumY: number;
  /** sum w y^2. */
  readonly sumYY: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** Number of entries of a packed lower triangle (diagonal included). */
export function tri(d: number): number {
  return (d * (d + 1)) / 2;
}

/**
 * Packs GMM parameters for the kernels: per component, the constant
 * log w - d/2 log(2 pi) - 1/2 log det S, then b = A mu, then A = C^-1 packed by rows, where
 * S = C C^T (Cholesky). The kernel's log-density is constant - ||A x - b||^2 / 2.
 * @throws RangeError when a covariance is not positive definite or a weight is not positive.
 */
export function packGmm(params: GmmParams, d: number): Float64Array {
  const k = params.weights.length;
  if (params.means.length !== k || params.covariances.length !== k) {
    throw new RangeError(`GMM parameters disagree on k: ${k} weights, ${params.means.length} means, ${params.covariances.length} covariances`);
  }
  const Q = 1 + d + tri(d);
  const packed = new Float64Array(k * Q);
  const C = new Float64Array(d * d);
  const A = new Float64Array(d * d);
  for (let c = 0; c < k; c++) {
    const w = params.weights[c];
    const mu = params.means[c];
    const S = params.covariances[c];
    if (!(w > 0) || !Number.isFinite(w)) throw new RangeError(`GMM weight ${c} must be positive and finite, got ${w}`);
    if (mu.length !== d) throw new RangeError(`GMM mean ${c} has length ${mu.length}, expected ${d}`);
    if (S.length !== d * d) throw new RangeError(`GMM covariance ${c} has ${S.length} entries, expected ${d * d}`);
    let logDetC = 0;
    C.fill(0);
    for (let j = 0; j < d; j++) {
      let s = S[j * d + j];
      for (let m = 0; m < j; m++) s -= C[j * d + m] * C[j * d + m];
      if (!(s > 0) || !Number.isFinite(s)) {
        throw new RangeError(`GMM covariance ${c} is not positive definite (pivot ${j} is ${s}); add a small regularization to its diagonal`);
      }
      const cjj = Math.sqrt(s);
      C[j * d + j] = cjj;
      logDetC += Math.log(cjj);
      for (let i = j + 1; i < d; i++) {
        let t = S[i * d + j];
        for (let m = 0; m < j; m++) t -= C[i * d + m] * C[j * d + m];
        C[i * d + j] = t / cjj;
      }
    }
    // A = C^-1 (lower triangular), column by column.
    A.fill(0);
    for (let j = 0; j < d; j++) {
      A[j * d + j] = 1 / C[j * d + j];
      for (let i = j + 1; i < d; i++) {
        let t = 0;
        for (let m = j; m < i; m++) t += C[i * d + m] * A[m * d + j];
        A[i * d + j] = -t / C[i * d + i];
      }
    }
    const o = c * Q;
    packed[o] = Math.log(w) - 0.5 * d * LOG_2PI - logDetC;
    let a = o + 1 + d;
    for (let i = 0; i < d; i++) {
      let b = 0;
      for (let j = 0; j <= i; j++) {
        b += A[i * d + j] * mu[j];
        packed[a++] = A[i * d + j];
      }
      packed[o + 1 + i] = b;
    }
  }
  for (let i = 0; i < packed.length; i++) {
    if (!Number.isFinite(packed[i])) throw new RangeError("GMM parameters are not finite (a mean or covariance holds NaN or Infinity, or a covariance is too close to singular)");
  }
  return packed;
}

/** Expands a packed lower triangle (by rows) to a full symmetric d x d row-major matrix. */
export function unpackSymmetric(src: Float64Array, offset: number, d: number): Float64Array {
  const m = new Float64Array(d * d);
  let t = offset;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      const v = src[t++];
      m[i * d + j] = v;
      m[j * d + i] = v;
    }
  }
  return m;
}

export function unpackGmm(out: Float64Array, k: number, d: number): GmmStats {
  const Q = 1 + d + tri(d);
  const sumResp = new Float64Array(k);
  const sumX: Float64Array[] = [];
  const sumXX: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    const o = c * Q;
    sumResp[c] = out[o];
    sumX.push(out.slice(o + 1, o + 1 + d));
    sumXX.push(unpackSymmetric(out, o + 1 + d, d));
  }
  return { k, d, sumResp, sumX, sumXX, logLikelihood: out[k * Q] };
}

export function packRows(rows: readonly ArrayLike<number>[], d: number, what: string): Float64Array {
  const packed = new Float64Array(rows.length * d);
  rows.forEach((r, c) => {
    if (r.length !== d) throw new RangeError(`${what} ${c} has length ${r.length}, expected ${d}`);
    for (let j = 0; j < d; j++) packed[c * d + j] = r[j];
  });
  for (let i = 0; i < packed.length; i++) {
    if (!Number.isFinite(packed[i])) throw new RangeError(`${what} values must be finite`);
  }
  return packed;
}

export function unpackKMeans(out: Float64Array, k: number, d: number): KMeansStats {
  const counts = new Float64Array(k);
  const sums: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    counts[c] = out[c * (d + 1)];
    sums.push(out.slice(c * (d + 1) + 1, (c + 1) * (d + 1)));
  }
  return { k, d, counts, sums, cost: out[k * (d + 1)] };
}

export function unpackLogistic(out: Float64Array, d: number): LogisticStats {
  return { loss: out[0], gradient: out.slice(1, 1 + d), interceptGradient: out[1 + d], weightSum: out[2 + d] };
}

export function unpackMultinomial(out: Float64Array, k: number, d: number): MultinomialStats {
  const gradient: Float64Array[] = [];
  for (let c = 0; c < k; c++) gradient.push(out.slice(1 + c * d, 1 + (c + 1) * d));
  return {
    loss: out[0],
    gradient,
    interceptGradient: out.slice(1 + k * d, 1 + k * d + k),
    weightSum: out[1 + k * (d + 1)],
  };
}

export function unpackLinearMetrics(out: Float64Array): LinearMetricSums {
  return { weightSum: out[0], sumY: out[1], sumYY: out[2], sumSquaredError: out[3], sumAbsError: out[4], sumPred: out[5], sumPredSq: out[6] };
}

export function unpackGram(out: Float64Array, d: number): GramStats {
  const T = tri(d);
  return {
    weightSum: out[0],
    sumX: out.slice(1, 1 + d),
    xtx: unpackSymmetric(out, 1 + d, d),
    xty: out.slice(1 + d + T, 1 + 2 * d + T),
    sumY: out[1 + 2 * d + T],
    sumYY: out[2 + 2 * d + T],
  };
}
