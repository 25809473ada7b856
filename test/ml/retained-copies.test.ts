/**
 * A fit on a cached frame keeps the copy of its training columns in the session's kernel pool,
 * and the next fit on the same cached frame with the same columns starts from it: no scan of
 * the engine's table, and exactly the same model. Different columns, a filtered or uncached
 * frame, an unpersisted frame never reuse it; the memory budget evicts the least recently used
 * copy; a stopped session keeps none. Kept data survives other loads of the pool around it.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Session, F, type DataFrame } from "quarry";
import { VectorAssembler, KernelStatsProvider, LogisticRegression, LinearRegression, KMeans, GaussianMixture } from "quarry/ml";
import { KernelPool } from "#ml-kernels";
import { retainedCopies } from "#ml-kernel-provider";

function rng(seed: number): () => number {
  let s = seed;
  return () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
}

/** Counts the engine scans that copy training columns out of DuckDB (calls to scanDoubles). */
function countScans(spark: Session): { readonly count: number } {
  const backend = spark.backend as unknown as { scanDoubles: (...a: unknown[]) => AsyncGenerator<unknown> };
  const original = backend.scanDoubles.bind(backend);
  const counter = { count: 0 };
  backend.scanDoubles = (...a: unknown[]) => { counter.count++; return original(...a); };
  return counter;
}

const bits = (a: readonly number[], b: readonly number[], what: string): void => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

