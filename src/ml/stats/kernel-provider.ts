/**
 * Training statistics from WebAssembly SIMD kernels on worker threads: the training columns are
 * streamed once out of the embedded engine, chunk by chunk, straight into the kernels' shared
 * wasm memory, then every pass runs on all cores without going back to the engine. Data beyond
 * the memory budget stays with the SqlStatsProvider (the engine streams and spills it).
 */
import os from "node:os";
import type { DataFrame } from "../../api/dataframe.js";
import type { Session } from "../../session/session.js";
import type { DuckDBBackend } from "../../backends/duckdb/duckdb-backend.js";
import { KernelPool, type ColumnChunk, type LinearMetricSums, type ResidentColumns } from "../kernels/index.js";
import { featureDimension, probeVectorLength, prng } from "../common.js";
import { shiftFor, type Centering } from "./provider.js";
import type { BatchSpec, GlmStats, GmmPrecomputed, GmmStats, GramStats, KMeansStats, StatsProvider, SummaryStats, TrainingColumns } from "./provider.js";
import { SqlStatsProvider } from "./sql-provider.js";
import { assembledColumns, exportFrame, vectorColumns, type EngineColumns } from "./engine-columns.js";
import { copyKey, RetainedCopies, type CopyFacts, type CopyKey, type RetainedCopy } from "./retained-copies.js";

/** Bytes of training data the kernels take in memory by default: a quarter of RAM, at most 3 GiB (wasm32). */
export function defaultKernelBudget(): number { return Math.min(os.totalmem() / 4, 3 * 2 ** 30); }

/**
 * One kernel pool per session, started on the first fit and reused by the next ones, so they
 * skip the workers' start and the first touch of fresh memory; it keeps its memory until the
 * session stops (its workers never keep the process alive), with the copies of cached frames'
 * columns it retains (see retained-copies.ts). A fit that starts while another holds the
 * session's pool gets a pool of its own, closed after the fit, that retains nothing.
 */
const sessionPools = new WeakMap<Session, { pool: KernelPool; busy: boolean; copies: RetainedCopies }>();

/** A pool for one fit, how to give it back, and the copies it retains (null for a pool of the fit's own). */
export function acquirePool(session: Session): { pool: KernelPool; release: () => Promise<void>; copies: RetainedCopies | null } {
  let slot = sessionPools.get(session);
  if (!slot || slot.pool.failed) {
    const pool = new KernelPool();
    const fresh = { pool, busy: false, copies: new RetainedCopies(pool) };
    sessionPools.set(session, fresh);
    session.onStop(async () => { fresh.copies.clear(); await pool.close(); });
    session.onUncache((plan) => fresh.copies.dropPlan(plan));
    slot = fresh;
  }
  if (slot.busy) {
    const own = new KernelPool();
    return { pool: own, release: () => own.close(), copies: null };
  }
  const held = slot;
  held.busy = true;
  return { pool: held.pool, release: async () => { held.busy = false; }, copies: held.copies };
}

/**
 * The copies of cached frames' training columns that the session's kernel pool retains, least
 * recently used first (for tests and diagnostics).
 * @internal
 */
export function retainedCopies(session: Session): { key: string; bytes: number }[] {
  return sessionPools.get(session)?.copies.list() ?? [];
}

/** The rows copied into the pool, with what was seen on the way. */
interface Loaded {
  readonly views: ResidentColumns;
  /** Rows with a null or non-finite feature. */
  readonly invalid: number;
  readonly nullLabels: number;
  /** Per feature column: Σx, Σx², min and max, accumulated in row order (as `columnStats`). */
  readonly stats: readonly [number, number, number, number][];
}

/**
 * Streams `frame` (x0..x{d-1}, then y and w when present, then with `sized` each row's vector
 * length; all DOUBLE) from the engine into the pool's memory. Null features and labels become
 * NaN. A row whose vector length is not d (or null) throws `badSize()`'s error.
 */
