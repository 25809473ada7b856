/**
 * Training statistics from WebAssembly SIMD kernels on worker threads: the training columns are
 * copied once out of the embedded engine into shared wasm memory, then every pass runs on all
 * cores without going back to the engine. Data beyond the memory budget stays with the
 * SqlStatsProvider (the engine streams and spills it).
 */
import os from "node:os";
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { Column } from "../../api/column.js";
import { KernelPool } from "../kernels/index.js";
import { prng } from "../common.js";
import type { BatchSpec, GlmStats, GmmPrecomputed, GmmStats, GramStats, KMeansStats, StatsProvider, SummaryStats, TrainingColumns } from "./provider.js";
import { SqlStatsProvider } from "./sql-provider.js";

/** Bytes of training data the kernels take in memory by default: a quarter of RAM, at most 3 GiB (wasm32). */
export function defaultKernelBudget(): number { return Math.min(os.totalmem() / 4, 3 * 2 ** 30); }

function column(table: { getChild(name: string): { toArray(): ArrayLike<unknown>; nullCount: number; length: number; get(i: number): unknown } | null }, name: string): { values: Float64Array; nulls: Uint8Array | null } {
  const c = table.getChild(name)!;
  const arr = c.toArray();
  const values = arr instanceof Float64Array ? arr : Float64Array.from(arr as ArrayLike<number>, (v) => (v === null ? NaN : Number(v)));
  let nulls: Uint8Array | null = null;
  if (c.nullCount > 0) {
    nulls = new Uint8Array(c.length);
    for (let i = 0; i < c.length; i++) if (c.get(i) === null) nulls[i] = 1;
  }
  return { values, nulls };
}

export class KernelStatsProvider implements StatsProvider {
  readonly name = "kernel";
  private sql: SqlStatsProvider | null = null;
  private gramCache: GramStats | null = null;
  private readonly weightSum: number;

  private constructor(
    readonly d: number,
    private readonly pool: KernelPool,
    private readonly x: Float64Array[],
    private readonly y: Float64Array | null,
    private readonly w: Float64Array | null,
    private readonly invalid: number,
    private readonly nullLabels: number,
    readonly shift: Float64Array | null,
    private readonly makeSql: () => Promise<SqlStatsProvider>,
  ) {
    this.weightSum = w ? w.reduce((a, b) => a + b, 0) : (x[0]?.length ?? 0);
  }

