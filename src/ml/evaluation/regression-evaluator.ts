/**
 * RegressionEvaluator (Spark ML): rmse, mse, mae, r2 and explained variance of predictions,
 * computed by aggregate queries in the engine.
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { ParamTable } from "../base/params.js";
import { numericField } from "../base/columns.js";
import { Evaluator, checkRowsAndWeights, weightOf } from "./evaluator.js";

/** The metrics RegressionEvaluator computes. */
export type RegressionMetric = "rmse" | "mse" | "r2" | "mae" | "var";

/** Constructor arguments of RegressionEvaluator. */
export interface RegressionEvaluatorParams {
  metricName?: RegressionMetric;
  labelCol?: string;
  predictionCol?: string;
  weightCol?: string | null;
  throughOrigin?: boolean;
}

/**
 * RegressionEvaluator's params (Spark ML's names and defaults):
 *
 * | param | default | meaning |
 * | --- | --- | --- |
 * | `metricName` | `"rmse"` | `rmse`, `mse`, `mae`, `r2`, or `var` (explained variance, Σ w (ŷ - ȳ)² / Σ w) |
 * | `labelCol` | `"label"` | the true value |
 * | `predictionCol` | `"prediction"` | the predicted value |
 * | `weightCol` | `null` | row weights (>= 0); none means 1 each |
 * | `throughOrigin` | `false` | r2 of a model without intercept: 1 - SSerr / sum(w y²) |
 */
const PARAMS: ParamTable = [
  { name: "metricName", type: "string", default: "rmse", values: ["rmse", "mse", "r2", "mae", "var"], doc: "the metric: rmse, mse, mae, r2 or var (explained variance)" },
  { name: "labelCol", type: "string", default: "label", doc: "the true value column" },
  { name: "predictionCol", type: "string", default: "prediction", doc: "the predicted value column" },
  { name: "weightCol", type: "string?", default: null, doc: "row weights (>= 0); none means 1 each" },
  { name: "throughOrigin", type: "boolean", default: false, doc: "r2 for a regression through the origin (no intercept)" },
];

const OWNER = "RegressionEvaluator";

/**
 * Regression metrics with optional row weights `w`, errors `e = label - prediction`, `W = Σw`:
 *
 * - `mse` = Σ w e² / W; `rmse` = √mse; `mae` = Σ w |e| / W
 * - `r2` = 1 - Σ w e² / Σ w (y - ȳ)², with ȳ the weighted mean label (scikit-learn's `r2_score`;
 *   Spark's differs slightly with non-unit weights); when every label is equal it is 1 for a perfect
 *   fit and 0 otherwise (scikit-learn's convention), never NaN
 * - `var` = Σ w (ŷ - ȳ)² / W, the variance of the predictions around the mean label (what Spark's
 *   `var` returns, and LinearRegression's `summary.explainedVariance`); it is not scikit-learn's
 *   `explained_variance_score` (1 - Var(e) / Var(y)), which Spark's doc comment suggests.
 *
 * Rows with a null label, prediction or weight are skipped. The sums run as aggregate queries in
 * the engine (two passes for r2 and var: means first, then centred sums, for accuracy).
 * @example
 * const ev = new RegressionEvaluator({ metricName: "r2", labelCol: "y" });
 * const r2 = await ev.evaluate(model.transform(test));
 */
export class RegressionEvaluator extends Evaluator {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;

  /**
   * @param params see the param table above
   * @param uid the id (a fresh one by default)
   */
  constructor(params: RegressionEvaluatorParams = {}, uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
  }

  /** A new evaluator with the same uid and some params replaced. */
  copy(overrides: RegressionEvaluatorParams = {}): RegressionEvaluator {
    return new RegressionEvaluator({ ...(this.getParams() as RegressionEvaluatorParams), ...overrides }, this.uid);
  }

  /** r2 and var are better larger; the error metrics smaller. */
  isLargerBetter(): boolean {
    const m = this.getParam<RegressionMetric>("metricName");
    return m === "r2" || m === "var";
  }

  /**
   * Computes the selected metric.
   * @param df frame with the label, prediction (and weight) columns
   * @returns the metric
   * @throws AnalysisError for a missing or non-numeric column; IllegalArgumentError for no rows or a negative weight
   */
  async evaluate(df: DataFrame): Promise<number> {
    this.params.validate();
    const p = this.getParams() as Required<RegressionEvaluatorParams>;
    const schema = await df.schema();
    numericField(schema, p.labelCol, OWNER, "label");
    numericField(schema, p.predictionCol, OWNER, "prediction");
    if (p.weightCol !== null) numericField(schema, p.weightCol, OWNER, "weight");
    const base = df.select(F.col(p.labelCol).cast("double").alias("y"), F.col(p.predictionCol).cast("double").alias("p"), weightOf(p.weightCol).alias("w"))
      .filter(F.col("y").isNotNull().and(F.col("p").isNotNull()).and(F.col("w").isNotNull()));
    const y = F.col("y"), w = F.col("w");
    const e = y.minus(F.col("p"));
    const r = (await base.agg(
      F.count("*").alias("n"), F.sum(w).alias("wsum"), F.min(w).alias("minW"),
      F.sum(w.multiply(y)).alias("wy"),
      F.sum(w.multiply(e).multiply(e)).alias("wee"), F.sum(w.multiply(F.abs(e))).alias("wae"), F.sum(w.multiply(y).multiply(y)).alias("wyy"),
    ).collect())[0];
    const W = Number(r["wsum"] ?? 0);
    checkRowsAndWeights(OWNER, Number(r["n"]), W, r["minW"] === null ? null : Number(r["minW"]), p.weightCol);
    const sse = Number(r["wee"]);
    switch (p.metricName) {
      case "mse": return sse / W;
      case "rmse": return Math.sqrt(sse / W);
      case "mae": return Number(r["wae"]) / W;
      default: break;
    }
    if (p.metricName === "r2" && p.throughOrigin) return 1 - sse / Number(r["wyy"]);
    const yMean = Number(r["wy"]) / W;
    const pc = F.col("p").minus(yMean), yc = y.minus(yMean);
    const c = (await base.agg(F.sum(w.multiply(yc).multiply(yc)).alias("sst"), F.sum(w.multiply(pc).multiply(pc)).alias("ssreg")).collect())[0];
    if (p.metricName === "var") return Number(c["ssreg"]) / W;
    const sst = Number(c["sst"]);
    if (sst === 0) return sse === 0 ? 1 : 0;
    return 1 - sse / sst;
  }
}