async function copyIntoPool(frame: DataFrame, pool: KernelPool, n: number, d: number, labeled: boolean, weighted: boolean, badSize: (() => Promise<never>) | null = null): Promise<Loaded> {
  const views = await pool.allocateColumns(n, d, { labeled, weighted });
  const backend = frame.session.backend as DuckDBBackend;
  const stats: [number, number, number, number][] = Array.from({ length: d }, () => [0, 0, Infinity, -Infinity]);
  let off = 0, nullLabels = 0, nullRows: Uint8Array | null = null;
  await frame.session.beforeAction();
  for await (const chunk of backend.scanDoubles(frame.plan, "fit()")) {
    const m = chunk.rows;
    if (off + m > n) throw new Error(`KernelStatsProvider: expected ${n} rows, the engine returned more; is the training frame non-deterministic (e.g. sample without a seed)?`);
    if (badSize) {
      const sizes = chunk.columns[chunk.columns.length - 1], valid = chunk.validity[chunk.columns.length - 1];
      for (let i = 0; i < m; i++) if (sizes[i] !== d || (valid && !(valid[i >> 3] & (1 << (i & 7))))) await badSize();
    }
    for (let j = 0; j < chunk.columns.length - (badSize ? 1 : 0); j++) {
      const src = chunk.columns[j], valid = chunk.validity[j];
      const dst = j < d ? views.columns[j] : j === d && labeled ? views.labels! : views.weights!;
      dst.set(src, off);
      if (valid) {
        for (let i = 0; i < m; i++) {
          if (valid[i >> 3] & (1 << (i & 7))) continue;
          dst[off + i] = NaN;
          if (j < d) (nullRows ??= new Uint8Array(n))[off + i] = 1;
          else if (j === d && labeled) nullLabels++;
        }
      }
      if (j < d) accumulate(stats[j], dst.subarray(off, off + m));
    }
    off += m;
  }
  if (off !== n) throw new Error(`KernelStatsProvider: expected ${n} rows, the engine returned ${off}; is the training frame non-deterministic (e.g. sample without a seed)?`);
  let invalid = 0;
  if (nullRows || !stats.every((t) => Number.isFinite(t[0]))) {
    // Rare: count the rows with a null or non-finite feature exactly.
    const bad = nullRows ?? new Uint8Array(n);
    views.columns.forEach((c, j) => { if (!Number.isFinite(stats[j][0]) || nullRows) for (let r = 0; r < n; r++) if (!Number.isFinite(c[r])) bad[r] = 1; });
    for (let r = 0; r < n; r++) invalid += bad[r];
  }
  return { views, invalid, nullLabels, stats };
}

/**
 * Adds a run of values to [Σx, Σx², min, max] in row order: chunk by chunk gives the same bits as
 * one pass. (The four locals are read one by one: array destructuring here made the loop twice
 * as slow, ~45 against ~20 ms per 1M x 8 values, measured on Node 20.)
 */
function accumulate(t: [number, number, number, number], col: Float64Array): void {
  let s = t[0], q = t[1], lo = t[2], hi = t[3];
  for (let r = 0; r < col.length; r++) { const v = col[r]; s += v; q += v * v; if (v < lo) lo = v; if (v > hi) hi = v; }
  t[0] = s; t[1] = q; t[2] = lo; t[3] = hi;
}

/**
 * The vector length of one non-null row and the row count, or null when that cannot stand for
 * the whole column (no rows, no non-null vector, empty vectors): the caller then runs the full
 * check (`featureDimension`) for its error.
 */
async function probeDimension(df: DataFrame, col: string): Promise<{ d: number; n: number } | null> {
  const n = await df.count();
  const d = n > 0 ? await probeVectorLength(df, col) : null;
  return d === null ? null : { d, n };
}

/** Σx, Σx², min, max of a column (sums in row order). */
function columnStats(col: Float64Array): [number, number, number, number] {
  const t: [number, number, number, number] = [0, 0, Infinity, -Infinity];
  accumulate(t, col);
  return t;
}

/** Σwx, Σwx², min, max of a column (sums in row order). */
function columnStatsWeighted(col: Float64Array, w: Float64Array): [number, number, number, number] {
  let s = 0, q = 0, lo = Infinity, hi = -Infinity;
  for (let r = 0; r < col.length; r++) { const v = col[r], wr = w[r]; s += wr * v; q += wr * v * v; if (v < lo) lo = v; if (v > hi) hi = v; }
  return [s, q, lo, hi];
}

