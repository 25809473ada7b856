/**
 * BinaryClassificationEvaluator (Spark ML): area under the ROC and precision-recall curves of
 * scores against 0/1 labels.
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { Column } from "../../api/column.js";
import { Window } from "../../api/window.js";
import { AnalysisError, q } from "../../errors.js";
import { typeToString } from "../../plan/types.js";
import type { ParamTable } from "../base/params.js";
import { dbl, findField, isNumericDataType, isVectorDataType, numericField } from "../base/columns.js";
import { Evaluator, checkRowsAndWeights, weightOf } from "./evaluator.js";

/** The metrics BinaryClassificationEvaluator computes. */
export type BinaryClassificationMetric = "areaUnderROC" | "areaUnderPR";

/** Constructor arguments of BinaryClassificationEvaluator. */
export interface BinaryClassificationEvaluatorParams {
  metricName?: BinaryClassificationMetric;
  rawPredictionCol?: string;
  labelCol?: string;
  weightCol?: string | null;
  numBins?: number;
}

/**
 * BinaryClassificationEvaluator's params (Spark ML's names and defaults):
 *
 * | param | default | meaning |
 * | --- | --- | --- |
 * | `metricName` | `"areaUnderROC"` | `areaUnderROC` or `areaUnderPR` |
 * | `rawPredictionCol` | `"rawPrediction"` | the score: a double, or a vector whose element 1 is the positive score |
 * | `labelCol` | `"label"` | the true class; a label > 0.5 is positive, as in Spark |
 * | `weightCol` | `null` | row weights (>= 0); none means 1 each |
 * | `numBins` | `1000` | with more than 2 × numBins distinct scores, consecutive scores are merged into about numBins bins; 0 computes the exact curve |
 */
const PARAMS: ParamTable = [
  { name: "metricName", type: "string", default: "areaUnderROC", values: ["areaUnderROC", "areaUnderPR"], doc: "the metric: areaUnderROC or areaUnderPR" },
  { name: "rawPredictionCol", type: "string", default: "rawPrediction", doc: "the score: a double, or a vector whose element 1 is the positive score" },
  { name: "labelCol", type: "string", default: "label", doc: "the true class (a label > 0.5 is positive)" },
  { name: "weightCol", type: "string?", default: null, doc: "row weights (>= 0); none means 1 each" },
  { name: "numBins", type: "int", default: 1000, doc: "bins for the curve when there are many distinct scores (0: exact)", check: (v) => ((v as number) >= 0 ? null : "must be >= 0") },
];

const OWNER = "BinaryClassificationEvaluator";

/** Weighted positive and negative counts at one threshold (a distinct score or bin). */
export interface ScoreCounts { readonly score: number; readonly pos: number; readonly neg: number }

/** Area under a piecewise-linear curve by the trapezoid rule, as Spark's `AreaUnderCurve`. */
export function trapezoidArea(points: readonly (readonly [number, number])[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) area += (points[i][0] - points[i - 1][0]) * (points[i][1] + points[i - 1][1]) / 2;
  return area;
}

/**
 * The ROC and PR areas from counts per threshold, sorted by score descending: cumulative
 * counts give one (FPR, TPR) and one (recall, precision) point per threshold; ROC adds (0, 0)
 * and (1, 1), PR starts at (0, precision of the first threshold), as Spark's
 * BinaryClassificationMetrics does.
 * @param counts weighted counts per threshold, highest score first
 * @returns both areas
 */
export function curveAreas(counts: readonly ScoreCounts[]): { areaUnderROC: number; areaUnderPR: number } {
  const { roc, pr } = curvePoints(counts);
  return { areaUnderROC: trapezoidArea(roc), areaUnderPR: trapezoidArea(pr) };
}

/**
 * The ROC points (FPR, TPR) from (0, 0) to (1, 1) and the precision-recall points (recall,
 * precision), one per threshold, from weighted counts per threshold, highest score first.
 */
export function curvePoints(counts: readonly ScoreCounts[]): { roc: [number, number][]; pr: [number, number][] } {
  let P = 0, N = 0;
  for (const c of counts) { P += c.pos; N += c.neg; }
  const roc: [number, number][] = [[0, 0]];
  const pr: [number, number][] = [];
  let tp = 0, fp = 0;
  for (const c of counts) {
    tp += c.pos; fp += c.neg;
    const recall = P === 0 ? 0 : tp / P;
    roc.push([N === 0 ? 0 : fp / N, recall]);
    pr.push([recall, tp + fp === 0 ? 1 : tp / (tp + fp)]);
  }
  roc.push([1, 1]);
  if (pr.length > 0) pr.unshift([0, pr[0][1]]);
  return { roc, pr };
}

