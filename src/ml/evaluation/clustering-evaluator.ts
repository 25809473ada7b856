/**
 * ClusteringEvaluator (Spark ML): the mean silhouette of a clustering, with squared Euclidean
 * or cosine distance, computed by aggregate queries over the data (lengths, per-cluster sums,
 * point silhouettes).
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { Column } from "../../api/column.js";
import { IllegalArgumentError, q } from "../../errors.js";
import type { ParamTable } from "../base/params.js";
import { dbl, numericField, vectorField } from "../base/columns.js";
import { Evaluator, checkRowsAndWeights, weightOf } from "./evaluator.js";

/** Constructor arguments of ClusteringEvaluator. */
export interface ClusteringEvaluatorParams {
  metricName?: "silhouette";
  distanceMeasure?: "squaredEuclidean" | "cosine";
  featuresCol?: string;
  predictionCol?: string;
  weightCol?: string | null;
}

/**
 * ClusteringEvaluator's params (Spark ML's names and defaults):
 *
 * | param | default | meaning |
 * | --- | --- | --- |
 * | `metricName` | `"silhouette"` | the only metric |
 * | `distanceMeasure` | `"squaredEuclidean"` | `squaredEuclidean` (‖x - y‖²) or `cosine` (1 - cos(x, y)) |
 * | `featuresCol` | `"features"` | the vectors that were clustered |
 * | `predictionCol` | `"prediction"` | the cluster of each row |
 * | `weightCol` | `null` | row weights (>= 0); none means 1 each |
 */
const PARAMS: ParamTable = [
  { name: "metricName", type: "string", default: "silhouette", values: ["silhouette"], doc: "the metric (silhouette)" },
  { name: "distanceMeasure", type: "string", default: "squaredEuclidean", values: ["squaredEuclidean", "cosine"], doc: "squaredEuclidean or cosine distance" },
  { name: "featuresCol", type: "string", default: "features", doc: "the clustered vectors" },
  { name: "predictionCol", type: "string", default: "prediction", doc: "the cluster of each row" },
  { name: "weightCol", type: "string?", default: null, doc: "row weights (>= 0); none means 1 each" },
];

const OWNER = "ClusteringEvaluator";

/**
 * The mean silhouette (Spark ML's ClusteringEvaluator). For a point i with weight wᵢ in cluster A,
 * with D(i, C) the weighted mean distance from i to the points of cluster C (weight N_C):
 * a(i) = D(i, A) · N_A / (N_A - wᵢ) (its own cluster, itself left out), b(i) = min over C ≠ A of
 * D(i, C), and s(i) = 1 - a/b if a < b, b/a - 1 if a > b, 0 if equal or if i is alone in A. The
 * result is Σ wᵢ s(i) / Σ wᵢ, in [-1, 1].
 *
 * With `squaredEuclidean` (the default, as in Spark) the distance is ‖x - y‖², so
 * D(i, C) = ‖xᵢ‖² + (Σ_C w‖x‖²) / N_C - 2 xᵢ·(Σ_C w x) / N_C needs only per-cluster sums: one
 * aggregate query for the sums, one for the point silhouettes (after one checking the vector
 * lengths) — no pairwise distances, so it scales to any number of rows (this equals
 * scikit-learn's `silhouette_score(X, labels, metric="sqeuclidean")`). With `cosine`, D(i, C) = 1 - x̂ᵢ·(Σ_C w x̂) / N_C over unit vectors
 * (zero vectors are an error). At least two clusters are needed; rows with a null features,
 * prediction or weight are skipped.
 * @example
 * const s = await new ClusteringEvaluator().evaluate(kmeansModel.transform(df));
 */
export class ClusteringEvaluator extends Evaluator {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;

  /**
   * @param params see the param table above
   * @param uid the id (a fresh one by default)
   */
  constructor(params: ClusteringEvaluatorParams = {}, uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
  }

  /** A new evaluator with the same uid and some params replaced. */
  copy(overrides: ClusteringEvaluatorParams = {}): ClusteringEvaluator {
    return new ClusteringEvaluator({ ...(this.getParams() as ClusteringEvaluatorParams), ...overrides }, this.uid);
  }

  /** The silhouette is better larger. */
  isLargerBetter(): boolean { return true; }

