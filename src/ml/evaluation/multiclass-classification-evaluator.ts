/**
 * MulticlassClassificationEvaluator (Spark ML): accuracy, weighted precision/recall/F-measure,
 * per-label rates, log loss and Hamming loss of class predictions.
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { Column } from "../../api/column.js";
import { IllegalArgumentError, q } from "../../errors.js";
import type { ParamTable } from "../base/params.js";
import { numericField, vectorField } from "../base/columns.js";
import { Evaluator, checkRowsAndWeights, weightOf } from "./evaluator.js";

/** The metrics MulticlassClassificationEvaluator computes. */
export type MulticlassMetric =
  | "f1" | "accuracy" | "weightedPrecision" | "weightedRecall" | "weightedTruePositiveRate"
  | "weightedFalsePositiveRate" | "weightedFMeasure" | "truePositiveRateByLabel" | "falsePositiveRateByLabel"
  | "precisionByLabel" | "recallByLabel" | "fMeasureByLabel" | "logLoss" | "hammingLoss";

const METRICS: readonly MulticlassMetric[] = [
  "f1", "accuracy", "weightedPrecision", "weightedRecall", "weightedTruePositiveRate", "weightedFalsePositiveRate",
  "weightedFMeasure", "truePositiveRateByLabel", "falsePositiveRateByLabel", "precisionByLabel", "recallByLabel",
  "fMeasureByLabel", "logLoss", "hammingLoss",
];

/** Constructor arguments of MulticlassClassificationEvaluator. */
export interface MulticlassClassificationEvaluatorParams {
  metricName?: MulticlassMetric;
  labelCol?: string;
  predictionCol?: string;
  weightCol?: string | null;
  metricLabel?: number;
  beta?: number;
  probabilityCol?: string;
  eps?: number;
}

/**
 * MulticlassClassificationEvaluator's params (Spark ML's names and defaults):
 *
 * | param | default | meaning |
 * | --- | --- | --- |
 * | `metricName` | `"f1"` | f1, accuracy, weightedPrecision, weightedRecall, weightedTruePositiveRate, weightedFalsePositiveRate, weightedFMeasure, truePositiveRateByLabel, falsePositiveRateByLabel, precisionByLabel, recallByLabel, fMeasureByLabel, logLoss, hammingLoss |
 * | `labelCol` | `"label"` | the true class (0, 1, 2...) |
 * | `predictionCol` | `"prediction"` | the predicted class |
 * | `weightCol` | `null` | row weights (>= 0); none means 1 each |
 * | `metricLabel` | `0.0` | the class the `...ByLabel` metrics are about |
 * | `beta` | `1.0` | β of the F-measure (`weightedFMeasure`, `fMeasureByLabel`; f1 is β = 1) |
 * | `probabilityCol` | `"probability"` | the class probabilities (vector), for logLoss |
 * | `eps` | `1e-15` | logLoss clips probabilities below at eps |
 */
const PARAMS: ParamTable = [
  { name: "metricName", type: "string", default: "f1", values: METRICS, doc: "the metric (f1, accuracy, weightedPrecision, ...)" },
  { name: "labelCol", type: "string", default: "label", doc: "the true class column" },
  { name: "predictionCol", type: "string", default: "prediction", doc: "the predicted class column" },
  { name: "weightCol", type: "string?", default: null, doc: "row weights (>= 0); none means 1 each" },
  { name: "metricLabel", type: "float", default: 0.0, doc: "the class the ...ByLabel metrics are about", check: (v) => ((v as number) >= 0 ? null : "must be >= 0") },
  { name: "beta", type: "float", default: 1.0, doc: "beta of the F-measure", check: (v) => ((v as number) > 0 ? null : "must be > 0") },
  { name: "probabilityCol", type: "string", default: "probability", doc: "class probabilities (vector), for logLoss" },
  { name: "eps", type: "float", default: 1e-15, doc: "logLoss clips probabilities below at eps", check: (v) => ((v as number) > 0 && (v as number) < 0.5 ? null : "must be in (0, 0.5)") },
];

const OWNER = "MulticlassClassificationEvaluator";

/** One cell of the weighted confusion matrix. */
export interface ConfusionCell { readonly label: number; readonly prediction: number; readonly weight: number }

/**
 * Spark's MulticlassMetrics over a weighted confusion matrix. Per label l: precision = TP /
 * (TP + FP), recall = TP / (rows with label l), F = (1 + β²)·P·R / (β²·P + R), FPR = FP / (rows
 * without label l), each 0 when its denominator is 0; the weighted metrics average over the labels
 * present in the label column, weighted by their share of rows (scikit-learn's
 * `average="weighted"`).
 */
export class MulticlassMetrics {
  private readonly labelWeight = new Map<number, number>();
  private readonly tp = new Map<number, number>();
  private readonly fp = new Map<number, number>();
  /** The total weight. */
  readonly total: number;

