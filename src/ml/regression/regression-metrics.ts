/** Regression metrics over predictions, computed by one aggregate pass through the DataFrame API. */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";

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
  const sw = Number(r["sw"]), sy = Number(r["sy"]), syy = Number(r["syy"]), sse = Number(r["sse"]), sp = Number(r["sp"]), spp = Number(r["spp"]);
  const ybar = sy / sw;
  const sst = throughOrigin ? syy : syy - sw * ybar * ybar;
  const mse = sse / sw;
  return {
    meanSquaredError: mse,
    rootMeanSquaredError: Math.sqrt(mse),
    meanAbsoluteError: Number(r["sae"]) / sw,
    r2: 1 - sse / sst,
    explainedVariance: (spp - 2 * ybar * sp + sw * ybar * ybar) / sw,
    weightSum: sw,
    count: Number(r["n"]),
  };
}
