/**
 * Evaluators against scikit-learn and transcriptions of Spark's definitions (fixtures from
 * test/ml/fixtures/gen_features.py, cross-checked there with Spark ML), and hand-computed cases.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AnalysisError, IllegalArgumentError } from "quarry";
import {
  RegressionEvaluator, BinaryClassificationEvaluator, MulticlassClassificationEvaluator, ClusteringEvaluator, curveAreas,
  type RegressionMetric, type MulticlassMetric,
} from "quarry/ml";
import { conformance, expectError, assertApprox } from "../conformance/harness.js";

/** Reads a JSON fixture from test/ml/fixtures (tests run from build/test/ml). */
function mlFixture<T>(name: string): T {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const root of [path.resolve(here, "../../.."), process.cwd()]) {
    const p = path.join(root, "test", "ml", "fixtures", name);
    if (fs.existsSync(p)) return JSON.parse(fs.readFileSync(p, "utf8")) as T;
  }
  throw new Error(`fixture not found: ${name}`);
}

type Metrics = Record<string, number>;
interface EvaluationFixture {
  regression: { y: number[]; p: number[]; w: number[]; unweighted: Metrics; weighted: Metrics };
  binary: {
    score: number[]; label: number[]; w: number[]; unweighted: Metrics; weighted: Metrics;
    binned: { score: number[]; label: number[]; exact: Metrics; numBins1000: Metrics };
  };
  multiclass: { y: number[]; p: number[]; w: number[]; probability: number[][]; unweighted: Metrics; weighted: Metrics };
  clustering: { X: number[][]; prediction: number[]; w: number[]; squaredEuclidean: number; cosine: number; squaredEuclideanWeighted: number; cosineWeighted: number };
}
const FX = mlFixture<EvaluationFixture>("evaluation.json");

conformance("ml evaluation: RegressionEvaluator", (ctx) => {
  const fx = FX.regression;
  const df = () => ctx.spark.createDataFrame(fx.y.map((y, i) => ({ label: y, prediction: fx.p[i], w: fx.w[i] })), "label DOUBLE, prediction DOUBLE, w DOUBLE");

  for (const weighted of [false, true]) {
    ctx.it(`${weighted ? "weighted" : "unweighted"} rmse, mse, mae, r2, var match scikit-learn / Spark`, async () => {
      const expected = weighted ? fx.weighted : fx.unweighted;
      for (const metric of ["rmse", "mse", "mae", "r2", "var"] as RegressionMetric[]) {
        const ev = new RegressionEvaluator({ metricName: metric, weightCol: weighted ? "w" : null });
        assertApprox(await ev.evaluate(df()), expected[metric], 1e-12, metric);
      }
      const origin = new RegressionEvaluator({ metricName: "r2", throughOrigin: true, weightCol: weighted ? "w" : null });
      assertApprox(await origin.evaluate(df()), expected["r2ThroughOrigin"], 1e-12, "r2 through origin");
    });
  }

  ctx.it("isLargerBetter, other column names, integer columns, skipped nulls", async () => {
    assert.equal(new RegressionEvaluator().isLargerBetter(), false);
    assert.equal(new RegressionEvaluator({ metricName: "r2" }).isLargerBetter(), true);
    // errors 1, -2, 0 (and a null row skipped): mse 5/3, mae 1
    const data = ctx.spark.createDataFrame([{ y: 3, yhat: 2 }, { y: 1, yhat: 3 }, { y: 5, yhat: 5 }, { y: 9, yhat: null }], "y INT, yhat INT");
    assertApprox(await new RegressionEvaluator({ metricName: "mse", labelCol: "y", predictionCol: "yhat" }).evaluate(data), 5 / 3, 1e-15);
    assertApprox(await new RegressionEvaluator({ metricName: "mae", labelCol: "y", predictionCol: "yhat" }).evaluate(data), 1, 1e-15);
    // labels all equal: r2 is 1 for a perfect fit and 0 otherwise (scikit-learn's convention), never NaN
    const flat = ctx.spark.createDataFrame([{ label: 2, prediction: 2 }, { label: 2, prediction: 2 }], "label DOUBLE, prediction DOUBLE");
    assert.equal(await new RegressionEvaluator({ metricName: "r2" }).evaluate(flat), 1);
  });

  ctx.it("bad input: missing column, string column, negative weight, no rows", async () => {
    await expectError(() => new RegressionEvaluator({ labelCol: "lable" }).evaluate(df()), AnalysisError, "`lable`", "`label`");
    const s = ctx.spark.createDataFrame([{ label: "a", prediction: 1 }], "label STRING, prediction DOUBLE");
    await expectError(() => new RegressionEvaluator().evaluate(s), AnalysisError, "`label`", "type string");
    const neg = ctx.spark.createDataFrame([{ label: 1, prediction: 1, w: -1 }], "label DOUBLE, prediction DOUBLE, w DOUBLE");
    await expectError(() => new RegressionEvaluator({ weightCol: "w" }).evaluate(neg), IllegalArgumentError, "`w`", "negative");
    await expectError(() => new RegressionEvaluator().evaluate(df().limit(0)), IllegalArgumentError, "no rows");
    await expectError(() => new RegressionEvaluator({ metricName: "rmsle" as never }).evaluate(df()), IllegalArgumentError, "metricName must be one of");
  });
});