  /** @param cells the confusion matrix, one cell per (label, prediction) pair present */
  constructor(cells: readonly ConfusionCell[]) {
    let total = 0;
    const add = (m: Map<number, number>, k: number, v: number) => m.set(k, (m.get(k) ?? 0) + v);
    for (const c of cells) {
      total += c.weight;
      add(this.labelWeight, c.label, c.weight);
      if (c.label === c.prediction) add(this.tp, c.label, c.weight);
      else add(this.fp, c.prediction, c.weight);
    }
    this.total = total;
  }
  /** The labels present in the label column, ascending. */
  get labels(): number[] { return [...this.labelWeight.keys()].sort((a, b) => a - b); }
  /** Share of rows predicted right. */
  get accuracy(): number { let s = 0; for (const v of this.tp.values()) s += v; return s / this.total; }
  /** Share of rows predicted wrong. */
  get hammingLoss(): number { return 1 - this.accuracy; }
  /** TP / (rows with label l): the same as `recall`. */
  truePositiveRate(l: number): number { return this.recall(l); }
  /** FP / (rows without label l); 0 when every row has label l. */
  falsePositiveRate(l: number): number { const d = this.total - (this.labelWeight.get(l) ?? 0); return d === 0 ? 0 : (this.fp.get(l) ?? 0) / d; }
  /** TP / (rows predicted l); 0 when none is. */
  precision(l: number): number { const tp = this.tp.get(l) ?? 0; const d = tp + (this.fp.get(l) ?? 0); return d === 0 ? 0 : tp / d; }
  /** TP / (rows with label l); 0 when none has it. */
  recall(l: number): number { const d = this.labelWeight.get(l) ?? 0; return d === 0 ? 0 : (this.tp.get(l) ?? 0) / d; }
  /** (1 + β²)·P·R / (β²·P + R) for label l; 0 when P + R = 0. */
  fMeasure(l: number, beta = 1): number {
    const p = this.precision(l), r = this.recall(l), b2 = beta * beta;
    return p + r === 0 ? 0 : (1 + b2) * p * r / (b2 * p + r);
  }
  private weighted(f: (l: number) => number): number {
    let s = 0;
    for (const [l, w] of this.labelWeight) s += f(l) * w / this.total;
    return s;
  }
  /** The true-positive rates averaged by label share. */
  get weightedTruePositiveRate(): number { return this.weighted((l) => this.truePositiveRate(l)); }
  /** The false-positive rates averaged by label share. */
  get weightedFalsePositiveRate(): number { return this.weighted((l) => this.falsePositiveRate(l)); }
  /** The precisions averaged by label share. */
  get weightedPrecision(): number { return this.weighted((l) => this.precision(l)); }
  /** The recalls averaged by label share. */
  get weightedRecall(): number { return this.weighted((l) => this.recall(l)); }
  /** The F-measures averaged by label share (f1 with β = 1). */
  weightedFMeasure(beta = 1): number { return this.weighted((l) => this.fMeasure(l, beta)); }
}

/**
 * Multiclass metrics (Spark ML's MulticlassClassificationEvaluator): one `groupBy(label,
 * prediction)` query builds the weighted confusion matrix in the engine (its size is the number
 * of classes squared), and the metric is computed from it (see `MulticlassMetrics`). `logLoss` is
 * one aggregate: the weighted mean of -log(max(p[label], eps)) over the probability vectors.
 * Rows with a null label, prediction or weight are skipped.
 * @example
 * const f1 = await new MulticlassClassificationEvaluator({ metricName: "f1" }).evaluate(predictions);
 */
export class MulticlassClassificationEvaluator extends Evaluator {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;

  /**
   * @param params see the param table above
   * @param uid the id (a fresh one by default)
   */
  constructor(params: MulticlassClassificationEvaluatorParams = {}, uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
  }

  /** A new evaluator with the same uid and some params replaced. */
  copy(overrides: MulticlassClassificationEvaluatorParams = {}): MulticlassClassificationEvaluator {
    return new MulticlassClassificationEvaluator({ ...(this.getParams() as MulticlassClassificationEvaluatorParams), ...overrides }, this.uid);
  }

  /** False for the false-positive rates and the losses; true for the rest. */
  isLargerBetter(): boolean {
    const m = this.getParam<MulticlassMetric>("metricName");
    return !["weightedFalsePositiveRate", "falsePositiveRateByLabel", "logLoss", "hammingLoss"].includes(m);
  }

