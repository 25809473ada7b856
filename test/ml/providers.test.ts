/**
 * The two statistics providers — one engine aggregate per pass, and WebAssembly kernels over an
 * in-memory copy — compute the same sufficient statistics (1e-9 relative) on the same data. The
 * kernels run on the embedded engine; the engine aggregate runs on every enabled backend, so on
 * Spark this checks the statistics computed on the cluster against the kernels.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Session, type DataFrame } from "quarry";
import { SqlStatsProvider, KernelStatsProvider, LogisticRegression, gmmPrecompute, type StatsProvider } from "quarry/ml";
import { BACKENDS } from "../conformance/harness.js";

function closeArrays(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) {
    const err = Math.abs(a[i] - b[i]) / Math.max(scale, 1e-300);
    assert.ok(err <= 1e-9, `${what}[${i}]: ${a[i]} vs ${b[i]} (relative ${err.toExponential(2)})`);
  }
}

for (const backend of BACKENDS.filter((b) => b.enabled)) describe(`SQL (on ${backend.name}) and kernel statistics providers agree`, () => {
  let spark: Session, embedded: Session;
  let sql: StatsProvider, kernel: StatsProvider;
  const d = 5;
  before(async () => {
    spark = await backend.newSession();
    embedded = await Session.builder().appName("providers").create();
    let s = 12345;
    const r = () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
    // 20,011 rows: not a multiple of any chunk size, weighted, three classes.
    const rows = Array.from({ length: 20011 }, (_, i) => {
      const x = Array.from({ length: d }, (_, j) => (i % 3) * (j + 1) + 3 * (r() - 0.5));
      return { features: x, label: i % 2, cls: i % 3, w: 0.5 + r() };
    });
    const frameIn = (session: Session): DataFrame => session.createDataFrame(rows, "features ARRAY<DOUBLE>, label DOUBLE, cls DOUBLE, w DOUBLE");
    const cols = { featuresCol: "features", labelCol: "label", weightCol: "w" };
    sql = await SqlStatsProvider.create(frameIn(spark), cols, d, { center: true });
    kernel = (await KernelStatsProvider.create(frameIn(embedded), cols, { center: true, normalize: false })).provider;
    assert.ok(kernel, "the data fits the kernels' budget");
  });
  after(async () => { await sql.close(); await kernel.close(); await spark.stop(); await embedded.stop(); });

  it("summary statistics", async () => {
    const [a, b] = await Promise.all([kernel.summary(), sql.summary()]);
    closeArrays(a.mean, b.mean, "mean"); closeArrays(a.variance, b.variance, "variance");
    closeArrays([a.weightSum, a.labelMean, a.labelVariance], [b.weightSum, b.labelMean, b.labelVariance], "label moments");
    assert.deepEqual([...a.labels!.entries()].sort(), [...b.labels!.entries()].map(([k, v]) => [k, v]).sort((x, y) => x[0] - y[0]).map(([k]) => [k, a.labels!.get(k)]));
  });

  it("Gaussian-mixture E-step statistics", async () => {
    const shift = sql.shift!;
    closeArrays(kernel.shift!, shift, "shift");
    const k = 3;
    const weights = [0.2, 0.5, 0.3];
    const means = Array.from({ length: k }, (_, j) => Array.from({ length: d }, (_, a) => j * (a + 1) - shift[a]));
    const A = Array.from({ length: k }, (_, j) => Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => (a === b ? 1 / (1 + j) : a > b ? 0.1 : 0))));
    // Covariance C Cᵀ with C = A⁻¹: build it numerically from A for the raw parameters.
    const inv = (m: number[][]) => { const n = m.length; const out = m.map(() => new Array<number>(n).fill(0)); for (let i = 0; i < n; i++) { out[i][i] = 1 / m[i][i]; for (let j = 0; j < i; j++) { let t = 0; for (let q = j; q < i; q++) t += m[i][q] * out[q][j]; out[i][j] = -t / m[i][i]; } } return out; };
    const covs = A.map((a) => { const c = inv(a); return c.map((row) => c.map((row2) => row.reduce((t, v, q) => t + v * row2[q], 0))); });
    const logDetHalf = A.map((a) => -a.reduce((t, row, i) => t + Math.log(row[i]), 0));
    const p = gmmPrecompute(weights, A, means, logDetHalf, covs);
    const [a, b] = await Promise.all([kernel.gmm(p), sql.gmm(p)]);
    closeArrays([a.logLik], [b.logLik], "log-likelihood");
    closeArrays(a.sumR, b.sumR, "Σr"); closeArrays(a.sumRX, b.sumRX, "Σrx"); closeArrays(a.sumRXX, b.sumRXX, "Σrxxᵀ");
  });

  it("k-means assignment statistics", async () => {
    const centers = [[0, 0, 0, 0, 0], [1, 2, 3, 4, 5], [-1, -2, -3, -4, -5]];
    const [a, b] = await Promise.all([kernel.kmeans(centers), sql.kmeans(centers)]);
    closeArrays(a.counts, b.counts, "counts"); closeArrays(a.sums, b.sums, "sums"); closeArrays([a.cost], [b.cost], "cost");
  });

  it("logistic loss and gradient (binomial and multinomial)", async () => {
    const beta = Float64Array.from([0.3, -0.2, 0.1, 0.05, -0.4]);
    const [a, b] = await Promise.all([kernel.binomial(beta, 0.2, null), sql.binomial(beta, 0.2, null)]);
    closeArrays([a.loss, a.weightSum], [b.loss, b.weightSum], "loss"); closeArrays(a.grad, b.grad, "gradient");
    const B = Float64Array.from([0.3, -0.2, 0.1, 0.05, -0.4, -0.1, 0.2, 0, 0.3, 0.1]);
    const [m1, m2] = await Promise.all([kernel.multinomial(B, Float64Array.from([0.1, -0.1]), null), sql.multinomial(B, Float64Array.from([0.1, -0.1]), null)]);
    closeArrays([m1.loss], [m2.loss], "softmax loss"); closeArrays(m1.grad, m2.grad, "softmax gradient");
  });

  it("the Gram matrix of the normal equations", async () => {
    const [a, b] = await Promise.all([kernel.gram(), sql.gram()]);
    closeArrays(a.xtx, b.xtx, "X'WX"); closeArrays(a.xty, b.xty, "X'Wy"); closeArrays(a.sumX, b.sumX, "Σwx");
    closeArrays([a.weightSum, a.sumY, a.sumYY], [b.weightSum, b.sumY, b.sumYY], "label sums");
  });
});

describe("LogisticRegression's training summary from the engine and from the kernels' columns", () => {
  it("merges a curve with more than 10,000 distinct scores the same way (the engine sends back only the curve)", async () => {
    const spark = await Session.builder().appName("providers-roc").create();
    try {
      let s = 7;
      const r = () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
      const rows = Array.from({ length: 25000 }, () => {
        const a = r() * 4 - 2, b = r() * 4 - 2;
        return { features: [a, b], label: r() < 1 / (1 + Math.exp(-(a - 0.5 * b))) ? 1 : 0 };
      });
      const df = spark.createDataFrame(rows, "features ARRAY<DOUBLE>, label DOUBLE");
      const [kernel, sql] = [(await new LogisticRegression({ statsProvider: "kernel" }).fit(df)).summary!, (await new LogisticRegression({ statsProvider: "sql" }).fit(df)).summary!];
      assert.equal(kernel.statsProvider, "kernel");
      assert.equal(sql.statsProvider, "sql");
      assert.ok(kernel.roc!.length > 5000 && kernel.roc!.length <= 10002, `a merged curve (${kernel.roc!.length} points)`);
      // The two fits agree to ~1e-12 (the providers' sums round differently), so the curves do too.
      const flat = (c: readonly Record<string, number>[]) => c.flatMap((pt) => Object.keys(pt).sort().map((k) => pt[k]));
      closeArrays(flat(sql.roc!), flat(kernel.roc!), "roc");
      closeArrays(flat(sql.pr!), flat(kernel.pr!), "pr");
      closeArrays([sql.areaUnderROC!], [kernel.areaUnderROC!], "areaUnderROC");
    } finally {
      await spark.stop();
    }
  });
});