conformance("ml evaluation: BinaryClassificationEvaluator", (ctx) => {
  const fx = FX.binary;
  const df = () => ctx.spark.createDataFrame(fx.score.map((s, i) => ({ rawPrediction: s, label: fx.label[i], w: fx.w[i] })), "rawPrediction DOUBLE, label DOUBLE, w DOUBLE");

  for (const weighted of [false, true]) {
    ctx.it(`${weighted ? "weighted" : "unweighted"} areaUnderROC (= roc_auc_score) and areaUnderPR (Spark's) with tied scores`, async () => {
      const expected = weighted ? fx.weighted : fx.unweighted;
      for (const metric of ["areaUnderROC", "areaUnderPR"] as const) {
        assertApprox(await new BinaryClassificationEvaluator({ metricName: metric, weightCol: weighted ? "w" : null }).evaluate(df()), expected[metric], 1e-12, metric);
      }
    });
  }

  ctx.it("a vector rawPrediction is scored by its element 1", async () => {
    const vec = ctx.spark.createDataFrame(fx.score.map((s, i) => ({ raw: [-s, s], y: fx.label[i] })), "raw ARRAY<DOUBLE>, y INT");
    const ev = new BinaryClassificationEvaluator({ rawPredictionCol: "raw", labelCol: "y" });
    assertApprox(await ev.evaluate(vec), fx.unweighted["areaUnderROC"], 1e-12);
  });

  ctx.it("many distinct scores: numBins=1000 bins as Spark does; numBins=0 is exact", async () => {
    const b = fx.binned;
    const data = ctx.spark.createDataFrame(b.score.map((s, i) => ({ rawPrediction: s, label: b.label[i] })), "rawPrediction DOUBLE, label DOUBLE");
    for (const metric of ["areaUnderROC", "areaUnderPR"] as const) {
      assertApprox(await new BinaryClassificationEvaluator({ metricName: metric }).evaluate(data), b.numBins1000[metric], 1e-12, `binned ${metric}`);
      assertApprox(await new BinaryClassificationEvaluator({ metricName: metric, numBins: 0 }).evaluate(data), b.exact[metric], 1e-12, `exact ${metric}`);
    }
    assert.notEqual(b.numBins1000["areaUnderPR"], b.exact["areaUnderPR"], "the fixture exercises binning");
  });

  ctx.it("hand-computed curve: perfect and reversed rankings, and the PR start point", async () => {
    // scores 0.9(+), 0.8(+), 0.3(-), 0.1(-): perfect ranking
    assert.deepEqual(curveAreas([{ score: 0.9, pos: 1, neg: 0 }, { score: 0.8, pos: 1, neg: 0 }, { score: 0.3, pos: 0, neg: 1 }, { score: 0.1, pos: 0, neg: 1 }]), { areaUnderROC: 1, areaUnderPR: 1 });
    // reversed: ROC 0; PR points (0, 0) (0, 0) (0, 0) (0.5, 1/3) (1, 1/2) -> 0.5 * (1/3) / 2 + 0.5 * (1/3 + 1/2) / 2
    const rev = curveAreas([{ score: 0.9, pos: 0, neg: 1 }, { score: 0.8, pos: 0, neg: 1 }, { score: 0.3, pos: 1, neg: 0 }, { score: 0.1, pos: 1, neg: 0 }]);
    assert.equal(rev.areaUnderROC, 0);
    assertApprox(rev.areaUnderPR, 0.5 * (1 / 3) / 2 + 0.5 * (1 / 3 + 1 / 2) / 2, 1e-15);
    assertApprox(await new BinaryClassificationEvaluator().evaluate(ctx.spark.createDataFrame([
      { rawPrediction: 0.9, label: 1 }, { rawPrediction: 0.8, label: 1 }, { rawPrediction: 0.3, label: 0 }, { rawPrediction: 0.1, label: 0 },
    ], "rawPrediction DOUBLE, label INT")), 1, 0);
  });

  ctx.it("bad input: a string score and a missing label are named", async () => {
    const s = ctx.spark.createDataFrame([{ rawPrediction: "x", label: 1 }], "rawPrediction STRING, label INT");
    await expectError(() => new BinaryClassificationEvaluator().evaluate(s), AnalysisError, "`rawPrediction`", "string");
    await expectError(() => new BinaryClassificationEvaluator({ labelCol: "y" }).evaluate(df()), AnalysisError, "`y`", "does not exist");
    await expectError(() => new BinaryClassificationEvaluator().evaluate(df().limit(0)), IllegalArgumentError, "no rows");
  });
});