describe("kernel provider: copies of cached frames kept between fits", () => {
  let spark: Session;
  let scans: { readonly count: number };
  let raw: DataFrame;
  const assembler = new VectorAssembler({ inputCols: ["a", "b", "c"], outputCol: "features" });
  const lr = new LogisticRegression({ labelCol: "label", regParam: 0, tol: 1e-12, maxIter: 50 });
  before(async () => {
    spark = await Session.builder().appName("retained-copies").create();
    scans = countScans(spark);
    const r = rng(11);
    // 3,001 rows; the label depends on the features (so the fit has something to find).
    const rows = Array.from({ length: 3001 }, () => {
      const a = 2 * r() - 1, b = r(), c = 10 * r();
      return { a, b, c, label: r() < 1 / (1 + Math.exp(-(a - b + 0.1 * c - 0.5))) ? 1 : 0, y: 1 + a - 2 * b + 0.3 * c + (r() - 0.5), w: 0.5 + r() };
    });
    raw = spark.createDataFrame(rows, "a DOUBLE, b DOUBLE, c DOUBLE, label DOUBLE, y DOUBLE, w DOUBLE");
  });
  after(async () => { await spark.stop(); });

  it("a second fit on the same cached frame reads no rows from the engine and gives exactly the first fit's model", async () => {
    const cached = raw.select("*").cache();
    const df = assembler.transform(cached);
    const before = scans.count;
    const m1 = await lr.fit(df);
    assert.equal(scans.count, before + 1, "the first fit copies the columns once");
    assert.equal(retainedCopies(spark).length, 1);
    const m2 = await lr.fit(df);
    assert.equal(scans.count, before + 1, "the second fit reuses the copy");
    bits(m2.coefficients, m1.coefficients, "coefficients"); bits([m2.intercept], [m1.intercept], "intercept");
    bits([...m2.summary!.objectiveHistory], [...m1.summary!.objectiveHistory], "objective history");
    assert.equal(m2.summary!.accuracy, m1.summary!.accuracy);
    assert.equal(m2.summary!.areaUnderROC, m1.summary!.areaUnderROC);
    // A sweep over regularization on the same copy: still no scan.
    const m3 = await lr.copy({ regParam: 0.1 }).fit(df);
    assert.equal(scans.count, before + 1);
    assert.ok(Math.abs(m3.coefficients[0]) < Math.abs(m1.coefficients[0]), "the L2 term shrinks the coefficient");
    // Another estimator with a different label is a different copy; its repeat fit reuses it.
    const lin = new LinearRegression({ labelCol: "y", weightCol: "w", solver: "normal" });
    const l1 = await lin.fit(df);
    assert.equal(scans.count, before + 2);
    const l2 = await lin.fit(df);
    assert.equal(scans.count, before + 2);
    bits(l2.coefficients, l1.coefficients, "linear coefficients"); bits(l2.summary!.coefficientStandardErrors, l1.summary!.coefficientStandardErrors, "standard errors");
    assert.equal(l2.summary!.r2, l1.summary!.r2);
    // Centered copies (k-means, Gaussian mixture): the same model again, k-means bounds starting over.
    const km = new KMeans({ k: 3, seed: 5, maxIter: 15, tol: 0 });
    const k1 = await km.fit(df), k2 = await km.fit(df);
    k1.clusterCenters.forEach((c, j) => bits(k2.clusterCenters[j], c, `centre ${j}`));
    assert.equal(k2.summary!.trainingCost, k1.summary!.trainingCost);
    const gm = new GaussianMixture({ k: 2, seed: 3, maxIter: 5, tol: 0 });
    const g1 = await gm.fit(df), g2 = await gm.fit(df);
    assert.equal(g2.summary!.logLikelihood, g1.summary!.logLikelihood);
    bits(g2.weights, g1.weights, "mixture weights");
    // The logistic copy survived the loads placed around it.
    const m4 = await lr.fit(df);
    bits(m4.coefficients, m1.coefficients, "coefficients after other fits");
    // Three copies: k-means and the mixture read the same centered columns.
    assert.equal(retainedCopies(spark).length, 3);
    await cached.unpersist();
  });

  it("unpersist drops the copies of that frame; caching it again copies again", async () => {
    const cached = raw.select("*").cache();
    const df = assembler.transform(cached);
    const m1 = await lr.fit(df);
    assert.equal(retainedCopies(spark).length, 1);
    await cached.unpersist();
    assert.deepEqual(retainedCopies(spark), []);
    const before = scans.count;
    const m2 = await lr.fit(df); // not cached any more: reads the rows, keeps nothing
    assert.equal(scans.count, before + 1);
    assert.deepEqual(retainedCopies(spark), []);
    bits(m2.coefficients, m1.coefficients, "coefficients");
    cached.cache();
    await lr.fit(df);
    assert.equal(scans.count, before + 2);
    assert.equal(retainedCopies(spark).length, 1);
    await spark.catalog.clearCache();
    assert.deepEqual(retainedCopies(spark), []);
  });

  it("other columns, a filter on the cached frame, or an uncached frame do not reuse the copy", async () => {
    const cached = raw.select("*").cache();
    const df = assembler.transform(cached);
    const m1 = await lr.fit(df);
    let before = scans.count;
    // Two of the three columns: another copy.
    const m2 = await lr.fit(new VectorAssembler({ inputCols: ["a", "b"], outputCol: "features" }).transform(cached));
    assert.equal(scans.count, before + 1);
    assert.equal(m2.coefficients.length, 2);
    assert.equal(retainedCopies(spark).length, 2);
    // A filter on the cached frame reads the filtered rows and keeps nothing.
    before = scans.count;
    const m3 = await lr.fit(assembler.transform(cached.filter(F.col("a").gt(0))));
    assert.equal(scans.count, before + 1);
    assert.equal(retainedCopies(spark).length, 2);
    assert.notDeepEqual(m3.coefficients, m1.coefficients);
    // The same rows, uncached: read every time.
    const m4 = await lr.fit(assembler.transform(raw));
    const m5 = await lr.fit(assembler.transform(raw));
    assert.equal(scans.count, before + 3);
    bits(m4.coefficients, m1.coefficients, "uncached coefficients"); bits(m5.coefficients, m1.coefficients, "uncached coefficients again");
    // A label of the same name defined differently above the cached frame: another copy.
    const flip = new LogisticRegression({ labelCol: "lab", regParam: 0, tol: 1e-12, maxIter: 50 });
    const f1 = await flip.fit(assembler.transform(cached.withColumn("lab", F.col("label"))));
    const f2 = await flip.fit(assembler.transform(cached.withColumn("lab", F.lit(1).minus(F.col("label")))));
    assert.ok(Math.abs(f1.coefficients[0] + f2.coefficients[0]) < 1e-6 * Math.abs(f1.coefficients[0]), "the flipped label flips the coefficients");
    assert.equal(scans.count, before + 5);
    before = scans.count;
    // A random feature is read again on every fit, even from a cached frame.
    const noisy = cached.withColumn("features", F.array(F.col("a"), F.col("b"), F.rand()));
    await lr.fit(noisy);
    await lr.fit(noisy);
    assert.equal(scans.count, before + 2);
    await cached.unpersist();
    assert.deepEqual(retainedCopies(spark), []);
  });

  it("the memory budget evicts the least recently used copy", async () => {
    const frames = [0, 1, 2].map(() => raw.select("*").cache());
    const cols = { featuresCol: "features", labelCol: "label", weightCol: null };
    const bytes = 3001 * 8 * 4; // three features and the label
    const load = async (i: number, budgetBytes: number): Promise<void> => {
      const { provider } = await KernelStatsProvider.create(assembler.transform(frames[i]), cols, { center: false, normalize: false, budgetBytes });
      await provider.close();
    };
    const tables = () => retainedCopies(spark).map((c) => JSON.parse(c.key).table as string);
    await load(0, 2 * bytes); await load(1, 2 * bytes);
    const [t0, t1] = tables();
    assert.equal(retainedCopies(spark).length, 2);
    const before = scans.count;
    await load(0, 2 * bytes); // a hit: frame 0 becomes the most recently used
    assert.equal(scans.count, before);
    assert.deepEqual(tables(), [t1, t0]);
    await load(2, 2 * bytes); // room for two: frame 1 goes
    assert.equal(scans.count, before + 1);
    assert.equal(tables().length, 2);
    assert.ok(!tables().includes(t1) && tables()[0] === t0);
    await load(1, bytes); // room for one: only frame 1's new copy stays
    assert.equal(tables().length, 1);
    assert.equal(retainedCopies(spark)[0].bytes, bytes);
    // Data beyond the budget streams through the pool's memory: the kept copies make way.
    const streamed = (await KernelStatsProvider.create(assembler.transform(frames[2]), cols, { center: false, normalize: false, budgetBytes: 1024, streamRows: 500 })).provider;
    assert.equal(streamed.mode, "stream");
    await streamed.close();
    assert.deepEqual(retainedCopies(spark), []);
    // Frame 0 was evicted: its next fit reads the rows again, with the same model.
    const m1 = await lr.fit(assembler.transform(frames[0]));
    const m2 = await lr.fit(assembler.transform(frames[0]));
    bits(m2.coefficients, m1.coefficients, "coefficients");
    for (const f of frames) await f.unpersist();
    assert.deepEqual(retainedCopies(spark), []);
  });

  it("a stopped session keeps no copies", async () => {
    const s = await Session.builder().appName("retained-copies-stop").create();
    const r = rng(5);
    const rows = Array.from({ length: 50 }, () => ({ a: r(), b: r(), c: r(), label: r() }));
    const df = assembler.transform(s.createDataFrame(rows, "a DOUBLE, b DOUBLE, c DOUBLE, label DOUBLE").cache());
    await new LinearRegression({ labelCol: "label" }).fit(df);
    assert.equal(retainedCopies(s).length, 1);
    await s.stop();
    assert.deepEqual(retainedCopies(s), []);
  });
});

