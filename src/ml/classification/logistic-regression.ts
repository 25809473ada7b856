/**
 * Logistic regression, binomial and multinomial, trained on the whole dataset by L-BFGS
 * (OWL-QN with an L1 term), gradient descent or mini-batch SGD: each objective evaluation is
 * one pass of the statistics provider.
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import { Window } from "../../api/window.js";
import type { Column } from "../../api/column.js";
import { IllegalArgumentError } from "../../errors.js";
import { Estimator, Model } from "../base/estimator.js";
import { ge, gt, inRange, type ParamTable } from "../base/params.js";
import { loadModelDir, registerModel, saveModelDir } from "../base/persistence.js";
import { checkedFeatures, checkTrainingColumns, checkVector, checkTrainingSummary, linearPredictors, trainingProvider, type ProgressCallback, type ProviderChoice } from "../common.js";
import { trainGlm, type Solver } from "../regression/glm.js";
import type { TrainingColumns } from "../stats/provider.js";
import { curvePoints, trapezoidArea, type ScoreCounts } from "../evaluation/binary-classification-evaluator.js";

export interface LogisticRegressionParams {
  featuresCol: string; labelCol: string; predictionCol: string; probabilityCol: string; rawPredictionCol: string; weightCol: string | null;
  maxIter: number; regParam: number; elasticNetParam: number; tol: number; fitIntercept: boolean; standardization: boolean;
  threshold: number; family: "auto" | "binomial" | "multinomial"; solver: Solver; stepSize: number; miniBatchFraction: number; seed: number;
  statsProvider: ProviderChoice; onProgress: ProgressCallback | null;
}

const PARAMS: ParamTable = [
  { name: "featuresCol", type: "string", default: "features", doc: "Vector column of features." },
  { name: "labelCol", type: "string", default: "label", doc: "Label column: 0/1 for binomial, 0..K−1 for multinomial." },
  { name: "predictionCol", type: "string", default: "prediction", doc: "Output column: predicted label (double)." },
  { name: "probabilityCol", type: "string", default: "probability", doc: "Output column: class probabilities (vector)." },
  { name: "rawPredictionCol", type: "string", default: "rawPrediction", doc: "Output column: margins (vector; binomial: [−m, m])." },
  { name: "weightCol", type: "string?", default: null, doc: "Optional column of non-negative row weights." },
  { name: "maxIter", type: "int", default: 100, doc: "Maximum optimizer iterations.", check: ge(0) },
  { name: "regParam", type: "float", default: 0, doc: "Regularization strength λ.", check: ge(0) },
  { name: "elasticNetParam", type: "float", default: 0, doc: "Elastic-net mixing α in [0, 1]: 0 is L2, 1 is L1.", check: inRange(0, 1) },
  { name: "tol", type: "float", default: 1e-6, doc: "Convergence tolerance, as in Spark. L-BFGS/OWL-QN: stop when the gradient's norm is at most max(tol·|objective|, 1e-8) or the objective moved at most tol·|initial objective| over the last 20 iterations; gd: when the objective's relative change is below tol; sgd: when the solution moves less than tol·max(‖x‖, 1).", check: ge(0) },
  { name: "fitIntercept", type: "boolean", default: true, doc: "Whether to fit an intercept (never regularized)." },
  { name: "standardization", type: "boolean", default: true, doc: "Penalise standardized coefficients (Spark's default)." },
  { name: "threshold", type: "float", default: 0.5, doc: "Binomial: predict 1 when P(1) > threshold.", check: inRange(0, 1) },
  { name: "family", type: "string", default: "auto", values: ["auto", "binomial", "multinomial"], doc: "auto: binomial for at most 2 classes, else multinomial." },
  { name: "solver", type: "string", default: "auto", values: ["auto", "lbfgs", "l-bfgs", "gd", "sgd"], doc: "auto/lbfgs: L-BFGS (OWL-QN with L1); gd: gradient descent with backtracking (proximal for L1); sgd: mini-batch SGD." },
  { name: "stepSize", type: "float", default: 1.0, doc: "Initial step of gd, and the step of sgd (decayed as stepSize/√t).", check: gt(0) },
  { name: "miniBatchFraction", type: "float", default: 1.0, doc: "Fraction of rows per sgd step.", check: (v) => (typeof v === "number" && v > 0 && v <= 1 ? null : "must be in (0, 1]") },
  { name: "seed", type: "int", default: 42, doc: "Seed of sgd's mini-batch draws." },
  { name: "statsProvider", type: "string", default: "auto", values: ["auto", "sql", "kernel"], doc: "Where the data passes run (see GaussianMixture)." },
  { name: "onProgress", type: "function?", default: null, doc: "Called after each iteration with { iteration, objective, elapsedMs }." },
];

/** A point of the ROC or precision-recall curve. */
export interface CurvePoint { readonly x: number; readonly y: number }