/**
 * Areas under the ROC and precision-recall curves (Spark ML's BinaryClassificationEvaluator,
 * following Spark's BinaryClassificationMetrics): each distinct score is a threshold, the curve
 * points come from the cumulative weighted counts of positives and negatives at or above it, and
 * the area is the trapezoid sum. `areaUnderROC` equals scikit-learn's `roc_auc_score`;
 * `areaUnderPR` is the trapezoidal area of Spark, which starts the curve at (0, first
 * precision) — not scikit-learn's `average_precision_score`.
 *
 * Where it runs: a `groupBy(score)` query counts positives and negatives per distinct score
 * in the engine (run twice when `numBins` > 0: once to count the distinct scores, once to return
 * them). When there are more than 2 × `numBins` distinct scores, a window over the
 * sorted scores merges consecutive ones into bins of ⌊distinct / numBins⌋ (the bin's score is its
 * highest, as in Spark, which bins within each partition), so at most about 2 × numBins rows come
 * back to Node; the curve and trapezoid are then computed in JS. With `numBins: 0` every distinct
 * score comes back.
 * @example
 * const auc = await new BinaryClassificationEvaluator().evaluate(model.transform(test));
 */
export class BinaryClassificationEvaluator extends Evaluator {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;

  /**
   * @param params see the param table above
   * @param uid the id (a fresh one by default)
   */
  constructor(params: BinaryClassificationEvaluatorParams = {}, uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
  }

  /** A new evaluator with the same uid and some params replaced. */
  copy(overrides: BinaryClassificationEvaluatorParams = {}): BinaryClassificationEvaluator {
    return new BinaryClassificationEvaluator({ ...(this.getParams() as BinaryClassificationEvaluatorParams), ...overrides }, this.uid);
  }

  /** Both areas are better larger. */
  isLargerBetter(): boolean { return true; }

  /**
   * The weighted positive and negative counts per threshold, highest score first (binned as
   * `numBins` says).
   * @param df the scored frame
   */
  async scoreCounts(df: DataFrame): Promise<ScoreCounts[]> {
    this.params.validate();
    const p = this.getParams() as Required<BinaryClassificationEvaluatorParams>;
    const schema = await df.schema();
    const raw = findField(schema, p.rawPredictionCol, OWNER, "rawPrediction");
    let score: Column;
    if (isVectorDataType(raw.type)) score = F.col(p.rawPredictionCol).getItem(1);
    else if (isNumericDataType(raw.type)) score = F.col(p.rawPredictionCol);
    else throw new AnalysisError(`${OWNER}: the rawPrediction column ${q(p.rawPredictionCol)} has type ${typeToString(raw.type)}; it must be a double score or a vector (array<double>) whose element 1 is the positive score.`, "DATATYPE_MISMATCH");
    numericField(schema, p.labelCol, OWNER, "label");
    if (p.weightCol !== null) numericField(schema, p.weightCol, OWNER, "weight");
    const base = df.select(score.cast("double").alias("s"), F.col(p.labelCol).cast("double").alias("y"), weightOf(p.weightCol).alias("w"))
      .filter(F.col("s").isNotNull().and(F.col("y").isNotNull()).and(F.col("w").isNotNull()));
    const positive = F.col("y").gt(0.5);
    const perScore = base.groupBy("s").agg(
      F.sum(F.when(positive, F.col("w")).otherwise(dbl(0))).alias("pos"),
      F.sum(F.when(positive, dbl(0)).otherwise(F.col("w"))).alias("neg"),
      F.count("*").alias("n"), F.min("w").alias("minw"),
    );
    let rows;
    const distinct = p.numBins > 0 ? await perScore.count() : 0;
    const grouping = p.numBins > 0 ? Math.floor(distinct / p.numBins) : 0;
    if (grouping >= 2) {
      const binned = perScore
        .withColumn("bin", F.floor(F.row_number().over(Window.orderBy(F.col("s").desc())).minus(1).divide(grouping)))
        .groupBy("bin")
        .agg(F.max("s").alias("s"), F.sum("pos").alias("pos"), F.sum("neg").alias("neg"), F.sum("n").alias("n"), F.min("minw").alias("minw"));
      rows = await binned.orderBy(F.col("s").desc()).collect();
    } else {
      rows = await perScore.orderBy(F.col("s").desc()).collect();
    }
    let n = 0, wsum = 0, minW: number | null = null;
    const counts = rows.map((r) => {
      n += Number(r["n"]);
      const c = { score: Number(r["s"]), pos: Number(r["pos"]), neg: Number(r["neg"]) };
      wsum += c.pos + c.neg;
      const mw = r["minw"] === null ? null : Number(r["minw"]);
      if (mw !== null && (minW === null || mw < minW)) minW = mw;
      return c;
    });
    checkRowsAndWeights(OWNER, n, wsum, minW, p.weightCol);
    return counts;
  }

  /**
   * Computes the selected area.
   * @param df frame with the score, label (and weight) columns
   * @returns the area, in [0, 1]
   * @throws AnalysisError for a missing column or wrong type; IllegalArgumentError for no rows or a negative weight
   */
  async evaluate(df: DataFrame): Promise<number> {
    const areas = curveAreas(await this.scoreCounts(df));
    return this.getParam<BinaryClassificationMetric>("metricName") === "areaUnderROC" ? areas.areaUnderROC : areas.areaUnderPR;
  }
}