export class KernelStatsProvider implements StatsProvider {
  readonly name = "kernel";
  /** True when the features were read from a VectorAssembler's inputs, not from the vector column. */
  direct = false;
  private sql: SqlStatsProvider | null;
  private gramCache: GramStats | null = null;
  private weightSum: number | null = null;
  /** Per-column [Σx, Σx², min, max] taken while copying, when the columns were not changed since. */
  private copyStats: readonly (readonly [number, number, number, number])[] | null = null;
  /** Summaries already computed over these columns, by `labels` option (shared with a retained copy). */
  private summaries = new Map<boolean, SummaryStats>();

  private constructor(
    readonly d: number,
    /** Rows (resident data) or null (streamed: the engine's aggregates answer the summary). */
    private readonly local: { readonly x: readonly Float64Array[]; readonly y: Float64Array | null; readonly w: Float64Array | null } | null,
    private readonly rows: number,
    private readonly pool: KernelPool,
    private readonly release: () => Promise<void>,
    private readonly invalid: number,
    private readonly nullLabels: number,
    readonly shift: Float64Array | null,
    sql: SqlStatsProvider | null,
    private readonly makeSql: () => Promise<SqlStatsProvider>,
  ) {
    this.sql = sql;
  }

  /** "resident" when the columns live in the kernels' memory, "stream" when every pass reads the engine again. */
  get mode(): "resident" | "stream" { return this.local ? "resident" : "stream"; }

  private async totalWeight(): Promise<number> {
    if (this.weightSum === null) {
      const w = this.local?.w;
      if (this.local && !w) this.weightSum = this.rows;
      else if (w) { let sw = 0; for (let r = 0; r < w.length; r++) sw += w[r]; this.weightSum = sw; }
      else this.weightSum = (await this.summary({ labels: false })).weightSum;
    }
    return this.weightSum;
  }

