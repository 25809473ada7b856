/**
 * How the kernel provider gets its columns out of the embedded engine: through a
 * VectorAssembler's inputs (no list column, no vector-length pass) or from the vector column
 * itself. Both give bit-identical statistics; null and NaN inputs still meet the assembler's
 * handleInvalid; fits on one session share a kernel pool and give the same models.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Session, F, type DataFrame } from "quarry";
import { VectorAssembler, KernelStatsProvider, LogisticRegression, GaussianMixture, KMeans, LinearRegression, gmmPrecompute, StringIndexer, OneHotEncoder, StandardScaler, StandardScalerModel } from "quarry/ml";
import { KernelPool } from "#ml-kernels";

const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < b.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

function rng(seed: number): () => number {
  let s = seed;
  return () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
}

describe("kernel provider: columns from the engine", () => {
  let spark: Session;
  let raw: DataFrame;
  const assembler = new VectorAssembler({ inputCols: ["a", "b", "c", "i"], outputCol: "features" });
  const cols = { featuresCol: "features", labelCol: "label", weightCol: "w" };
  before(async () => {
    spark = await Session.builder().appName("engine-columns").create();
    const r = rng(7);
    // 2,003 rows, an integer input among the doubles, a label and weights.
    const rows = Array.from({ length: 2003 }, (_, k) => ({ a: 3 * r() - 1, b: (k % 3) + r(), c: 100 + 10 * r(), i: k % 7, label: k % 2, w: 0.5 + r() }));
    raw = spark.createDataFrame(rows, "a DOUBLE, b DOUBLE, c DOUBLE, i INT, label DOUBLE, w DOUBLE");
  });
  after(async () => { await spark.stop(); });

  it("reads an assembler's inputs directly and gives bit-identical statistics to the vector column", async () => {
    const assembled = assembler.transform(raw);
    // A projection on top hides the assembler: the provider then reads features[i].
    const viaVector = assembled.select("features", "label", "w");
    const a = await KernelStatsProvider.create(assembled, cols, { center: true, normalize: false });
    const sa = await a.provider.summary();
    const s1 = { summary: sa, gmm: null as unknown, kmeans: await a.provider.kmeans([[0, 0, 0, 0], [1, 1, 100, 3]]), bin: await a.provider.binomial(Float64Array.from([0.1, -0.2, 0.01, 0.3]), 0.5, null), gram: await a.provider.gram() };
    const pre = gmmPrecompute([0.4, 0.6], [[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0.1, 0], [0, 0, 0, 0.5]], [[2, 0, 0, 0], [0.1, 1, 0, 0], [0, 0, 0.2, 0], [0, 0, 0, 1]]],
      [[0, 0, 0, 0], [1, 1, 1, 1]], [0, 0], [[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 100, 0], [0, 0, 0, 4]], [[0.25, -0.025, 0, 0], [-0.025, 1.0025, 0, 0], [0, 0, 25, 0], [0, 0, 0, 1]]]);
    const g1 = await a.provider.gmm(pre), h1 = await a.provider.gmmHardCounts!(pre);
    assert.equal(a.provider.direct, true);
    assert.equal(a.d, 4); assert.equal(a.n, 2003);
    await a.provider.close();
    const b = await KernelStatsProvider.create(viaVector, cols, { center: true, normalize: false });
    assert.equal(b.provider.direct, false);
    const sb = await b.provider.summary();
    same(sb.mean, sa.mean, "mean"); same(sb.variance, sa.variance, "variance"); same(sb.min, sa.min, "min"); same(sb.max, sa.max, "max");
    same(b.provider.shift!, a.provider.shift!, "shift");
    assert.deepEqual([...sb.labels!], [...sa.labels!]);
    const k2 = await b.provider.kmeans([[0, 0, 0, 0], [1, 1, 100, 3]]);
    same(k2.counts, s1.kmeans.counts, "k-means counts"); same(k2.sums, s1.kmeans.sums, "k-means sums"); same([k2.cost], [s1.kmeans.cost], "k-means cost");
    const b2 = await b.provider.binomial(Float64Array.from([0.1, -0.2, 0.01, 0.3]), 0.5, null);
    same(b2.grad, s1.bin.grad, "logistic gradient"); same([b2.loss], [s1.bin.loss], "logistic loss");
    const gr = await b.provider.gram();
    same(gr.xtx, s1.gram.xtx, "X'WX"); same(gr.xty, s1.gram.xty, "X'Wy");
    const g2 = await b.provider.gmm(pre);
    same(g2.sumRXX, g1.sumRXX, "GMM Σrxxᵀ"); same([g2.logLik], [g1.logLik], "GMM log-likelihood");
    assert.deepEqual(await b.provider.gmmHardCounts!(pre), h1);
    await b.provider.close();
    void s1.gmm;
  });

  it("data beyond the memory budget streams from the engine on every pass, with the same statistics", async () => {
    const df = assembler.transform(raw);
    const resident = (await KernelStatsProvider.create(df, cols, { center: true, normalize: false })).provider;
    const streamed = (await KernelStatsProvider.create(df, cols, { center: true, normalize: false, budgetBytes: 1024, streamRows: 300 })).provider;
    try {
      assert.equal(resident.mode, "resident");
      assert.equal(streamed.mode, "stream");
      assert.equal(streamed.localColumns(), null);
      const near = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
        let scale = 0;
        for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
        for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-12 * scale, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
      };
      const [s1, s2] = [await resident.summary(), await streamed.summary()];
      near(s2.mean, s1.mean, "mean"); near(s2.variance, s1.variance, "variance");
      near(streamed.shift!, resident.shift!, "shift");
      assert.equal(s2.count, 2003);
      const pre = gmmPrecompute([0.5, 0.5], [[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0.1, 0], [0, 0, 0, 0.5]], [[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0.2, 0], [0, 0, 0, 1]]],
        [[0, 0, 0, 0], [1, 1, 1, 1]], [0, 0], [[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 100, 0], [0, 0, 0, 4]], [[0.25, 0, 0, 0], [0, 1, 0, 0], [0, 0, 25, 0], [0, 0, 0, 1]]]);
      const [g1, g2] = [await resident.gmm(pre), await streamed.gmm(pre)];
      near([g2.logLik, g2.weightSum], [g1.logLik, g1.weightSum], "GMM log-likelihood"); near(g2.sumRXX, g1.sumRXX, "GMM Σrxxᵀ");
      assert.deepEqual(await streamed.gmmHardCounts!(pre), await resident.gmmHardCounts!(pre));
      const [b1, b2] = [await resident.binomial(Float64Array.from([0.1, -0.2, 0.01, 0.3]), 0.5, null), await streamed.binomial(Float64Array.from([0.1, -0.2, 0.01, 0.3]), 0.5, null)];
      near(b2.grad, b1.grad, "logistic gradient"); near([b2.loss], [b1.loss], "logistic loss");
      const [k1, k2] = [await resident.kmeans([[0, 0, 0, 0], [1, 1, 1, 1]]), await streamed.kmeans([[0, 0, 0, 0], [1, 1, 1, 1]])];
      near(k2.counts, k1.counts, "k-means weights"); near(k2.sums, k1.sums, "k-means sums");
      near((await streamed.gram()).xtx, (await resident.gram()).xtx, "X'WX");
      assert.equal((await streamed.sample(10, 1)).length, 10);
    } finally {
      await resident.close(); await streamed.close();
    }
  });

  it("cosine k-means normalizes the same way on both paths", async () => {
    const assembled = assembler.transform(raw);
    const fit = (df: DataFrame) => new KMeans({ k: 3, seed: 5, distanceMeasure: "cosine", maxIter: 5 }).fit(df);
    const [m1, m2] = [await fit(assembled), await fit(assembled.select("features"))];
    m1.clusterCenters.forEach((c, j) => same(c, m2.clusterCenters[j], `centre ${j}`));
  });

  it("null and NaN inputs still meet the assembler's handleInvalid", async () => {
    const withBad = raw.withColumn("b", F.when(F.col("i").eq(3).and(F.col("c").gt(105)), F.lit(null)).otherwise(F.col("b")));
    // "error" (default): the assembler's own message names the column.
    await assert.rejects(new LogisticRegression({ weightCol: "w" }).fit(assembler.transform(withBad)), /VectorAssembler: the input column `b` is null/);
    // "keep": NaN features, which the estimator refuses by count.
    await assert.rejects(new LogisticRegression({ weightCol: "w" }).fit(assembler.copy({ handleInvalid: "keep" }).transform(withBad)), (e: Error) => /rows have null, NaN or infinite features/.test(e.message));
    // "skip": the same model as on the rows without nulls.
    const skipped = await new LogisticRegression({ weightCol: "w" }).fit(assembler.copy({ handleInvalid: "skip" }).transform(withBad));
    const clean = await new LogisticRegression({ weightCol: "w" }).fit(assembler.transform(withBad.na.drop()));
    same(skipped.coefficients, clean.coefficients, "coefficients");
  });

  it("fits through a whole feature pipeline (StringIndexer, OneHotEncoder, VectorAssembler, StandardScaler) give the statistics and models of its materialized features", async () => {
    const cat = raw.withColumn("cat", F.when(F.col("i").lt(3), "low").when(F.col("i").lt(5), "mid").otherwise("high"));
    const si = await new StringIndexer({ inputCol: "cat", outputCol: "cat_index" }).fit(cat);
    const ohe = await new OneHotEncoder({ inputCols: ["cat_index"], outputCols: ["cat_vec"] }).fit(si.transform(cat));
    const va = new VectorAssembler({ inputCols: ["a", "b", "c", "cat_vec"], outputCol: "raw", inputSizes: { cat_vec: 2 } });
    const assembled = va.transform(ohe.transform(si.transform(cat)));
    const scaler = await new StandardScaler({ inputCol: "raw", outputCol: "features", withMean: true }).fit(assembled);
    const piped = scaler.transform(assembled);
    // The same frame materialized: the provider must read the vector column there.
    const materialized = piped.select("features", "label", "w").cache();
    const a = await KernelStatsProvider.create(piped, cols, { center: false, normalize: false });
    const b = await KernelStatsProvider.create(materialized, cols, { center: false, normalize: false });
    try {
      assert.equal(b.provider.direct, false);
      assert.equal(a.d, 5);
      const [sa, sb] = [await a.provider.summary(), await b.provider.summary()];
      same(sa.mean, sb.mean, "mean"); same(sa.variance, sb.variance, "variance");
      const beta = Float64Array.from([0.3, -0.2, 0.1, 0.5, -0.4]);
      const [ga, gb] = [await a.provider.binomial(beta, 0.2, null), await b.provider.binomial(beta, 0.2, null)];
      same(ga.grad, gb.grad, "logistic gradient"); same([ga.loss], [gb.loss], "logistic loss");
    } finally {
      await a.provider.close(); await b.provider.close();
    }
    // The scaler's own statistics, on the pipeline and on a materialized copy.
    const viaCopy = await new StandardScaler({ inputCol: "raw", outputCol: "features", withMean: true }).fit(assembled.select("raw").cache());
    same(scaler.mean, viaCopy.mean, "scaler mean"); same(scaler.std, viaCopy.std, "scaler std");
    const m1 = await new LogisticRegression({ maxIter: 30 }).fit(piped);
    const m2 = await new LogisticRegression({ maxIter: 30 }).fit(materialized);
    same(m1.coefficients, m2.coefficients, "coefficients"); same([m1.intercept], [m2.intercept], "intercept");
    await materialized.unpersist();
  });

  it("a fit through a pipeline raises the stages' errors for invalid rows", async () => {
    // The encoder learns 3 categories; a row with index 5 meets handleInvalid "error" in the fit.
    const idx = raw.withColumn("k", F.col("i").mod(3).cast("double"));
    const ohe = await new OneHotEncoder({ inputCols: ["k"], outputCols: ["k_vec"] }).fit(idx);
    const bad = raw.withColumn("k", F.when(F.col("i").eq(6), 5).otherwise(F.col("i").mod(3)).cast("double"));
    const df = new VectorAssembler({ inputCols: ["a", "k_vec"], outputCol: "features", inputSizes: { k_vec: 2 } }).transform(ohe.transform(bad));
    await assert.rejects(() => new LogisticRegression({ maxIter: 5 }).fit(df), /OneHotEncoderModel: the input column `k` has a value that is not a category index/);
    await assert.rejects(() => new StandardScaler({ inputCol: "features", outputCol: "s" }).fit(df), /OneHotEncoderModel: the input column `k` has a value that is not a category index/);
    // The assembler's null check, two steps below the scaler.
    const nulls = raw.withColumn("a", F.when(F.col("i").eq(2), F.lit(null)).otherwise(F.col("a")));
    const assembled = new VectorAssembler({ inputCols: ["a", "b"], outputCol: "raw" }).transform(nulls);
    const scaled = new StandardScalerModel({ inputCol: "raw", outputCol: "features" }, [0, 0], [1, 1]).transform(assembled);
    await assert.rejects(() => new LogisticRegression({ maxIter: 5 }).fit(scaled), /VectorAssembler: the input column `a` is null/);
  });

  it("a vector column is checked row by row: its length read from one row, every other row of another length or null fails as the full check does", async () => {
    const vectors = (rows: (number[] | null)[]) => spark.createDataFrame(rows.map((v, k) => ({ features: v, label: k % 2 })), "features ARRAY<DOUBLE>, label DOUBLE");
    const good = Array.from({ length: 600 }, (_, k) => [k % 5, (k * 7) % 11, k / 600]);
    const kmeans = () => new KMeans({ k: 2, seed: 1, statsProvider: "kernel" });
    // The reference: the same rows through a VectorAssembler, read through its inputs (d known
    // from the plan, no probe): the probed vector column gives the same model.
    const scalars = spark.createDataFrame(good.map(([a, b, c], k) => ({ a, b, c, label: k % 2 })), "a DOUBLE, b DOUBLE, c DOUBLE, label DOUBLE");
    const ref = await kmeans().fit(new VectorAssembler({ inputCols: ["a", "b", "c"], outputCol: "features" }).transform(scalars));
    const m = await kmeans().fit(vectors(good));
    assert.deepEqual(m.clusterCenters, ref.clusterCenters);
    assert.equal(m.summary!.trainingCost, ref.summary!.trainingCost);
    // A longer vector far down (the probe sees the first row only), a shorter one, a null one.
    const longer = good.map((v, k) => (k === 512 ? [...v, 1] : v));
    await assert.rejects(kmeans().fit(vectors(longer)), /different lengths \(3 to 4\)/);
    const shorter = good.map((v, k) => (k === 599 ? v.slice(0, 2) : v));
    await assert.rejects(kmeans().fit(vectors(shorter)), /different lengths \(2 to 3\)/);
    const withNull = good.map((v, k) => (k === 300 ? null : v));
    await assert.rejects(kmeans().fit(vectors(withNull)), /has null vectors/);
    await assert.rejects(new LogisticRegression({ statsProvider: "kernel" }).fit(vectors(longer)), /different lengths/);
    // The first rows null: the probe reads the first non-null vector; the null rows still fail.
    await assert.rejects(kmeans().fit(vectors([null, ...good])), /has null vectors/);
    await assert.rejects(kmeans().fit(vectors(good.map(() => []))), /are empty/);
  });

  it("fits reuse the session's kernel pool, and concurrent fits get their own, with the same models", async () => {
    const df = assembler.transform(raw);
    const gmm = new GaussianMixture({ k: 2, seed: 3, maxIter: 5 });
    const lin = new LinearRegression({ labelCol: "c", featuresCol: "f2" });
    const df2 = new VectorAssembler({ inputCols: ["a", "b", "i"], outputCol: "f2" }).transform(raw);
    const first = await gmm.fit(df);
    const again = await gmm.fit(df);
    same(again.weights, first.weights, "weights on a reused pool");
    assert.deepEqual(again.summary!.clusterSizes, first.summary!.clusterSizes);
    const [c1, c2, c3] = await Promise.all([gmm.fit(df), lin.fit(df2), gmm.fit(df)]);
    same(c1.weights, first.weights, "concurrent fit 1"); same(c3.weights, first.weights, "concurrent fit 2");
    const seq = await lin.fit(df2);
    same(c2.coefficients, seq.coefficients, "linear regression beside the mixtures");
  });
});

describe("GMM hard assignment kernel", () => {
  it("counts rows by their most probable component, as a direct computation does", async () => {
    const r = rng(11);
    const n = 3001, d = 3, k = 3;
    const cols = Array.from({ length: d }, (_, j) => Float64Array.from({ length: n }, (_, i) => (i % k) * (j + 1) + 2 * (r() - 0.5)));
    const weights = [0.5, 0.3, 0.2];
    const means = [[0, 0, 0], [1, 2, 3], [2, 4, 6]];
    const covs = [[1, 0.2, 0, 0.2, 1, 0, 0, 0, 1], [0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5], [2, 0, 0.3, 0, 2, 0, 0.3, 0, 2]];
    // Reference: log w + log N(x) with the inverse and determinant by cofactors (3x3).
    const logDens = (x: number[], j: number): number => {
      const c = covs[j];
      const [a, b, cc, dd, e, f, g, h, i] = c;
      const det = a * (e * i - f * h) - b * (dd * i - f * g) + cc * (dd * h - e * g);
      const inv = [e * i - f * h, cc * h - b * i, b * f - cc * e, f * g - dd * i, a * i - cc * g, cc * dd - a * f, dd * h - e * g, b * g - a * h, a * e - b * dd].map((v) => v / det);
      const z = x.map((v, t) => v - means[j][t]);
      let q = 0;
      for (let s = 0; s < 3; s++) for (let t = 0; t < 3; t++) q += z[s] * inv[s * 3 + t] * z[t];
      return Math.log(weights[j]) - 0.5 * (3 * Math.log(2 * Math.PI) + Math.log(det) + q);
    };
    const want = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const x = cols.map((c) => c[i]);
      let best = 0;
      for (let j = 1; j < k; j++) if (logDens(x, j) > logDens(x, best)) best = j;
      want[best]++;
    }
    const pool = new KernelPool({ workers: 2, chunkRows: 512 });
    try {
      await pool.loadColumns(cols);
      const got = await pool.gmmHardCounts({ weights, means, covariances: covs });
      assert.deepEqual(Array.from(got), want);
      assert.equal(want.reduce((s, v) => s + v, 0), n);
    } finally {
      await pool.close();
    }
  });
});