/** What training measured on the training data. */
export interface LogisticRegressionTrainingSummary {
  readonly accuracy: number;
  /** Binomial only. */
  readonly areaUnderROC: number | null;
  /** Binomial only: (FPR, TPR) points from (0, 0) to (1, 1). */
  readonly roc: readonly { FPR: number; TPR: number }[] | null;
  /** Binomial only: (recall, precision) points. */
  readonly pr: readonly { recall: number; precision: number }[] | null;
  readonly objectiveHistory: readonly number[];
  readonly totalIterations: number;
  readonly solver: string;
  readonly statsProvider: string;
}

/**
 * Logistic regression.
 * @example
 * const lr = new LogisticRegression({ maxIter: 100, regParam: 0.01 });
 * const model = await new Pipeline({ stages: [assembler, lr] }).fit(train);
 */
export class LogisticRegression extends Estimator<LogisticRegressionModel> {
  static readonly paramTable = PARAMS;
  constructor(params: Partial<LogisticRegressionParams> = {}, uid?: string) { super(PARAMS, params as Record<string, unknown>, uid); }
  copy(overrides: Partial<LogisticRegressionParams> = {}): LogisticRegression { return new LogisticRegression({ ...(this.getParams() as Partial<LogisticRegressionParams>), ...overrides }, this.uid); }

  async fit(df: DataFrame): Promise<LogisticRegressionModel> {
    this.params.validate();
    const p = this.getParams() as unknown as LogisticRegressionParams;
    await checkTrainingColumns(df, p, "LogisticRegression");
    const cols: TrainingColumns = { featuresCol: p.featuresCol, labelCol: p.labelCol, weightCol: p.weightCol };
    const { provider, d } = await trainingProvider(df, cols, "LogisticRegression", p.statsProvider);
    try {
      const summary = await provider.summary();
      checkTrainingSummary(summary, "LogisticRegression", cols);
      const labels = [...summary.labels!.keys()].sort((a, b) => a - b);
      const bad = labels.filter((l) => !Number.isInteger(l) || l < 0);
      if (bad.length) throw new IllegalArgumentError(`LogisticRegression: labels must be integers 0, 1, ... (class indices); found ${bad.slice(0, 5).join(", ")}. Index string labels with StringIndexer.`, "INVALID_LABEL");
      const numClasses = Math.max(2, (labels[labels.length - 1] ?? 0) + 1);
      const family = p.family === "auto" ? (numClasses > 2 ? "multinomial" : "binomial") : p.family;
      if (family === "binomial" && numClasses > 2) {
        throw new IllegalArgumentError(`LogisticRegression: family "binomial" needs labels 0 and 1, but the label column holds ${labels.join(", ")}. Use family "multinomial" or relabel.`, "INVALID_LABEL");
      }
      const K = family === "multinomial" ? numClasses : 1;
      const counts = Array.from({ length: numClasses }, (_, c) => summary.labels!.get(c) ?? 0);
      const total = counts.reduce((a, b) => a + b, 0);
      // Spark's starting intercepts: log odds (binomial), centred log class frequencies (multinomial).
      let init: number[];
      if (family === "binomial") init = [counts[1] > 0 && counts[0] > 0 ? Math.log(counts[1] / counts[0]) : 0];
      else {
        const logs = counts.map((c) => Math.log((c + 1e-12) / total));
        const mean = logs.reduce((a, b) => a + b, 0) / K;
        init = logs.map((v) => v - mean);
      }
      // Binomial, every row in one class, with an intercept: as Spark, no training; zero
      // coefficients and an infinite intercept (the optimum the optimizer could only approach).
      const present = counts.filter((c) => c > 0).length;
      const constant = family === "binomial" && p.fitIntercept && present === 1 ? counts.findIndex((c) => c > 0) : -1;
      const r = constant >= 0
        ? {
          beta: new Float64Array(K * d),
          intercepts: Float64Array.of(constant === 1 ? Infinity : -Infinity),
          objectiveHistory: [] as number[], iterations: 0, converged: true, solver: p.solver,
        }
        : await trainGlm(provider, summary, {
          kind: family === "multinomial" ? "multinomial" : "binomial", d, K, fitIntercept: p.fitIntercept, standardization: p.standardization,
          regParam: p.regParam, elasticNetParam: p.elasticNetParam, solver: p.solver, maxIter: p.maxIter, tol: p.tol, stepSize: p.stepSize,
          miniBatchFraction: p.miniBatchFraction, seed: p.seed, onProgress: p.onProgress, estimator: "LogisticRegression", initialIntercepts: init,
        });
      let coefs = Array.from({ length: K }, (_, c) => Array.from(r.beta.subarray(c * d, (c + 1) * d)));
      let icpts = Array.from(r.intercepts);
      if (family === "multinomial" && p.regParam === 0) {
        // Without regularization only differences between classes are identified: centre them, as Spark does.
        const mc = coefs[0].map((_, j) => coefs.reduce((s, row) => s + row[j], 0) / K);
        coefs = coefs.map((row) => row.map((v, j) => v - mc[j]));
        const mi = icpts.reduce((a, b) => a + b, 0) / K;
        icpts = icpts.map((v) => v - mi);
      }
      const model = new LogisticRegressionModel({ ...p, onProgress: null }, coefs, icpts, numClasses, family === "multinomial", this.uid);
      const local = provider.localColumns();
      model.summary = local && local.y ? localSummary(model, local.x, local.y, local.w, p, r.objectiveHistory, r.iterations, r.solver, provider.name)
        : await trainingSummary(model, df, p, r.objectiveHistory, r.iterations, r.solver, provider.name);
      return model;
    } finally {
      await provider.close();
    }
  }
}

