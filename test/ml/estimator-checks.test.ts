/**
 * One estimator-check suite over every estimator (scikit-learn's check_estimator, Spark's
 * DefaultReadWriteTest): constructs with defaults, fits twice to the same result with a fixed
 * seed, leaves its params unchanged, keeps transform lazy, and round-trips save/load.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { F, type DataFrame, type Session } from "quarry";
import {
  GaussianMixture, KMeans, LinearRegression, LogisticRegression, StandardScaler, MinMaxScaler, StringIndexer, OneHotEncoder,
  Pipeline, VectorAssembler, loadModel, type Estimator, type Model,
} from "quarry/ml";
import { conformance } from "../conformance/harness.js";

interface Case {
  readonly name: string;
  readonly make: () => Estimator<Model>;
  /** Output columns whose values must be identical across fits and after save/load. */
  readonly outputs: readonly string[];
}

const CASES: readonly Case[] = [
  { name: "GaussianMixture", make: () => new GaussianMixture({ k: 2, seed: 7, maxIter: 20 }), outputs: ["prediction", "probability"] },
  { name: "KMeans", make: () => new KMeans({ k: 2, seed: 7 }), outputs: ["prediction"] },
  { name: "LinearRegression", make: () => new LinearRegression({ labelCol: "y" }), outputs: ["prediction"] },
  { name: "LinearRegression(sgd)", make: () => new LinearRegression({ labelCol: "y", solver: "sgd", miniBatchFraction: 0.5, stepSize: 0.05, maxIter: 30, seed: 3 }), outputs: ["prediction"] },
  { name: "LogisticRegression", make: () => new LogisticRegression({ labelCol: "label" }), outputs: ["prediction", "probability", "rawPrediction"] },
  { name: "LogisticRegression(multinomial)", make: () => new LogisticRegression({ labelCol: "cls", family: "multinomial", regParam: 0.01 }), outputs: ["prediction", "probability"] },
  { name: "StandardScaler", make: () => new StandardScaler({ inputCol: "features", outputCol: "scaled", withMean: true }), outputs: ["scaled"] },
  { name: "MinMaxScaler", make: () => new MinMaxScaler({ inputCol: "features", outputCol: "scaled" }), outputs: ["scaled"] },
  { name: "StringIndexer", make: () => new StringIndexer({ inputCol: "cat", outputCol: "catIndex" }), outputs: ["catIndex"] },
  { name: "OneHotEncoder", make: () => new OneHotEncoder({ inputCols: ["cls"], outputCols: ["clsVec"] }), outputs: ["clsVec"] },
  {
    name: "Pipeline(VectorAssembler, LogisticRegression)",
    make: () => new Pipeline({ stages: [new VectorAssembler({ inputCols: ["a", "b"], outputCol: "features2" }), new LogisticRegression({ featuresCol: "features2" })] }),
    outputs: ["prediction", "probability"],
  },
];

function data(spark: Session): DataFrame {
  const rows = Array.from({ length: 200 }, (_, i) => {
    const a = Math.sin(i * 1.3) * 3 + (i % 2) * 4, b = Math.cos(i * 0.7) * 2 - (i % 2) * 3;
    return { id: i, a, b, y: 2 * a - b + 0.1 * Math.sin(i), label: i % 2, cls: i % 3, cat: ["x", "y", "z", "y"][i % 4] };
  });
  return spark.createDataFrame(rows, "id INT, a DOUBLE, b DOUBLE, y DOUBLE, label INT, cls INT, cat STRING")
    .withColumn("features", F.array("a", "b").cast("array<double>"));
}

/**
 * Equal up to 1e-9 relative in every number (scikit-learn's check_fit_idempotent allows the
 * same: parallel sums may round differently in the last bits).
 */
function assertClose(actual: unknown, expected: unknown, what: string): void {
  if (typeof expected === "number" && typeof actual === "number") {
    assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
  } else if (Array.isArray(expected) && Array.isArray(actual)) {
    assert.equal(actual.length, expected.length, `${what}: length`);
    expected.forEach((e, i) => assertClose(actual[i], e, `${what}[${i}]`));
  } else {
    assert.deepEqual(actual, expected, what);
  }
}

async function outputs(model: Model, df: DataFrame, cols: readonly string[]): Promise<unknown[]> {
  return (await model.transform(df).orderBy("id").select(...cols).collect()).map((r) => cols.map((c) => r[c]));
}

conformance("estimator checks", (ctx) => {
  for (const c of CASES) {
    ctx.it(`${c.name}: defaults, deterministic fit, params untouched, lazy transform, save/load`, async () => {
      const spark = ctx.spark;
      const dir = ctx.tempDir();
      const df = data(spark);
      const est = c.make();
      const paramsBefore = JSON.stringify(est.getParams(), (_k, v) => (typeof v === "function" ? "fn" : v));
      // A fit caches its training columns for the passes and releases them at the end.
      const cached = (spark as unknown as { cachedPlans: ReadonlySet<unknown> }).cachedPlans;
      const cachedBefore = cached.size;
      const m1 = await est.fit(df);
      assert.equal(cached.size, cachedBefore, "the fit left a cached frame behind");
      const m2 = await est.fit(df);
      assert.equal(JSON.stringify(est.getParams(), (_k, v) => (typeof v === "function" ? "fn" : v)), paramsBefore, "fit changed the estimator's params");
      // copy() keeps the uid, as Spark's copy does (a model's default output names derive from it).
      assert.equal(est.copy({}).uid, est.uid, "copy() kept the uid");
      // Where training ran: on Spark "auto" must aggregate on the cluster, never pull the data to Node.
      const provider = (m1 as { summary?: { statsProvider?: string } | null }).summary?.statsProvider;
      if (provider !== undefined) assert.equal(provider, ctx.backend.name === "spark" ? "sql" : "kernel", "the statistics provider \"auto\" picked");
      const o1 = await outputs(m1, df, c.outputs);
      assertClose(await outputs(m2, df, c.outputs), o1, "two fits with the same seed");

      // transform is lazy: building it over a frame whose source is missing runs nothing.
      const missing = spark.read.parquet(path.join(dir, "does-not-exist"));
      assert.doesNotThrow(() => m1.transform(missing));

      const where = path.join(dir, c.name.replace(/\W+/g, "_"));
      await m1.save(where);
      await assert.rejects(m1.save(where), /exists|overwrite/i);
      await m1.save(where, { overwrite: true });
      const loaded = await loadModel(where);
      assert.equal(loaded.constructor.name, m1.constructor.name);
      assertClose(await outputs(loaded as Model, df, c.outputs), o1, "the loaded model's predictions");
    });
  }

  ctx.it("every estimator constructs with its defaults and validates params in fit", async () => {
    for (const E of [GaussianMixture, KMeans, LinearRegression, LogisticRegression]) {
      const e = new E();
      assert.ok(Object.keys(e.getParams()).length > 3);
      assert.ok(e.explainParams().includes("default"));
    }
    await assert.rejects(new KMeans({ k: 0 }).fit(data(ctx.spark)), /k must be > 1/);
    await assert.rejects(new LogisticRegression({ elasticNetParam: 2 }).fit(data(ctx.spark)), /elasticNetParam must be in \[0, 1\]/);
    assert.throws(() => new KMeans({ kk: 3 } as never), /has no param "kk"/);
  });
});
