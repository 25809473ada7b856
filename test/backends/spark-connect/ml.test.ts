// quarry/ml on the Spark backend, beyond the shared ML suites (which run on every backend): a model
// trained on Spark is the same model on the embedded engine (models are small JSON held by the
// client), and its transform compiles to plain Spark expressions (no UDFs), so it runs on the
// cluster. Against a real server.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Session, type DataFrame } from "quarry";
import { GaussianMixture, LogisticRegression, loadModel, type Model } from "quarry/ml";
import { sparkRemote, SPARK_SKIP } from "./spark-server.js";
import { captureStdout } from "../../conformance/harness.js";
import { frame } from "../../ml/helpers.js";

describe("quarry/ml on spark-connect", { skip: SPARK_SKIP }, () => {
  let spark: Session, embedded: Session;
  let dir: string;
  // Two overlapping classes in 3 dimensions, generated here without randomness.
  const X = Array.from({ length: 300 }, (_, i) => [Math.sin(i * 0.37) * 2 + (i % 2) * 1.5, Math.cos(i * 0.21) + (i % 2), (i % 7) / 7 - (i % 2) * 0.4]);
  const y = X.map((_, i) => (i % 2 === 0 ? 0 : 1));

  before(async () => {
    spark = await Session.builder().remote(await sparkRemote()).create();
    embedded = await Session.builder().create();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "quarry-sc-ml-"));
  });
  after(async () => {
    await spark.stop();
    await embedded.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const predictions = async (m: Model, df: DataFrame, cols: string[]) =>
    (await m.transform(df).orderBy("id").select(...cols).collect()).map((r) => cols.map((c) => r[c]));

  it("a model trained on Spark loads on the embedded engine and predicts the same", async () => {
    for (const [name, est, cols] of [
      ["lr", new LogisticRegression({ regParam: 0.01 }), ["prediction", "probability", "rawPrediction"]],
      ["gmm", new GaussianMixture({ k: 2, seed: 5, maxIter: 10 }), ["prediction", "probability"]],
    ] as const) {
      const model = await est.fit(frame(spark, X, y));
      assert.equal((model.summary as { statsProvider: string }).statsProvider, "sql", "trained by engine aggregates on Spark");
      await model.save(path.join(dir, name));
      const loaded = (await loadModel(path.join(dir, name))) as Model;
      const onSpark = await predictions(model, frame(spark, X, y), [...cols]);
      const onEmbedded = await predictions(loaded, frame(embedded, X, y), [...cols]);
      assert.equal(onSpark.length, X.length);
      onSpark.forEach((row, i) => row.forEach((v, j) => {
        const e = onEmbedded[i][j];
        if (Array.isArray(v)) (v as number[]).forEach((x, q) => assert.ok(Math.abs(x - (e as number[])[q]) <= 1e-12 * Math.max(1, Math.abs(x)), `${name} row ${i} ${cols[j]}[${q}]: ${x} vs ${(e as number[])[q]}`));
        else assert.equal(v, e, `${name} row ${i} ${cols[j]}`);
      }));
    }
  });

  it("statsProvider \"kernel\" fails clearly on Spark (the kernels need the embedded engine)", async () => {
    await assert.rejects(new LogisticRegression({ statsProvider: "kernel" }).fit(frame(spark, X, y)), /statsProvider "kernel" needs the embedded engine.*use "sql" or "auto"/);
  });

  it("transform compiles to Spark expressions, without user-defined functions", async () => {
    const model = await new GaussianMixture({ k: 2, seed: 5, maxIter: 3 }).fit(frame(spark, X));
    const plan = await captureStdout(() => model.transform(frame(spark, X)).explain(true));
    assert.match(plan, /== Physical Plan ==/);
    assert.doesNotMatch(plan, /UDF|udf|PythonEval|ArrowEval/, "the plan runs no UDF");
  });
});