describe("kernel pool: kept data", () => {
  it("survives later loads placed around it and gives the same sums when made current again", async () => {
    const pool = new KernelPool({ workers: 2, chunkRows: 64 });
    try {
      const r = rng(3);
      const a = Array.from({ length: 3 }, () => Float64Array.from({ length: 501 }, () => r() - 0.5));
      const ya = Float64Array.from({ length: 501 }, () => (r() < 0.5 ? 0 : 1));
      await pool.loadColumns(a, null, ya);
      const first = await pool.logisticStats([0.5, -1, 2], 0.1);
      const handle = pool.keep();
      assert.equal(pool.keptBytes > 3 * 501 * 8, true);
      // Smaller and larger data after it, a streamed pass, and k-means bounds.
      await pool.loadColumns([Float64Array.from({ length: 40 }, () => r())]);
      await pool.kmeansStats([[0.2], [0.8]]);
      await pool.loadColumns(Array.from({ length: 5 }, () => Float64Array.from({ length: 2000 }, () => r())), null, Float64Array.from({ length: 2000 }, () => 1));
      await pool.logisticStats([1, 1, 1, 1, 1], 0);
      await pool.loadChunks(async function* () { yield [Float64Array.from({ length: 700 }, () => r())]; }, { d: 1, bufferRows: 256 });
      await pool.gram();
      const views = await pool.activate(handle);
      assert.equal(views.rows, 501);
      assert.deepEqual(Array.from(views.columns[1]), Array.from(a[1]));
      const again = await pool.logisticStats([0.5, -1, 2], 0.1);
      assert.deepEqual(Array.from(again.gradient), Array.from(first.gradient));
      assert.equal(again.loss, first.loss);
      pool.discard(handle);
      assert.equal(pool.keptBytes, 0);
      await assert.rejects(pool.activate(handle), /no kept data with handle/);
    } finally {
      await pool.close();
    }
  });
});
