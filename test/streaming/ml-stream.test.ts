/**
 * A fitted model scores a stream: the transform of a fitted pipeline (VectorAssembler +
 * LogisticRegression) and of a Gaussian mixture runs inside a streaming query and gives the same
 * predictions as the same transform on the batch rows.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Session, MemoryStream } from "quarry";
import { GaussianMixture, LogisticRegression, Pipeline, VectorAssembler } from "quarry/ml";
import { prng } from "../conformance/harness.js";

type Spark = Awaited<ReturnType<ReturnType<typeof Session.builder>["getOrCreate"]>>;

describe("ML models on streams [duckdb]", () => {
  let spark: Spark;
  before(async () => { spark = await Session.builder().getOrCreate(); });
  after(async () => { await spark.stop(); });

  const rows = () => {
    const rnd = prng(3);
    return Array.from({ length: 120 }, (_, i) => {
      const label = i % 2;
      return { id: i, x1: rnd() * 2 + label * 1.5, x2: rnd() * 2 - label, label };
    });
  };

  it("a LogisticRegression pipeline and a GaussianMixture transform a streaming DataFrame as they transform the batch", async () => {
    const data = rows();
    const schema = "id INT, x1 DOUBLE, x2 DOUBLE, label INT";
    const train = spark.createDataFrame(data, schema);
    const assembler = new VectorAssembler({ inputCols: ["x1", "x2"], outputCol: "features" });
    const lr = await new Pipeline({ stages: [assembler, new LogisticRegression({ maxIter: 50 })] }).fit(train);
    const gmm = await new GaussianMixture({ k: 2, seed: 1, maxIter: 20 }).fit(assembler.transform(train));

    const input = new MemoryStream(spark, schema);
    const stream = input.toDF();
    const q1 = await lr.transform(stream).select("id", "prediction", "probability").writeStream.format("memory").queryName("lr_scores").start();
    const q2 = await gmm.transform(assembler.transform(stream)).select("id", "prediction").writeStream.format("memory").queryName("gmm_scores").start();
    input.addData(data.slice(0, 60));
    await q1.processAllAvailable(); await q2.processAllAvailable();
    input.addData(data.slice(60));
    await q1.processAllAvailable(); await q2.processAllAvailable();
    await q1.stop(); await q2.stop();

    const byId = (rs: Record<string, unknown>[]) => rs.sort((a, b) => (a["id"] as number) - (b["id"] as number));
    const lrBatch = byId(await lr.transform(train).select("id", "prediction", "probability").collect());
    const lrStream = byId(await spark.table("lr_scores").collect());
    assert.equal(lrStream.length, data.length);
    assert.deepEqual(lrStream, lrBatch);
    const gmmBatch = byId(await gmm.transform(assembler.transform(train)).select("id", "prediction").collect());
    assert.deepEqual(byId(await spark.table("gmm_scores").collect()), gmmBatch);
    // The model is not trivial: it separates the classes on most rows.
    const correct = lrBatch.filter((r, i) => r["prediction"] === data[byId([...lrBatch])[i]["id"] as number].label).length;
    assert.ok(correct > data.length * 0.7, `accuracy ${correct}/${data.length}`);
  });
});