/** ROC and PR curves and the area under ROC, from weighted counts per distinct score, best score first. */
function curves(groups: readonly ScoreCounts[]): { auc: number; roc: { FPR: number; TPR: number }[]; pr: { recall: number; precision: number }[] } {
  const pts = curvePoints(groups);
  return { auc: trapezoidArea(pts.roc), roc: pts.roc.map(([FPR, TPR]) => ({ FPR, TPR })), pr: pts.pr.map(([recall, precision]) => ({ recall, precision })) };
}

/**
 * The training summary computed over in-process columns (kernel provider): no engine pass. The
 * accuracy is computed now, in one pass that keeps the margins; the ROC/PR curves and the area
 * under ROC (a sort of the scores) on first access, as Spark's summary computes them lazily.
 */
function localSummary(model: LogisticRegressionModel, x: readonly Float64Array[], y: Float64Array, w: Float64Array | null, p: LogisticRegressionParams, history: readonly number[], iterations: number, solver: string, providerName: string): LogisticRegressionTrainingSummary {
  const n = y.length;
  const B = model.coefficientMatrix, b0 = model.interceptVector, K = B.length;
  let ok = 0, sw = 0;
  const base = { objectiveHistory: history, totalIterations: iterations, solver, statsProvider: providerName };
  const binomial = !model.isMultinomial;
  // Binomial margins go straight into `score` (kept for the curves), multinomial ones into a
  // small buffer per class that stays in cache; block by block, column by column: the same sums,
  // in the same order, as row by row.
  const BLOCK = 4096;
  const score = binomial ? new Float64Array(n) : null;
  const margins = binomial ? [] : Array.from({ length: K }, () => new Float64Array(BLOCK));
  const marginsOf = (c: number, r0: number, m: number): Float64Array => {
    const mc = score ? score.subarray(r0, r0 + m) : margins[c];
    linearPredictors(mc, x, B[c], b0[c], r0, m);
    return mc;
  };
  // p = 1 / (1 + e^-m) > threshold  <=>  m > logit(threshold): the exp is needed only for margins
  // next to that boundary (rounding), and for the curves, which convert on first access.
  const t = p.threshold, tm = Math.log(t / (1 - t));
  const near = t > 0 && t < 1 ? 1e-6 * (1 + Math.abs(tm)) : Infinity; // thresholds 0 and 1: always exact
  // Binomial: what the curves need once the kernels' memory is reused by the next fit: the
  // labels as bytes (they are 0 and 1), and the weights.
  const positive = binomial ? new Uint8Array(n) : null;
  for (let r0 = 0; r0 < n; r0 += BLOCK) {
    const m = Math.min(BLOCK, n - r0);
    if (positive) {
      const mg = marginsOf(0, r0, m);
      // Comparisons as numbers (+bool), not branches: labels and predictions are unpredictable.
      for (let r = 0; r < m; r++) {
        const v = mg[r], lab = y[r0 + r];
        positive[r0 + r] = +(lab === 1);
        let pred = +(v > tm);
        if (!(Math.abs(v - tm) > near)) pred = +(1 / (1 + Math.exp(-v)) > t);
        if (w) { const wr = w[r0 + r]; sw += wr; ok += wr * +(pred === lab); } else ok += +(pred === lab);
      }
      continue;
    }
    for (let c = 0; c < K; c++) marginsOf(c, r0, m);
    for (let r = 0; r < m; r++) {
      let pred = 0;
      for (let c = 1; c < K; c++) if (margins[c][r] > margins[pred][r]) pred = c;
      const wr = w ? w[r0 + r] : 1;
      sw += wr;
      if (pred === y[r0 + r]) ok += wr;
    }
  }
  if (!w) sw = n;
  if (!score || !positive) return { accuracy: ok / sw, areaUnderROC: null, roc: null, pr: null, ...base };
  const weights = w ? Float64Array.from(w) : null;
  let cached: ReturnType<typeof curves> | null = null;
  const get = (): ReturnType<typeof curves> => {
    if (cached) return cached;
    for (let i = 0; i < n; i++) score[i] = 1 / (1 + Math.exp(-score[i]));
    if (weights) return (cached = scoreCurves(score, new Float64Array(0), { y: Float64Array.from(positive), w: weights }));
    let np = 0;
    for (let r = 0; r < n; r++) np += positive[r];
    const pos = new Float64Array(np), neg = new Float64Array(n - np);
    for (let r = 0, a = 0, c = 0; r < n; r++) if (positive[r]) pos[a++] = score[r]; else neg[c++] = score[r];
    return (cached = scoreCurves(pos, neg, null));
  };
  return {
    accuracy: ok / sw, ...base,
    get areaUnderROC() { return get().auc; },
    get roc() { return get().roc; },
    get pr() { return get().pr; },
  };
}