  /**
   * Computes the mean silhouette.
   * @param df frame with the features, prediction (and weight) columns
   * @returns the silhouette, in [-1, 1]
   * @throws AnalysisError for a missing column or wrong type; IllegalArgumentError for fewer than two clusters, no rows, or a negative weight
   */
  async evaluate(df: DataFrame): Promise<number> {
    this.params.validate();
    const p = this.getParams() as Required<ClusteringEvaluatorParams>;
    const schema = await df.schema();
    vectorField(schema, p.featuresCol, OWNER, "features");
    numericField(schema, p.predictionCol, OWNER, "prediction");
    if (p.weightCol !== null) numericField(schema, p.weightCol, OWNER, "weight");
    const base = df.select(F.col(p.featuresCol).alias("x"), F.col(p.predictionCol).cast("double").alias("c"), weightOf(p.weightCol).alias("w"))
      .filter(F.col("x").isNotNull().and(F.col("c").isNotNull()).and(F.col("w").isNotNull()));
    // Lengths first: on Spark (ANSI) reading past the end of a shorter vector is itself an error.
    const dims = (await base.agg(F.min(F.size("x")).alias("lo"), F.max(F.size("x")).alias("hi"), F.count("*").alias("n")).collect())[0];
    if (Number(dims["n"]) === 0) throw new IllegalArgumentError(`${OWNER}: no rows to evaluate (rows with a null features, prediction or weight are skipped).`, "EMPTY_DATA");
    const d = Number(dims["lo"]);
    if (Number(dims["hi"]) !== d) {
      throw new IllegalArgumentError(`${OWNER}: feature vectors in ${q(p.featuresCol)} have different lengths (${d} to ${String(dims["hi"])}); every row needs the same number of features.`, "FEATURE_LENGTH_MISMATCH");
    }
    if (!(d > 0)) throw new IllegalArgumentError(`${OWNER}: the feature vectors in ${q(p.featuresCol)} are empty.`, "EMPTY_FEATURES");
    const cosine = p.distanceMeasure === "cosine";
    const w = F.col("w");
    const xs = Array.from({ length: d }, (_, i) => F.col("x").getItem(i));
    const sq = xs.map((x) => x.multiply(x)).reduce((a, b) => a.plus(b));
    let v: Column[] = xs;
    let input = base;
    if (cosine) {
      const norm = F.sqrt(sq);
      const safe = F.when(norm.eq(0), F.raise_error(`${OWNER}: the features column ${q(p.featuresCol)} has a zero vector, which has no cosine distance.`)).otherwise(norm);
      input = base.withColumn("norm", safe);
      v = xs.map((x) => x.divide(F.col("norm")));
    }
    // Per-cluster weight, Σ w·v and (squared Euclidean) Σ w·‖x‖².
    const statsRows = await input.groupBy("c").agg(
      F.sum(w).alias("wsum"), F.count("*").alias("cnt"), F.min(w).alias("minw"),
      ...(cosine ? [] : [F.sum(w.multiply(sq)).alias("sqsum")]),
      ...v.map((e, i) => F.sum(w.multiply(e)).alias(`f${i}`)),
    ).orderBy("c").collect();
    let n = 0, total = 0, minW: number | null = null;
    const clusters = statsRows.map((r) => {
      n += Number(r["cnt"]); total += Number(r["wsum"]);
      const mw = Number(r["minw"]);
      if (minW === null || mw < minW) minW = mw;
      return { id: Number(r["c"]), N: Number(r["wsum"]), S: cosine ? 0 : Number(r["sqsum"]), f: Array.from({ length: d }, (_, i) => Number(r[`f${i}`])) };
    });
    checkRowsAndWeights(OWNER, n, total, minW, p.weightCol);
    if (clusters.length < 2) throw new IllegalArgumentError(`${OWNER}: the silhouette needs at least two clusters; ${q(p.predictionCol)} has ${clusters.length}.`, "TOO_FEW_CLUSTERS");
    const empty = clusters.find((c) => !(c.N > 0));
    if (empty) throw new IllegalArgumentError(`${OWNER}: cluster ${empty.id} has total weight ${empty.N}; every cluster needs a positive weight.`, "EMPTY_CLUSTER");

    // D(i, C) per cluster, clamped at 0 (the expansion can round slightly below).
    const dist = clusters.map((c) => {
      const dot = v.map((e, i) => e.multiply(c.f[i] / c.N)).reduce((a, b) => a.plus(b));
      const raw = cosine ? dbl(1).minus(dot) : sq.plus(c.S / c.N).minus(dot.multiply(2));
      return F.greatest(raw, dbl(0));
    });
    const cases = (f: (j: number) => Column): Column => {
      let e = F.when(F.col("c").eq(clusters[0].id), f(0));
      for (let j = 1; j < clusters.length; j++) e = e.when(F.col("c").eq(clusters[j].id), f(j));
      return e.otherwise(F.lit(null));
    };
    const scored = input
      .withColumns(Object.fromEntries(dist.map((e, j) => [`d${j}`, e])))
      .withColumn("own", cases((j) => dbl(clusters[j].N)))
      .withColumn("rest", cases((_j) => F.col("own").minus(w)))
      .withColumn("a", cases((j) => F.col(`d${j}`)).multiply(F.col("own")).divide(F.when(F.col("rest").le(0), dbl(1)).otherwise(F.col("rest"))))
      .withColumn("b", cases((j) => {
        const others = clusters.map((_, k) => F.col(`d${k}`)).filter((_, k) => k !== j);
        return others.length === 1 ? others[0] : F.least(...others);
      }))
      .withColumn("s", F.when(F.col("rest").le(0), dbl(0))
        .when(F.col("a").lt(F.col("b")), F.lit(1).minus(F.col("a").divide(F.col("b"))))
        .when(F.col("a").gt(F.col("b")), F.col("b").divide(F.col("a")).minus(1))
        .otherwise(dbl(0)));
    const r = (await scored.agg(F.sum(w.multiply(F.col("s"))).alias("s")).collect())[0];
    return Number(r["s"]) / total;
  }
}