  /**
   * Copies the training columns into the kernels' memory. Returns null when the data is larger
   * than `budgetBytes`, so the caller falls back to the engine.
   */
  static async create(df: DataFrame, cols: TrainingColumns, d: number, opts: { center: boolean; normalize: boolean; budgetBytes?: number; rows?: number }): Promise<KernelStatsProvider | null> {
    const budget = opts.budgetBytes ?? defaultKernelBudget();
    const n = opts.rows ?? await df.count();
    const perRow = 8 * (d + (cols.labelCol ? 1 : 0) + (cols.weightCol ? 1 : 0));
    if (n * perRow > budget) return null;
    const f = F.col(cols.featuresCol);
    let xs: Column[] = Array.from({ length: d }, (_, i) => f.getItem(i).cast("double"));
    if (opts.normalize) {
      const norm = F.sqrt(xs.map((x) => x.multiply(x)).reduce((a, b) => a.plus(b)));
      xs = xs.map((x) => x.divide(norm));
    }
    const items = xs.map((x, i) => x.alias(`x${i}`));
    if (cols.labelCol) items.push(F.col(cols.labelCol).cast("double").alias("y"));
    if (cols.weightCol) items.push(F.col(cols.weightCol).cast("double").alias("w"));
    const table = await df.select(...items).toArrow();
    if (table.numRows !== n) throw new Error(`KernelStatsProvider: expected ${n} rows, the engine returned ${table.numRows}.`);
    const x: Float64Array[] = [];
    const bad = new Uint8Array(n);
    for (let i = 0; i < d; i++) {
      const c = column(table as never, `x${i}`);
      if (c.nulls) for (let r = 0; r < n; r++) if (c.nulls[r]) bad[r] = 1;
      for (let r = 0; r < n; r++) if (!Number.isFinite(c.values[r])) bad[r] = 1;
      x.push(c.values);
    }
    let invalid = 0;
    for (let r = 0; r < n; r++) invalid += bad[r];
    let y: Float64Array | null = null, nullLabels = 0;
    if (cols.labelCol) {
      const c = column(table as never, "y");
      y = c.values;
      if (c.nulls) for (let r = 0; r < n; r++) nullLabels += c.nulls[r];
    }
    const w = cols.weightCol ? column(table as never, "w").values : null;
    let shift: Float64Array | null = null;
    if (opts.center && invalid === 0) {
      // Subtract the column means (unweighted, as the engine-side provider does) so second
      // moments keep their precision.
      shift = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        const col = x[i];
        let s = 0;
        for (let r = 0; r < n; r++) s += col[r];
        const m = s / n;
        shift[i] = m;
        const copy = new Float64Array(n);
        for (let r = 0; r < n; r++) copy[r] = col[r] - m;
        x[i] = copy;
      }
    }
    const pool = new KernelPool();
    if (invalid === 0 && nullLabels === 0) await pool.loadColumns(x, w, y);
    return new KernelStatsProvider(d, pool, x, y, w, invalid, nullLabels, shift, () => SqlStatsProvider.create(df, cols, d, opts));
  }

  private async fallback(): Promise<SqlStatsProvider> {
    if (!this.sql) this.sql = await this.makeSql();
    return this.sql;
  }

  async summary(): Promise<SummaryStats> {
    const { d, x, y, w } = this;
    const n = x[0]?.length ?? 0;
    let sw = 0, sww = 0, sy = 0, syy = 0;
    const mean = new Float64Array(d), variance = new Float64Array(d), min = new Float64Array(d).fill(Infinity), max = new Float64Array(d).fill(-Infinity);
    const labels = y ? new Map<number, number>() : null;
    for (let r = 0; r < n; r++) {
      const wr = w ? w[r] : 1;
      sw += wr; sww += wr * wr;
      if (y && !Number.isNaN(y[r])) { sy += wr * y[r]; syy += wr * y[r] * y[r]; labels!.set(y[r], (labels!.get(y[r]) ?? 0) + wr); }
    }
    const denom = sw - sww / sw;
    for (let i = 0; i < d; i++) {
      const col = x[i];
      let s = 0, q = 0, lo = Infinity, hi = -Infinity;
      for (let r = 0; r < n; r++) { const v = col[r], wr = w ? w[r] : 1; s += wr * v; q += wr * v * v; if (v < lo) lo = v; if (v > hi) hi = v; }
      const sh = this.shift ? this.shift[i] : 0;
      mean[i] = s / sw + sh;
      const m = s / sw;
      variance[i] = denom > 0 ? Math.max(0, (q - sw * m * m) / denom) : 0;
      min[i] = lo + sh; max[i] = hi + sh;
    }
    const labelMean = sy / sw, ym2 = Math.max(0, syy - sw * labelMean * labelMean);
    return { count: n, weightSum: sw, mean, variance, min, max, invalidRows: this.invalid, labels, nullLabels: this.nullLabels, labelMean, labelVariance: denom > 0 ? ym2 / denom : 0, labelVariancePop: ym2 / sw };
  }

  async gmm(p: GmmPrecomputed): Promise<GmmStats> {
    const { k, d } = p;
    const s = await this.pool.gmmStats({ weights: p.raw.weights, means: p.raw.means.map((m) => Float64Array.from(m)), covariances: p.raw.covs.map((c) => Float64Array.from(c.flat())) });
    const sumRX = new Float64Array(k * d), sumRXX = new Float64Array(k * d * d);
    for (let j = 0; j < k; j++) { sumRX.set(s.sumX[j], j * d); sumRXX.set(s.sumXX[j], j * d * d); }
    return { weightSum: this.weightSum, logLik: s.logLikelihood, sumR: s.sumResp, sumRX, sumRXX };
  }

  async kmeans(centers: readonly (readonly number[])[]): Promise<KMeansStats> {
    const s = await this.pool.kmeansStats(centers);
    const d = this.d;
    const sums = new Float64Array(centers.length * d);
    s.sums.forEach((v, j) => sums.set(v, j * d));
    return { counts: s.counts, sums, cost: s.cost };
  }

  async binomial(beta: Float64Array, intercept: number, batch: BatchSpec | null): Promise<GlmStats> {
    if (batch) return (await this.fallback()).binomial(beta, intercept, batch);
    const s = await this.pool.logisticStats(beta, intercept);
    const grad = new Float64Array(this.d + 1);
    grad.set(s.gradient, 0);
    grad[this.d] = s.interceptGradient;
    return { weightSum: s.weightSum, loss: s.loss, grad };
  }

  async multinomial(beta: Float64Array, intercepts: Float64Array, batch: BatchSpec | null): Promise<GlmStats> {
    if (batch) return (await this.fallback()).multinomial(beta, intercepts, batch);
    const K = intercepts.length, d = this.d;
    const s = await this.pool.multinomialStats(Array.from({ length: K }, (_, c) => beta.subarray(c * d, (c + 1) * d)), intercepts);
    const grad = new Float64Array(K * d + K);
    s.gradient.forEach((g, c) => grad.set(g, c * d));
    grad.set(s.interceptGradient, K * d);
    return { weightSum: s.weightSum, loss: s.loss, grad };
  }

  async squared(beta: Float64Array, intercept: number, batch: BatchSpec | null): Promise<GlmStats> {
    return (await this.fallback()).squared(beta, intercept, batch);
  }

  async gram(): Promise<GramStats> {
    if (!this.gramCache) {
      const g = await this.pool.gram();
      this.gramCache = { weightSum: g.weightSum, count: this.x[0].length, sumX: g.sumX, sumY: g.sumY, sumYY: g.sumYY, xtx: g.xtx, xty: g.xty };
    }
    return this.gramCache;
  }

  async sample(n: number, seed: number): Promise<number[][]> {
    const total = this.x[0].length;
    const rand = prng(seed);
    const take = Math.min(n, total);
    const idx: number[] = [];
    if (take === total) for (let i = 0; i < total; i++) idx.push(i);
    else {
      const seen = new Set<number>();
      while (seen.size < take) seen.add(Math.floor(rand() * total));
      idx.push(...seen);
    }
    return idx.map((r) => this.x.map((c) => c[r]));
  }

  localColumns(): { x: readonly Float64Array[]; y: Float64Array | null; w: Float64Array | null } { return { x: this.x, y: this.y, w: this.w }; }

  async close(): Promise<void> {
    await this.pool.close();
    if (this.sql) await this.sql.close();
  }
}