  /**
   * The weighted confusion matrix metrics of a scored frame.
   * @param df frame with the label, prediction (and weight) columns
   */
  async metrics(df: DataFrame): Promise<MulticlassMetrics> {
    this.params.validate();
    const p = this.getParams() as Required<MulticlassClassificationEvaluatorParams>;
    const schema = await df.schema();
    numericField(schema, p.labelCol, OWNER, "label");
    numericField(schema, p.predictionCol, OWNER, "prediction");
    if (p.weightCol !== null) numericField(schema, p.weightCol, OWNER, "weight");
    const rows = await df.select(F.col(p.labelCol).cast("double").alias("y"), F.col(p.predictionCol).cast("double").alias("p"), weightOf(p.weightCol).alias("w"))
      .filter(F.col("y").isNotNull().and(F.col("p").isNotNull()).and(F.col("w").isNotNull()))
      .groupBy("y", "p").agg(F.sum("w").alias("wsum"), F.count("*").alias("n"), F.min("w").alias("minw"))
      .collect();
    let n = 0, minW: number | null = null;
    const cells = rows.map((r) => {
      n += Number(r["n"]);
      const mw = Number(r["minw"]);
      if (minW === null || mw < minW) minW = mw;
      return { label: Number(r["y"]), prediction: Number(r["p"]), weight: Number(r["wsum"]) };
    });
    const m = new MulticlassMetrics(cells);
    checkRowsAndWeights(OWNER, n, m.total, minW, p.weightCol);
    return m;
  }

  private async logLoss(df: DataFrame): Promise<number> {
    const p = this.getParams() as Required<MulticlassClassificationEvaluatorParams>;
    const schema = await df.schema();
    numericField(schema, p.labelCol, OWNER, "label");
    vectorField(schema, p.probabilityCol, OWNER, "probability");
    if (p.weightCol !== null) numericField(schema, p.weightCol, OWNER, "weight");
    const base = df.select(F.col(p.labelCol).cast("double").alias("y"), F.col(p.probabilityCol).alias("prob"), weightOf(p.weightCol).alias("w"))
      .filter(F.col("y").isNotNull().and(F.col("prob").isNotNull()).and(F.col("w").isNotNull()));
    const first = await base.select(F.size("prob").alias("k")).first();
    if (first === null) throw new IllegalArgumentError(`${OWNER}: no rows to evaluate (rows with a null label, probability or weight are skipped).`, "EMPTY_DATA");
    const k = Number(first["k"]);
    const y = F.col("y");
    let pl: Column = F.when(y.eq(0), F.col("prob").getItem(0));
    for (let i = 1; i < k; i++) pl = pl.when(y.eq(i), F.col("prob").getItem(i));
    pl = pl.otherwise(F.lit(null));
    const r = (await base.agg(
      F.sum(F.col("w").multiply(F.log(F.greatest(pl, F.lit(p.eps))).negate())).alias("loss"),
      F.sum("w").alias("wsum"), F.count("*").alias("n"), F.min("w").alias("minw"),
      F.sum(F.when(pl.isNull(), 1).otherwise(0)).alias("badLabels"),
    ).collect())[0];
    if (Number(r["badLabels"]) > 0) {
      throw new IllegalArgumentError(`${OWNER}: ${String(r["badLabels"])} row(s) have a label that is not a class index in [0, ${k}) of the probability vectors in ${q(p.probabilityCol)}.`, "INVALID_LABEL");
    }
    const W = Number(r["wsum"]);
    checkRowsAndWeights(OWNER, Number(r["n"]), W, r["minw"] === null ? null : Number(r["minw"]), p.weightCol);
    return Number(r["loss"]) / W;
  }

  /**
   * Computes the selected metric.
   * @param df frame with the label and prediction (or, for logLoss, probability) columns
   * @returns the metric
   * @throws AnalysisError for a missing or non-numeric column; IllegalArgumentError for no rows or a negative weight
   */
  async evaluate(df: DataFrame): Promise<number> {
    this.params.validate();
    const metric = this.getParam<MulticlassMetric>("metricName");
    if (metric === "logLoss") return this.logLoss(df);
    const m = await this.metrics(df);
    const l = this.getParam<number>("metricLabel"), beta = this.getParam<number>("beta");
    switch (metric) {
      case "f1": return m.weightedFMeasure(1);
      case "accuracy": return m.accuracy;
      case "weightedPrecision": return m.weightedPrecision;
      case "weightedRecall": return m.weightedRecall;
      case "weightedTruePositiveRate": return m.weightedTruePositiveRate;
      case "weightedFalsePositiveRate": return m.weightedFalsePositiveRate;
      case "weightedFMeasure": return m.weightedFMeasure(beta);
      case "truePositiveRateByLabel": return m.truePositiveRate(l);
      case "falsePositiveRateByLabel": return m.falsePositiveRate(l);
      case "precisionByLabel": return m.precision(l);
      case "recallByLabel": return m.recall(l);
      case "fMeasureByLabel": return m.fMeasure(l, beta);
      case "hammingLoss": return m.hammingLoss;
    }
  }
}