conformance("ml evaluation: MulticlassClassificationEvaluator", (ctx) => {
  const fx = FX.multiclass;
  const df = () => ctx.spark.createDataFrame(fx.y.map((y, i) => ({ label: y, prediction: fx.p[i], w: fx.w[i], probability: fx.probability[i] })), "label DOUBLE, prediction DOUBLE, w DOUBLE, probability ARRAY<DOUBLE>");
  const spec: [MulticlassMetric, Record<string, number>, string][] = [
    ["f1", {}, "f1"], ["accuracy", {}, "accuracy"], ["weightedPrecision", {}, "weightedPrecision"], ["weightedRecall", {}, "weightedRecall"],
    ["weightedTruePositiveRate", {}, "weightedRecall"], ["weightedFMeasure", { beta: 0.5 }, "weightedFMeasureBeta0.5"],
    ["hammingLoss", {}, "hammingLoss"], ["precisionByLabel", { metricLabel: 1 }, "precisionByLabel1"], ["recallByLabel", { metricLabel: 1 }, "recallByLabel1"],
    ["truePositiveRateByLabel", { metricLabel: 1 }, "recallByLabel1"], ["fMeasureByLabel", { metricLabel: 3 }, "fMeasureByLabel3"],
    ["falsePositiveRateByLabel", { metricLabel: 1 }, "falsePositiveRateByLabel1"], ["weightedFalsePositiveRate", {}, "weightedFalsePositiveRate"],
    ["logLoss", {}, "logLoss"],
  ];

  for (const weighted of [false, true]) {
    ctx.it(`${weighted ? "weighted" : "unweighted"} metrics match scikit-learn (average="weighted") / Spark`, async () => {
      const expected = weighted ? fx.weighted : fx.unweighted;
      for (const [metric, extra, key] of spec) {
        const ev = new MulticlassClassificationEvaluator({ metricName: metric, weightCol: weighted ? "w" : null, ...extra });
        assertApprox(await ev.evaluate(df()), expected[key], 1e-12, `${metric}${JSON.stringify(extra)}`);
      }
    });
  }

  ctx.it("isLargerBetter and hand-computed accuracy", async () => {
    assert.equal(new MulticlassClassificationEvaluator().isLargerBetter(), true);
    assert.equal(new MulticlassClassificationEvaluator({ metricName: "hammingLoss" }).isLargerBetter(), false);
    assert.equal(new MulticlassClassificationEvaluator({ metricName: "logLoss" }).isLargerBetter(), false);
    const data = ctx.spark.createDataFrame([{ y: 0, p: 0 }, { y: 1, p: 1 }, { y: 2, p: 1 }, { y: 2, p: 2 }], "y INT, p INT");
    assert.equal(await new MulticlassClassificationEvaluator({ metricName: "accuracy", labelCol: "y", predictionCol: "p" }).evaluate(data), 0.75);
  });

  ctx.it("logLoss rejects labels outside the probability vector", async () => {
    const data = ctx.spark.createDataFrame([{ label: 2, probability: [0.5, 0.5] }], "label DOUBLE, probability ARRAY<DOUBLE>");
    await expectError(() => new MulticlassClassificationEvaluator({ metricName: "logLoss" }).evaluate(data), IllegalArgumentError, "[0, 2)");
  });
});