/**
 * Curves from the scores: unweighted, the positives' and negatives' scores (sorted here);
 * weighted, all scores with their labels and weights.
 */
function scoreCurves(pos: Float64Array, neg: Float64Array, weighted: { y: Float64Array; w: Float64Array } | null): ReturnType<typeof curves> {
  const n = pos.length + neg.length;
  // Weighted positives and negatives per distinct score, best score first, in typed arrays.
  const gs = new Float64Array(n), gp = new Float64Array(n), gn = new Float64Array(n);
  let m = 0;
  if (!weighted) {
    // Sort the positives' and the negatives' scores natively, then merge downwards.
    pos.sort(); neg.sort();
    let a = pos.length - 1, c = neg.length - 1;
    while (a >= 0 || c >= 0) {
      const top = Math.max(a >= 0 ? pos[a] : -Infinity, c >= 0 ? neg[c] : -Infinity);
      gs[m] = top;
      while (a >= 0 && pos[a] === top) { gp[m]++; a--; }
      while (c >= 0 && neg[c] === top) { gn[m]++; c--; }
      m++;
    }
  } else {
    const score = pos, { y, w } = weighted;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, c) => score[c] - score[a]);
    for (const i of order) {
      if (m === 0 || gs[m - 1] !== score[i]) gs[m++] = score[i];
      if (y[i] === 1) gp[m - 1] += w[i]; else gn[m - 1] += w[i];
    }
  }
  // Like Spark's BinaryClassificationMetrics, large curves are downsampled: consecutive
  // thresholds merge into at most 10,000 points (exact below that).
  const step = Math.max(1, Math.ceil(m / 10000));
  const groups: ScoreCounts[] = [];
  for (let g = 0; g < m; g += step) {
    let pos = 0, neg = 0;
    const end = Math.min(m, g + step);
    for (let q = g; q < end; q++) { pos += gp[q]; neg += gn[q]; }
    groups.push({ score: gs[end - 1], pos, neg });
  }
  return curves(groups);
}

