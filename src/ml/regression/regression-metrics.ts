/** Regression metrics over predictions, computed by one aggregate pass through the DataFrame API. */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { LinearMetricSums } from "../kernels/params.js";

export interface RegressionMetrics {
  readonly meanSquaredError: number;
  readonly rootMeanSquaredError: number;
  readonly meanAbsoluteError: number;
  readonly r2: number;
  /** Σ w (ŷ − ȳ)² / Σ w. */
  readonly explainedVariance: number;
  readonly weightSum: number;
  readonly count: number;
}

/** Metrics of `predictionCol` against `labelCol`; `throughOrigin` uses the uncentered total sum of squares (no intercept). */
export async function regressionMetrics(df: DataFrame, labelCol: string, predictionCol: string, weightCol: string | null, throughOrigin = false): Promise<RegressionMetrics> {
  const y = F.col(labelCol).cast("double"), p = F.col(predictionCol).cast("double");
  const w = weightCol ? F.col(weightCol).cast("double") : F.lit(1);
  const e = y.minus(p);
  const r = (await df.agg(
    F.sum(w).alias("sw"), F.count("*").alias("n"), F.sum(w.multiply(y)).alias("sy"), F.sum(w.multiply(y).multiply(y)).alias("syy"),
    F.sum(w.multiply(e).multiply(e)).alias("sse"), F.sum(w.multiply(F.abs(e))).alias("sae"), F.sum(w.multiply(p)).alias("sp"), F.sum(w.multiply(p).multiply(p)).alias("spp"),
  ).collect())[0];
  return metricsFromSums({
    weightSum: Number(r["sw"]), sumY: Number(r["sy"]), sumYY: Number(r["syy"]), sumSquaredError: Number(r["sse"]),
    sumAbsError: Number(r["sae"]), sumPred: Number(r["sp"]), sumPredSq: Number(r["spp"]),
  }, Number(r["n"]), throughOrigin);
}

/** The metrics from residual sums (an engine aggregate, or the kernels' linear-metrics pass) over `count` rows. */
export function metricsFromSums(m: LinearMetricSums, count: number, throughOrigin: boolean): RegressionMetrics {
  const sw = m.weightSum;
  const ybar = m.sumY / sw;
  const sst = throughOrigin ? m.sumYY : m.sumYY - sw * ybar * ybar;
  const mse = m.sumSquaredError / sw;
  return {
    meanSquaredError: mse,
    rootMeanSquaredError: Math.sqrt(mse),
    meanAbsoluteError: m.sumAbsError / sw,
    r2: 1 - m.sumSquaredError / sst,
    explainedVariance: (m.sumPredSq - 2 * ybar * m.sumPred + sw * ybar * ybar) / sw,
    weightSum: sw,
    count,
  };
}