  /**
   * Streams the training columns into the kernels' memory. Reads through a VectorAssembler
   * when the features come from one (no vector length pass, no list per row); otherwise finds
   * the vector length first. Data larger than `budgetBytes` is not copied: every pass streams
   * it from the engine through two buffers of `streamRows` rows (summary and samples then come
   * from engine aggregates).
   * @param opts `featureDimension`: how to find d and the row count when the vector column must
   *   be read (default: one aggregate pass)
   */
  static async create(df: DataFrame, cols: TrainingColumns, opts: { center: Centering; normalize: boolean; budgetBytes?: number; streamRows?: number; featureDimension?: () => Promise<{ d: number; n: number }> }): Promise<{ provider: KernelStatsProvider; d: number; n: number }> {
    const budget = opts.budgetBytes ?? defaultKernelBudget();
    const dimension = opts.featureDimension ?? (() => featureDimension(df, cols.featuresCol, "KernelStatsProvider"));
    const perRow = (d: number) => 8 * (d + (cols.labelCol ? 1 : 0) + (cols.weightCol ? 1 : 0));
    const makeSql = (d: number) => () => SqlStatsProvider.create(df, cols, d, { center: opts.center, normalize: opts.normalize });
    let src: EngineColumns | null = assembledColumns(df, cols);
    const { pool, release, copies } = acquirePool(df.session);
    try {
      // A copy of the same columns of the same cached table, kept by an earlier fit.
      let key: CopyKey | null = null;
      if (copies) {
        await df.session.beforeAction(); // materializes frames marked for caching
        key = src ? copyKey(src.frame, src, opts) : copyKey(df, cols, opts);
        const kept = key && copies.get(key);
        if (kept) {
          const provider = KernelStatsProvider.over(kept, await pool.activate(kept.handle), pool, release, makeSql(kept.d));
          return { provider, d: kept.d, n: kept.rows };
        }
      }
      let d: number, n: number;
      if (src) {
        d = src.features.length;
        n = await src.frame.count();
        if (n === 0) ({ d, n } = await dimension()); // throws the usual "no rows" error
      } else {
        // The vector length from one row and the row count from a count, which the engine answers
        // without building the vectors: the aggregate over every vector (its length, nulls) took
        // ~0.23 s of a 1M-row fit at the end of a feature pipeline. The copy then checks each
        // row's length; data that will stream (beyond the budget) takes the aggregate first.
        const probe = await probeDimension(df, cols.featuresCol);
        const resident = probe !== null && probe.n * perRow(probe.d) <= budget;
        ({ d, n } = resident ? probe : await dimension());
        src = vectorColumns(df, cols, d, resident);
      }
      if (n * perRow(d) > budget) {
        // Data this large takes the pool's memory for its buffers: kept copies make way.
        copies?.clear();
        const provider = await KernelStatsProvider.streamed(df, cols, src, d, n, pool, release, opts);
        return { provider, d, n };
      }
      copies?.makeRoom(n * perRow(d), budget);
      // A row of another vector length: the aggregate finds it and throws its usual error.
      const badSize = async (): Promise<never> => {
        await dimension();
        throw new Error(`KernelStatsProvider: a vector in ${JSON.stringify(cols.featuresCol)} changed length between two reads; is the training frame non-deterministic?`);
      };
      const load = (from: EngineColumns): Promise<Loaded> => copyIntoPool(exportFrame(from, opts.normalize), pool, n, d, !!cols.labelCol, !!cols.weightCol, from.size ? badSize : null);
      let loaded: Loaded;
      try {
        loaded = await load(src);
      } catch (e) {
        // Kept copies can leave gaps too small for the new data below the wasm32 limit: drop them
        // all and load again.
        if (!(e instanceof RangeError) || !copies || copies.list().length === 0) throw e;
        copies.clear();
        loaded = await load(src);
      }
      if (loaded.invalid > 0 && src.direct) {
        // Null or NaN inputs: read the vector column itself, so the assembler's handleInvalid
        // applies exactly as it would without this shortcut (its error, or its NaN).
        ({ d, n } = await dimension());
        src = vectorColumns(df, cols, d);
        key = key && copyKey(df, cols, opts);
        loaded = await load(src);
      }
      const { views, invalid, nullLabels, stats } = loaded;
      const x = views.columns;
      let shift: Float64Array | null = null;
      if (opts.center && invalid === 0) {
        // Subtract the column means (unweighted, as the engine-side provider does) so second
        // moments keep their precision: all of them, or with "far" those far from zero.
        const s = Float64Array.from(stats, ([sum, sq]) => shiftFor(opts.center, sum / n, sq / n));
        if (s.some((v) => v !== 0)) {
          shift = s;
          s.forEach((m, i) => { if (m === 0) return; const col = x[i]; for (let r = 0; r < n; r++) col[r] -= m; });
        }
      }
      const facts: CopyFacts = { rows: n, d, invalid, nullLabels, stats, shift, direct: src.direct };
      const kept = key && copies ? copies.add(key, facts, n * perRow(d)) : null;
      return { provider: KernelStatsProvider.over(kept ?? facts, views, pool, release, makeSql(d)), d, n };
    } catch (e) {
      await release();
      throw e;
    }
  }

  /**
   * A provider over resident columns (their views current) with what their load saw; over a
   * retained copy, it shares the copy's summaries.
   */
  private static over(facts: CopyFacts | RetainedCopy, views: ResidentColumns, pool: KernelPool, release: () => Promise<void>, makeSql: () => Promise<SqlStatsProvider>): KernelStatsProvider {
    const provider = new KernelStatsProvider(facts.d, { x: views.columns, y: views.labels, w: views.weights }, facts.rows, pool, release, facts.invalid, facts.nullLabels, facts.shift, null, makeSql);
    // Uncentered columns: the copy already went over them in row order.
    if (!facts.shift) provider.copyStats = facts.stats;
    provider.direct = facts.direct;
    if ("summaries" in facts) provider.summaries = facts.summaries;
    return provider;
  }