conformance("ml evaluation: ClusteringEvaluator", (ctx) => {
  const fx = FX.clustering;
  const df = () => ctx.spark.createDataFrame(fx.X.map((x, i) => ({ features: x, prediction: fx.prediction[i], w: fx.w[i] })), "features ARRAY<DOUBLE>, prediction DOUBLE, w DOUBLE");

  ctx.it("silhouette with squared Euclidean distance = silhouette_score(metric=\"sqeuclidean\")", async () => {
    assertApprox(await new ClusteringEvaluator().evaluate(df()), fx.squaredEuclidean, 1e-10);
  });

  ctx.it("silhouette with cosine distance = silhouette_score(metric=\"cosine\")", async () => {
    assertApprox(await new ClusteringEvaluator({ distanceMeasure: "cosine" }).evaluate(df()), fx.cosine, 1e-10);
  });

  ctx.it("weighted silhouettes match the weighted definition (and Spark)", async () => {
    assertApprox(await new ClusteringEvaluator({ weightCol: "w" }).evaluate(df()), fx.squaredEuclideanWeighted, 1e-10);
    assertApprox(await new ClusteringEvaluator({ weightCol: "w", distanceMeasure: "cosine" }).evaluate(df()), fx.cosineWeighted, 1e-10);
  });

  ctx.it("hand-computed: two tight pairs far apart, and a singleton cluster scores 0", async () => {
    // points 0, 1 (cluster 0) and 10, 11 (cluster 1), 1-D: a = 1, b = mean(100, 121) = 110.5 for x = 0 ...
    const data = ctx.spark.createDataFrame([{ f: [0], c: 0 }, { f: [1], c: 0 }, { f: [10], c: 1 }, { f: [11], c: 1 }, { f: [30], c: 2 }], "f ARRAY<DOUBLE>, c INT");
    const ev = new ClusteringEvaluator({ featuresCol: "f", predictionCol: "c" });
    const sq = (a: number, b: number) => (a - b) ** 2;
    const pts = [[0, 0], [1, 0], [10, 1], [11, 1], [30, 2]];
    const s = pts.map(([x, c]) => {
      const mates = pts.filter(([y, d]) => d === c && y !== x);
      if (mates.length === 0) return 0;
      const a = mates.reduce((acc, [y]) => acc + sq(x, y), 0) / mates.length;
      const b = Math.min(...[0, 1, 2].filter((d) => d !== c).map((d) => {
        const o = pts.filter(([, e]) => e === d);
        return o.reduce((acc, [y]) => acc + sq(x, y), 0) / o.length;
      }));
      return a < b ? 1 - a / b : a > b ? b / a - 1 : 0;
    });
    assertApprox(await ev.evaluate(data), s.reduce((a, b) => a + b, 0) / s.length, 1e-12);
  });

  ctx.it("one cluster, zero vectors with cosine, and a non-vector column fail clearly", async () => {
    const one = ctx.spark.createDataFrame([{ features: [1, 2], prediction: 0 }, { features: [2, 2], prediction: 0 }], "features ARRAY<DOUBLE>, prediction INT");
    await expectError(() => new ClusteringEvaluator().evaluate(one), IllegalArgumentError, "at least two clusters");
    const zero = ctx.spark.createDataFrame([{ features: [0, 0], prediction: 0 }, { features: [2, 2], prediction: 1 }, { features: [1, 2], prediction: 1 }], "features ARRAY<DOUBLE>, prediction INT");
    await expectError(() => new ClusteringEvaluator({ distanceMeasure: "cosine" }).evaluate(zero), Error, "zero vector");
    const ragged = ctx.spark.createDataFrame([{ features: [0, 1], prediction: 0 }, { features: [2], prediction: 1 }, { features: [1, 2], prediction: 1 }], "features ARRAY<DOUBLE>, prediction INT");
    await expectError(() => new ClusteringEvaluator().evaluate(ragged), IllegalArgumentError, "different lengths");
    await expectError(() => new ClusteringEvaluator().evaluate(one.limit(0)), IllegalArgumentError, "no rows");
    const flat = ctx.spark.createDataFrame([{ features: 1.5, prediction: 0 }], "features DOUBLE, prediction INT");
    await expectError(() => new ClusteringEvaluator().evaluate(flat), AnalysisError, "`features`", "double", "vector");
  });
});