async function trainingSummary(model: LogisticRegressionModel, df: DataFrame, p: LogisticRegressionParams, history: readonly number[], iterations: number, solver: string, providerName: string): Promise<LogisticRegressionTrainingSummary> {
  const t = model.transform(df);
  const y = F.col(p.labelCol).cast("double"), w = p.weightCol ? F.col(p.weightCol).cast("double") : F.lit(1);
  const acc = (await t.agg(F.sum(w.multiply(F.when(F.col(p.predictionCol).eq(y), 1).otherwise(0))).alias("ok"), F.sum(w).alias("sw")).collect())[0];
  const accuracy = Number(acc["ok"]) / Number(acc["sw"]);
  if (model.isMultinomial) return { accuracy, areaUnderROC: null, roc: null, pr: null, objectiveHistory: history, totalIterations: iterations, solver, statsProvider: providerName };
  // Weighted positives and negatives per distinct score, then the curves by a sweep from the top score down.
  const score = F.col(p.probabilityCol).getItem(1);
  const perScore = t.groupBy(score.alias("s")).agg(F.sum(w.multiply(y)).alias("pos"), F.sum(w.multiply(F.lit(1).minus(y))).alias("neg"));
  // At most 10,000 points, consecutive thresholds merged as localSummary merges them, and merged
  // by the engine: only the curve comes back to this process, never a row per distinct score.
  const step = Math.max(1, Math.ceil((await perScore.count()) / 10000));
  const curve = step === 1 ? perScore : perScore
    .withColumn("g", F.floor(F.row_number().over(Window.orderBy(F.col("s").desc())).minus(1).divide(step)))
    .groupBy("g").agg(F.min("s").alias("s"), F.sum("pos").alias("pos"), F.sum("neg").alias("neg"));
  const rows = await curve.orderBy(F.col("s").desc()).collect();
  const { auc, roc, pr } = curves(rows.map((r) => ({ score: Number(r["s"]), pos: Number(r["pos"]), neg: Number(r["neg"]) })));
  return { accuracy, areaUnderROC: auc, roc, pr, objectiveHistory: history, totalIterations: iterations, solver, statsProvider: providerName };
}

/** A fitted logistic regression model. */
export class LogisticRegressionModel extends Model {
  summary: LogisticRegressionTrainingSummary | null = null;
  constructor(params: Partial<LogisticRegressionParams>, readonly coefficientMatrix: number[][], readonly interceptVector: number[], readonly numClasses: number, readonly isMultinomial: boolean, uid?: string) {
    super(PARAMS, { ...params, onProgress: null } as Record<string, unknown>, uid);
  }
  copy(overrides: Partial<LogisticRegressionParams> = {}): LogisticRegressionModel {
    const m = new LogisticRegressionModel({ ...(this.getParams() as Partial<LogisticRegressionParams>), ...overrides }, this.coefficientMatrix, this.interceptVector, this.numClasses, this.isMultinomial, this.uid);
    m.summary = this.summary;
    return m;
  }
  /** Binomial coefficients (throws for a multinomial model, like Spark). */
  get coefficients(): number[] {
    if (this.isMultinomial) throw new IllegalArgumentError("coefficients is only defined for a binomial model; use coefficientMatrix.", "MULTINOMIAL_MODEL");
    return this.coefficientMatrix[0];
  }
  /** Binomial intercept (throws for a multinomial model). */
  get intercept(): number {
    if (this.isMultinomial) throw new IllegalArgumentError("intercept is only defined for a binomial model; use interceptVector.", "MULTINOMIAL_MODEL");
    return this.interceptVector[0];
  }
  get numFeatures(): number { return this.coefficientMatrix[0].length; }