  /** A provider whose passes stream the rows from the engine on every pass (data beyond the budget). */
  private static async streamed(df: DataFrame, cols: TrainingColumns, src: EngineColumns, d: number, n: number, pool: KernelPool, release: () => Promise<void>, opts: { center: Centering; normalize: boolean; streamRows?: number }): Promise<KernelStatsProvider> {
    // The engine answers the summary and the means to subtract; no cache: the data is large.
    const sql = await SqlStatsProvider.create(df, cols, d, { cache: false, center: opts.center, normalize: opts.normalize });
    const shift = sql.shift;
    const plan = exportFrame(src, opts.normalize).plan;
    const backend = df.session.backend as DuckDBBackend;
    const labeled = !!cols.labelCol, weighted = !!cols.weightCol;
    const source = async function* (): AsyncGenerator<ColumnChunk> {
      await df.session.beforeAction();
      for await (const chunk of backend.scanDoubles(plan, "fit()")) {
        const columns = chunk.columns.slice(0, d);
        if (shift) columns.forEach((col, i) => { const m = shift[i]; for (let r = 0; r < col.length; r++) col[r] -= m; });
        yield { columns, labels: labeled ? chunk.columns[d] : undefined, weights: weighted ? chunk.columns[d + (labeled ? 1 : 0)] : undefined };
      }
    };
    await pool.loadChunks(source, { d, labeled, weighted, bufferRows: opts.streamRows });
    // Rows with null or NaN features are counted by the summary, which every estimator reads
    // (and stops at) before its first pass.
    const provider = new KernelStatsProvider(d, null, n, pool, release, 0, 0, shift, sql, async () => sql);
    provider.direct = src.direct;
    return provider;
  }

  private async fallback(): Promise<SqlStatsProvider> {
    if (!this.sql) this.sql = await this.makeSql();
    return this.sql;
  }

  async summary(options: { readonly labels?: boolean } = {}): Promise<SummaryStats> {
    if (!this.local) {
      const sql: StatsProvider = await this.fallback();
      return sql.summary(options);
    }
    const countLabels = options.labels !== false;
    let s = this.summaries.get(countLabels);
    if (!s) this.summaries.set(countLabels, s = this.localSummary(countLabels));
    // Copies: callers may change what they get.
    return { ...s, mean: s.mean.slice(), variance: s.variance.slice(), min: s.min.slice(), max: s.max.slice(), labels: s.labels && new Map(s.labels) };
  }

  private localSummary(countLabels: boolean): SummaryStats {
    const { d } = this;
    const { x, y, w } = this.local!;
    const n = this.rows;
    let sw = 0, sww = 0, sy = 0, syy = 0;
    const mean = new Float64Array(d), variance = new Float64Array(d), min = new Float64Array(d), max = new Float64Array(d);
    // Null weights are NaN in the copy.
    let invalidWeights = 0;
    if (w) for (let r = 0; r < n; r++) { const wr = w[r]; sw += wr; sww += wr * wr; invalidWeights += +!(wr >= 0 && wr < Infinity); }
    else { sw = n; sww = n; }
    let nonFinite = 0;
    let labels: Map<number, number> | null = null;
    if (y) {
      // Small non-negative integer labels (classes) are counted in an array, others in a map.
      // Labels 0 and 1 (binary classes) are counted in registers, without branching on the label
      // (adding w·0 leaves a sum's bits as they are).
      const small = new Float64Array(64), seen = new Uint8Array(64);
      const other = new Map<number, number>();
      let c0 = 0, c1 = 0, n0 = 0, n1 = 0;
      for (let r = 0; r < n; r++) {
        const v = y[r];
        if (v - v !== 0) { nonFinite++; continue; } // null (NaN in the copy), NaN or infinite
        const wr = w ? w[r] : 1;
        sy += wr * v; syy += wr * v * v;
        if (!countLabels) continue;
        const is0 = +(v === 0), is1 = +(v === 1);
        c0 += wr * is0; c1 += wr * is1; n0 += is0; n1 += is1;
        if (is0 + is1 === 1) continue;
        if (v >= 0 && v < 64 && (v | 0) === v) { small[v] += wr; seen[v] = 1; }
        else other.set(v, (other.get(v) ?? 0) + wr);
      }
      small[0] = c0; small[1] = c1; seen[0] = +(n0 > 0); seen[1] = +(n1 > 0);
      if (countLabels) {
        labels = new Map();
        for (let v = 0; v < 64; v++) if (seen[v]) labels.set(v, small[v]);
        for (const [v, c] of other) labels.set(v, c);
      }
    }
    const denom = sw - sww / sw;
    for (let i = 0; i < d; i++) {
      const [s, q, lo, hi] = w ? columnStatsWeighted(x[i], w) : this.copyStats ? this.copyStats[i] : columnStats(x[i]);
      const sh = this.shift ? this.shift[i] : 0;
      mean[i] = s / sw + sh;
      const m = s / sw;
      variance[i] = denom > 0 ? Math.max(0, (q - sw * m * m) / denom) : 0;
      min[i] = lo + sh; max[i] = hi + sh;
    }
    const labelMean = sy / sw, ym2 = Math.max(0, syy - sw * labelMean * labelMean);
    return { count: n, weightSum: sw, mean, variance, min, max, invalidRows: this.invalid, labels, nullLabels: this.nullLabels,
      nonFiniteLabels: y ? nonFinite - this.nullLabels : 0, invalidWeights, labelMean, labelVariance: denom > 0 ? ym2 / denom : 0, labelVariancePop: ym2 / sw };
  }

  async gmm(p: GmmPrecomputed): Promise<GmmStats> {
    const { k, d } = p;
    const s = await this.pool.gmmStats({ weights: p.raw.weights, means: p.raw.means.map((m) => Float64Array.from(m)), covariances: p.raw.covs.map((c) => Float64Array.from(c.flat())) });
    const sumRX = new Float64Array(k * d), sumRXX = new Float64Array(k * d * d);
    for (let j = 0; j < k; j++) { sumRX.set(s.sumX[j], j * d); sumRXX.set(s.sumXX[j], j * d * d); }
    return { weightSum: await this.totalWeight(), logLik: s.logLikelihood, sumR: s.sumResp, sumRX, sumRXX };
  }

  async gmmHardCounts(p: GmmPrecomputed): Promise<number[]> {
    const counts = await this.pool.gmmHardCounts({ weights: p.raw.weights, means: p.raw.means.map((m) => Float64Array.from(m)), covariances: p.raw.covs.map((c) => Float64Array.from(c.flat())) });
    return Array.from(counts);
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
      this.gramCache = { weightSum: g.weightSum, count: this.rows, sumX: g.sumX, sumY: g.sumY, sumYY: g.sumYY, xtx: g.xtx, xty: g.xty };
    }
    return this.gramCache;
  }

  async sample(n: number, seed: number): Promise<number[][]> {
    if (!this.local) return (await this.fallback()).sample(n, seed);
    const { x, w } = this.local;
    // Rows to draw from: all, or those of positive weight when some weigh 0.
    let rows: Int32Array | null = null;
    if (w && w.some((v) => !(v > 0))) rows = Int32Array.from({ length: this.rows }, (_, r) => r).filter((r) => w[r] > 0);
    const total = rows ? rows.length : this.rows;
    const rand = prng(seed);
    const take = Math.min(n, total);
    const idx: number[] = [];
    if (take === total) for (let i = 0; i < total; i++) idx.push(i);
    else {
      const seen = new Set<number>();
      while (seen.size < take) seen.add(Math.floor(rand() * total));
      idx.push(...seen);
    }
    return idx.map((i) => (rows ? rows[i] : i)).map((r) => x.map((c) => c[r]));
  }

  localColumns(): { readonly x: readonly Float64Array[]; readonly y: Float64Array | null; readonly w: Float64Array | null } | null { return this.local; }

  async linearMetrics(coefficients: readonly number[], intercept: number): Promise<LinearMetricSums | null> {
    if (!this.local?.y) return null;
    // Centred columns: the same predictions with the intercept moved by β·shift.
    const shift = this.shift;
    return this.pool.linearMetrics(coefficients, shift ? coefficients.reduce((s, b, j) => s + b * shift[j], intercept) : intercept);
  }

  async close(): Promise<void> {
    await this.release();
    if (this.sql) await this.sql.close();
  }
}