  /** Class probabilities of one vector. */
  predictProbability(x: readonly number[]): number[] {
    checkVector(x, this.numFeatures, "LogisticRegressionModel");
    const m = this.coefficientMatrix.map((row, c) => row.reduce((s, b, i) => s + b * x[i], this.interceptVector[c]));
    if (!this.isMultinomial) { const p1 = 1 / (1 + Math.exp(-m[0])); return [1 - p1, p1]; }
    const mx = Math.max(...m);
    const e = m.map((v) => Math.exp(v - mx));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  }
  /** The predicted class of one vector. */
  predict(x: readonly number[]): number {
    const p = this.predictProbability(x);
    if (!this.isMultinomial) return p[1] > (this.getParam("threshold") as number) ? 1 : 0;
    return p.indexOf(Math.max(...p));
  }

  /** Adds rawPrediction, probability and prediction columns; lazy. */
  transform(df: DataFrame): DataFrame {
    const p = this.getParams() as unknown as LogisticRegressionParams;
    const d = this.numFeatures;
    const vec = `__lr_x_${this.uid}`;
    const { df: checked, x, orNull } = checkedFeatures(df, p.featuresCol, d, "LogisticRegressionModel", vec);
    const margin = (c: number): Column => this.coefficientMatrix[c].reduce((s: Column, b, i) => (b === 0 ? s : s.plus(x[i].multiply(b))), F.lit(this.interceptVector[c]));
    const tmp = (c: number) => `__lr_m${c}_${this.uid}`;
    if (!this.isMultinomial) {
      const m = F.col(tmp(0));
      const p1 = F.lit(1).divide(F.lit(1).plus(F.exp(m.negate())));
      return checked.withColumn(tmp(0), margin(0))
        .withColumn(p.rawPredictionCol, orNull(F.array(m.negate(), m).cast("array<double>")))
        .withColumn(p.probabilityCol, orNull(F.array(F.lit(1).minus(p1), p1).cast("array<double>")))
        .withColumn(p.predictionCol, orNull(F.when(p1.gt(p.threshold), 1).otherwise(0)).cast("double"))
        .drop(tmp(0), vec);
    }
    const K = this.numClasses;
    let out = checked;
    for (let c = 0; c < K; c++) out = out.withColumn(tmp(c), margin(c));
    const ms = Array.from({ length: K }, (_, c) => F.col(tmp(c)));
    const mx = `__lr_max_${this.uid}`, lse = `__lr_lse_${this.uid}`;
    out = out.withColumn(mx, F.greatest(...ms)).withColumn(lse, F.col(mx).plus(F.log(ms.map((m) => F.exp(m.minus(F.col(mx)))).reduce((s, v) => s.plus(v)))));
    let pred = F.when(ms[0].eq(F.col(mx)), 0.0);
    for (let c = 1; c < K; c++) pred = pred.when(ms[c].eq(F.col(mx)), c);
    return out
      .withColumn(p.rawPredictionCol, orNull(F.array(...ms).cast("array<double>")))
      .withColumn(p.probabilityCol, orNull(F.array(...ms.map((m) => F.exp(m.minus(F.col(lse))))).cast("array<double>")))
      .withColumn(p.predictionCol, orNull(pred.otherwise(0.0)).cast("double"))
      .drop(...ms.map((_, c) => tmp(c)), mx, lse, vec);
  }

  async save(path: string, options: { overwrite?: boolean } = {}): Promise<void> {
    await saveModelDir(path, { className: "LogisticRegressionModel", uid: this.uid, params: this.params.toJSON(), data: { coefficientMatrix: this.coefficientMatrix, interceptVector: this.interceptVector, numClasses: this.numClasses, isMultinomial: this.isMultinomial } }, options.overwrite ?? false);
  }
  static async load(path: string): Promise<LogisticRegressionModel> {
    const { uid, params, data } = await loadModelDir(path, "LogisticRegressionModel");
    const dd = data as { coefficientMatrix: number[][]; interceptVector: number[]; numClasses: number; isMultinomial: boolean };
    return new LogisticRegressionModel(params as Partial<LogisticRegressionParams>, dd.coefficientMatrix, dd.interceptVector, dd.numClasses, dd.isMultinomial, uid);
  }
}

registerModel("LogisticRegressionModel", (path) => LogisticRegressionModel.load(path));
