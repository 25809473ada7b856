/**
 * Per-iteration sufficient statistics for the ML estimators, computed by WebAssembly SIMD
 * kernels (compiled from AssemblyScript at build time, see scripts/kernels/) on worker threads
 * that share one WebAssembly.Memory. Feature columns are copied into that memory once, in the
 * layout the kernels read (column-major, each column padded with zero rows to a multiple of 8
 * and at least 2 past the end); every pass then splits
 * the rows into blocks that the workers claim, calls the kernel in chunks of `chunkRows` rows
 * (V8 optimizes a wasm function between calls, not inside one long call) and adds the blocks'
 * partial sums up in block order, so the result is bitwise the same on every run and for any
 * number of workers.
 *
 * Data larger than the memory budget streams through two fixed buffers instead
 * ({@link KernelPool.loadChunks}): one is filled while the workers run over the other.
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import type { FromWorker, RunMessage } from "./protocol.js";
import { Wasm, type WasmInstance, type WasmMemory, type WasmModule } from "./wasm-api.js";
import {
  type GmmParams, type GmmStats, type KMeansStats, type LogisticStats, type MultinomialStats, type GramStats, type LinearMetricSums,
  packGmm, packRows, tri, unpackGmm, unpackKMeans, unpackLogistic, unpackMultinomial, unpackGram, unpackLinearMetrics,
} from "./params.js";

export type { GmmParams, GmmStats, KMeansStats, LogisticStats, MultinomialStats, GramStats, LinearMetricSums } from "./params.js";
export { packGmm } from "./params.js";

/** Which kernel family runs a pass; `auto` picks the fastest one built for the shape. */
export type KernelVariant = "auto" | "specialized" | "unrolled" | "generic";

/** Options of {@link KernelPool}. */
export interface KernelPoolOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  readonly workers?: number;
  /** Rows per kernel call (even); default 65536. */
  readonly chunkRows?: number;
  /**
   * Budget for the shared memory in bytes (data, parameters, scratch and per-block outputs);
   * default and maximum 4 GiB, the wasm32 limit. `loadColumns` throws beyond it.
   */
  readonly maxBytes?: number;
}

/** Options of one pass. */
export interface PassOptions {
  readonly variant?: KernelVariant;
  /**
   * k-means only: keep per-row bounds between passes (Hamerly's algorithm) and skip the search
   * over all centres where they prove the assigned centre is still the nearest; only rows that
   * change centre update the sums (kept between passes). The same assignment as without bounds;
   * the sums agree to rounding. Default true; resident data only.
   */
  readonly bounds?: boolean;
  /** Use at most this many of the pool's workers (benchmarks); the sums do not change. */
  readonly workers?: number;
}

/** One piece of a streamed dataset: feature columns of equal length, and weights/labels. */
export interface ColumnChunk {
  readonly columns: readonly Float64Array[];
  readonly weights?: Float64Array;
  readonly labels?: Float64Array;
}

/** A function that yields the whole dataset again, in the same order, each time it is called. */
export type ChunkSource = () => AsyncIterable<ColumnChunk | readonly Float64Array[]>;

/** Options of {@link KernelPool.loadChunks}. */
export interface StreamOptions {
  /** Number of feature columns in every chunk. */
  readonly d: number;
  /** Chunks carry `weights`. */
  readonly weighted?: boolean;
  /** Chunks carry `labels`. */
  readonly labeled?: boolean;
  /** Rows per buffer (two buffers are used); default 524288. */
  readonly bufferRows?: number;
}

/** Views of resident columns in the pool's shared memory (see {@link KernelPool.allocateColumns}). */
export interface ResidentColumns {
  /** Rows. */
  readonly rows: number;
  readonly columns: readonly Float64Array[];
  readonly weights: Float64Array | null;
  readonly labels: Float64Array | null;
}

/** What the pool holds. */
export interface LoadedData {
  readonly mode: "resident" | "stream";
  /** Rows: for a stream, those of the last pass (0 before the first). */
  readonly rows: number;
  readonly d: number;
  readonly weighted: boolean;
  readonly labeled: boolean;
}

interface Manifest {
  readonly unrolledMaxD: number;
  /** Row pairs per block of the k-means kernels (see kmeansScratch). */
  readonly kmeansBlockPairs: number;
  readonly core: string;
  readonly gmmUnrolled: string;
  readonly specialized: Record<string, { readonly file: string; readonly ks: readonly number[] }>;
}

interface Kernel {
  readonly module: string;
  readonly fn: string;
  readonly k: number;
  readonly params: Float64Array;
  readonly outLen: number;
  readonly scratchValues: number;
  /** Replaces the label column's address (a kernel's own per-row state). */
  readonly y?: number;
  /**
   * Called inside the pass's turn: with the reduced output once every block ran (it may rewrite
   * it), or with null after a failure.
   */
  readonly settle?: (total: Float64Array | null) => void;
}

/** Per-row k-means bounds kept between passes over one resident store (see kmeansStats). */
interface KMeansBounds {
  readonly store: Store;
  readonly at: number;
  readonly end: number;
  readonly k: number;
  /** The centres the bounds were last written for, row-major; null right after a reset. */
  centres: Float64Array | null;
  /** Per centre: sum w, then sum w x (d), for the assignment the state holds. */
  sums: Float64Array | null;
  /** Passes since the last full one. */
  sinceFull: number;
  /** Share of the row pairs that skipped the search in the last pass (or would have, in a full one). */
  skipRate: number;
}

/** A bounded k-means pass recomputes the sums from scratch at least every this many passes. */
const KMEANS_REFRESH = 32;

/**
 * Below this share of skipping row pairs, the next pass is a full one: it searches every pair
 * without testing the bounds first, and replaces the sums instead of updating them for the rows
 * that moved. (Measured on 1M x 8, k = 8: a bounded pass costs about as much as a full one when
 * almost no pair skips, and two thirds of it at 40%; a lower threshold would save time in the
 * first passes, but it changes which passes recompute the sums, and so the last bits of the
 * centres, which stay as they were.)
 */
const KMEANS_MIN_SKIP = 0.35;

/**
 * From this share of skipping row pairs (in the last pass) on, a bounded pass branches on each
 * pair's test; below it, it copies every pair to the search's block and keeps those that cannot
 * skip without a branch (see kmeansb_u in scripts/kernels/generate.mjs): measured on 1M x 8,
 * k = 8, the branch costs less from about nine in ten pairs skipping.
 */
const KMEANS_SPARSE = 0.9;

/** Shrinks lower bounds and half-separations by this factor: rounding can never make a skip wrong. */
const BOUND_SAFETY = 1 - 1e-10;

interface Columns {
  readonly data: number;
  readonly w: number;
  readonly y: number;
}

type ResidentStore = { readonly mode: "resident"; readonly rows: number; readonly d: number; readonly stride: number; readonly cols: Columns; readonly end: number; readonly weighted: boolean; readonly labeled: boolean };
type Store =
  | ResidentStore
  | { readonly mode: "stream"; rows: number; readonly d: number; readonly stride: number; readonly bufs: readonly [Columns, Columns]; readonly end: number; readonly weighted: boolean; readonly labeled: boolean; readonly source: ChunkSource; readonly bufferRows: number };

const PAGE = 65536;
const WASM32_MAX = 4 * 1024 * 1024 * 1024;
/**
 * Page 0 holds the block counter (here) and the kernels' constant table (at 1024, written by
 * their init_constants); the kernels keep no other static data. Columns start at page 1.
 */
const COUNTER = 64;
const BASE = PAGE;
/** Cap on the per-block output slots of one pass; larger outputs get longer blocks. */
const OUT_BUDGET = 32 * 1024 * 1024;

const WASM_DIR = new URL("./wasm/", import.meta.url);

let manifestCache: Manifest | undefined;
function manifest(): Manifest {
  if (!manifestCache) {
    try {
      manifestCache = JSON.parse(readFileSync(new URL("manifest.json", WASM_DIR), "utf8")) as Manifest;
    } catch (e) {
      throw new Error(`ML kernels are not built (${(e as Error).message}); run \`node scripts/kernels/build.mjs\``);
    }
  }
  return manifestCache;
}

const moduleCache = new Map<string, WasmModule>();
function compiled(file: string): WasmModule {
  let m = moduleCache.get(file);
  if (!m) {
    m = new Wasm.Module(readFileSync(new URL(file, WASM_DIR)));
    moduleCache.set(file, m);
  }
  return m;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Writes the kernels' constant table into page 0 of `memory` (see assembly/common.as). */
function initConstants(memory: WasmMemory): WasmInstance {
  const instance = new Wasm.Instance(compiled(manifest().core), { env: { memory } });
  const end = (instance.exports.init_constants as () => number)();
  if (end > BASE) throw new Error(`the kernels' constant table ends at ${end}, beyond page 0`);
  return instance;
}

/**
 * Applies the kernels' vectorized exp, log or log1p (the f64x2 code every kernel inlines) to
 * `xs` on the calling thread; for accuracy tests against Math.exp/Math.log/Math.log1p.
 * @internal
 */
export function vectorMath(fn: "exp" | "log" | "log1p", xs: Float64Array): Float64Array {
  const n = align(Math.max(xs.length, 2), 2);
  const pages = Math.ceil((BASE + 16 * n) / PAGE);
  const memory = new Wasm.Memory({ initial: pages, maximum: pages, shared: true });
  const instance = initConstants(memory);
  const f64 = new Float64Array(memory.buffer);
  const src = BASE;
  const dst = BASE + 8 * n;
  f64.set(xs, src / 8);
  (instance.exports[`math_${fn}`] as (s: number, d: number, n: number) => void)(src, dst, n);
  return f64.slice(dst / 8, dst / 8 + xs.length);
}

interface Pending {
  readonly id: number;
  remaining: number;
  error?: string;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/**
 * A pool of kernel workers over one shared WebAssembly.Memory.
 *
 * @example
 * const pool = new KernelPool({ workers: 2 });
 * await pool.loadColumns([new Float64Array([0, 1, 2]), new Float64Array([1, 1, 0])]);
 * const s = await pool.kmeansStats([[0, 1], [2, 0]]);
 * console.log(s.counts, s.cost); // Float64Array(2) [ 2, 1 ] 1
 * await pool.close();
 */
export class KernelPool {
  /** Number of worker threads. */
  readonly workers: number;
  /** Rows per kernel call. */
  readonly chunkRows: number;
  /** Memory budget in bytes. */
  readonly maxBytes: number;
  private readonly memory: WasmMemory;
  private readonly threads: Worker[] = [];
  private readonly sent: Set<string>[] = [];
  private store: Store | undefined;
  /** Resident datasets kept by {@link KernelPool.keep}, by handle: later loads never overwrite them. */
  private readonly kept = new Map<number, ResidentStore>();
  private keptSeq = 0;
  private kmBounds: KMeansBounds | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: Pending | undefined;
  private seq = 0;
  private failure: Error | undefined;
  private closed = false;
  /** Resolves once every worker has started and the memory has grown once since (see the constructor). */
  private readonly started: Promise<void>;
  /** Called when a worker reports that it is up; `startFailed` when one fails first. */
  private workerReady: () => void = () => undefined;
  private startFailed: (e: Error) => void = () => undefined;

  /**
   * Starts the workers (they do not keep the process alive while idle).
   * @throws RangeError for a bad option.
   */
  constructor(options: KernelPoolOptions = {}) {
    this.workers = options.workers ?? availableParallelism();
    this.chunkRows = options.chunkRows ?? 65536;
    this.maxBytes = Math.min(options.maxBytes ?? WASM32_MAX, WASM32_MAX);
    if (!Number.isInteger(this.workers) || this.workers < 1) throw new RangeError(`workers must be a positive integer, got ${this.workers}`);
    if (!Number.isInteger(this.chunkRows) || this.chunkRows < 2 || this.chunkRows % 2 !== 0) {
      throw new RangeError(`chunkRows must be a positive even integer, got ${this.chunkRows}`);
    }
    if (!(this.maxBytes >= 4 * PAGE)) throw new RangeError(`maxBytes must be at least ${4 * PAGE}, got ${this.maxBytes}`);
    manifest();
    this.memory = new Wasm.Memory({ initial: 2, maximum: Math.floor(this.maxBytes / PAGE), shared: true });
    initConstants(this.memory);
    // A worker that starts while the main thread grows the memory (the first fit's copy does, as
    // the workers start) can keep a view of the memory from before the growth: V8 tells a thread
    // about a growth only once that thread's copy of the memory object is registered, and a growth
    // in between is missed (seen as an intermittent "memory access out of bounds" in a kernel).
    // So passes wait until every worker is up, and the memory then grows by one page: that growth
    // reaches every worker and brings each view up to the current size.
    let ready = 0;
    this.started = new Promise<void>((resolve, reject) => {
      this.startFailed = reject;
      this.workerReady = () => {
        if (++ready < this.workers) return;
        if (this.memory.buffer.byteLength + PAGE <= this.maxBytes) this.memory.grow(1);
        resolve();
      };
    });
    this.started.catch(() => undefined); // a failed start is reported by the pass that awaits it
    for (let i = 0; i < this.workers; i++) {
      const w = new Worker(new URL("./worker.js", import.meta.url), { workerData: { memory: this.memory, index: i } });
      w.unref();
      w.on("message", (m: FromWorker) => this.onMessage(m));
      w.on("error", (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
      w.on("exit", (code) => {
        if (!this.closed) this.fail(new Error(`kernel worker ${i} exited with code ${code}`));
      });
      this.threads.push(w);
      this.sent.push(new Set());
    }
  }

  /** True once a worker failed or the pool was closed: it cannot run passes any more. */
  get failed(): boolean { return this.closed || this.failure !== undefined; }

  /** What is loaded, or undefined. */
  get loaded(): LoadedData | undefined {
    const s = this.store;
    return s && { mode: s.mode, rows: s.rows, d: s.d, weighted: s.weighted, labeled: s.labeled };
  }

  /**
   * Copies feature columns (and optional per-row weights and labels) into the shared memory;
   * later passes read them there. Values must be finite (NaN is not checked for here).
   * @param columns d columns of n rows each.
   * @param weights optional per-row weights (n).
   * @param labels optional labels (n): 0/1 for logistic, 0..K-1 for multinomial, any number for gram.
   * @throws RangeError when lengths disagree or the data exceeds `maxBytes` (use `loadChunks`).
   */
  async loadColumns(columns: readonly Float64Array[], weights?: Float64Array | null, labels?: Float64Array | null): Promise<void> {
    const d = columns.length;
    if (d < 1) throw new RangeError("loadColumns needs at least one column");
    const rows = columns[0].length;
    columns.forEach((c, j) => {
      if (c.length !== rows) throw new RangeError(`column ${j} has ${c.length} rows, column 0 has ${rows}`);
    });
    if (weights && weights.length !== rows) throw new RangeError(`weights have ${weights.length} rows, the columns ${rows}`);
    if (labels && labels.length !== rows) throw new RangeError(`labels have ${labels.length} rows, the columns ${rows}`);
    await this.serialize(async () => {
      const v = this.allocate(rows, d, !!weights, !!labels);
      columns.forEach((c, j) => v.columns[j].set(c));
      if (weights) v.weights!.set(weights);
      if (labels) v.labels!.set(labels);
    });
  }

  /**
   * Reserves resident columns for `rows` rows (d features, optional weights and labels) and
   * returns views of them in the shared memory for the caller to fill, e.g. chunk by chunk
   * straight from the engine; the padding rows past the end are zeroed. Later passes read
   * whatever the views hold when they run. The views stay valid until the next
   * `allocateColumns`, `loadColumns` or `loadChunks`.
   * @throws RangeError when the data exceeds `maxBytes` (use `loadChunks`).
   */
  async allocateColumns(rows: number, d: number, options: { weighted?: boolean; labeled?: boolean } = {}): Promise<ResidentColumns> {
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`d must be a positive integer, got ${d}`);
    if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`rows must be a non-negative integer, got ${rows}`);
    return this.serialize(async () => this.allocate(rows, d, !!options.weighted, !!options.labeled));
  }

  private allocate(rows: number, d: number, weighted: boolean, labeled: boolean): ResidentColumns {
    // At least two zero rows past the end: kernels that step four rows at a time read them.
    const stride = align(rows + 2, 8);
    this.store = undefined;
    this.kmBounds = undefined;
    const cols = this.columnsAt(this.place(this.columnsAt(0, d, stride, weighted, labeled).end), d, stride, weighted, labeled);
    const end = cols.end;
    const need = this.top(end) + this.reserveFor(d, 64, rows);
    if (need > this.maxBytes) {
      throw new RangeError(
        `${rows} rows x ${d} columns need ${need} bytes of kernel memory, more than maxBytes = ${this.maxBytes}` +
          (this.maxBytes >= WASM32_MAX ? " (the wasm32 limit)" : "") + "; stream them with loadChunks()",
      );
    }
    this.ensure(end);
    const store: ResidentStore = { mode: "resident", rows, d, stride, cols, end, weighted, labeled };
    this.store = store;
    const out = this.views(store);
    // The padding rows past the end are zeroed once, here.
    for (const v of [...out.columns, out.weights, out.labels]) if (v) new Float64Array(v.buffer, v.byteOffset + rows * 8, stride - rows).fill(0);
    return out;
  }

  /** Views of a resident store's columns, weights and labels in the shared memory. */
  private views(s: ResidentStore): ResidentColumns {
    const buf = this.memory.buffer;
    const view = (at: number): Float64Array => new Float64Array(buf, at, s.rows);
    return {
      rows: s.rows,
      columns: Array.from({ length: s.d }, (_, j) => view(s.cols.data + j * s.stride * 8)),
      weights: s.weighted ? view(s.cols.w) : null,
      labels: s.labeled ? view(s.cols.y) : null,
    };
  }

  /**
   * Keeps the resident data loaded last: later loads place their data around it, so it can be
   * made current again with {@link KernelPool.activate} without copying it, until
   * {@link KernelPool.discard}. Passes and the caller's writes through the views still change it.
   * @returns a handle.
   * @throws Error when no resident data is loaded.
   */
  keep(): number {
    const s = this.store;
    if (!s || s.mode !== "resident") throw new Error("keep(): no resident data is loaded; call allocateColumns() or loadColumns() first");
    for (const [id, k] of this.kept) if (k === s) return id;
    const id = ++this.keptSeq;
    this.kept.set(id, s);
    return id;
  }

  /**
   * Makes kept data current again (passes run over it) and returns views of it; state kept
   * for the previous data between passes (k-means bounds) starts over.
   * @throws Error for an unknown or discarded handle.
   */
  async activate(handle: number): Promise<ResidentColumns> {
    return this.serialize(async () => {
      const s = this.kept.get(handle);
      if (!s) throw new Error(`activate(): no kept data with handle ${handle} (discarded?)`);
      this.store = s;
      this.kmBounds = undefined;
      return this.views(s);
    });
  }

  /** Lets later loads reuse the memory of kept data; if it is current, it stays current until the next load. */
  discard(handle: number): void { this.kept.delete(handle); }

  /** Bytes of shared memory that kept data occupies. */
  get keptBytes(): number {
    let b = 0;
    for (const s of this.kept.values()) b += s.end - s.cols.data;
    return b;
  }

  /** The lowest offset (64-byte aligned, from BASE) where `bytes` fit between kept data. */
  private place(bytes: number): number {
    let at = BASE;
    for (const s of [...this.kept.values()].sort((a, b) => a.cols.data - b.cols.data)) {
      if (at + bytes <= s.cols.data) break;
      at = Math.max(at, align(s.end, 64));
    }
    return at;
  }

  /** The end of everything that must survive a pass's parameters and outputs: kept data, the current data and its bounds. */
  private top(end = 0): number {
    let t = Math.max(end, this.store?.end ?? 0, this.kmBounds?.end ?? 0);
    for (const s of this.kept.values()) t = Math.max(t, s.end);
    return t;
  }

  /**
   * Registers a dataset that streams through two fixed buffers on every pass, for data beyond
   * `maxBytes`. The source is called once per pass and must yield the same rows in the same
   * order each time (the sums then match bit for bit across passes).
   * @throws RangeError when the buffers do not fit `maxBytes`.
   */
  async loadChunks(source: ChunkSource, options: StreamOptions): Promise<void> {
    await this.serialize(async () => {
      const d = options.d;
      if (!Number.isInteger(d) || d < 1) throw new RangeError(`d must be a positive integer, got ${d}`);
      const bufferRows = align(options.bufferRows ?? 524288, 2);
      if (!(bufferRows >= 2)) throw new RangeError(`bufferRows must be at least 2, got ${options.bufferRows}`);
      const stride = align(bufferRows + 2, 8);
      this.store = undefined;
      this.kmBounds = undefined;
      const one = this.columnsAt(0, d, stride, !!options.weighted, !!options.labeled).end;
      const a = this.columnsAt(this.place(2 * one), d, stride, !!options.weighted, !!options.labeled);
      const b = this.columnsAt(a.end, d, stride, !!options.weighted, !!options.labeled);
      if (this.top(b.end) + this.reserveFor(d, 64, bufferRows) > this.maxBytes) {
        throw new RangeError(`two buffers of ${bufferRows} rows x ${d} columns do not fit maxBytes = ${this.maxBytes}; lower bufferRows`);
      }
      this.ensure(b.end);
      this.store = {
        mode: "stream", rows: 0, d, stride, bufs: [a, b], end: b.end,
        weighted: !!options.weighted, labeled: !!options.labeled, source, bufferRows,
      };
    });
  }

  /**
   * E step of a full-covariance Gaussian mixture and the sums its M step needs.
   * @param params k weights, means and covariances (positive definite).
   * @returns per component sum r, sum r x, sum r x x^T, and the total log-likelihood.
   * @throws RangeError for a covariance that is not positive definite.
   */
  async gmmStats(params: GmmParams, options: PassOptions = {}): Promise<GmmStats> {
    const k = params.weights.length;
    if (k < 1) throw new RangeError("gmmStats needs at least one component");
    const { out, d } = await this.pass(options, ({ d }) => {
      const Q = 1 + d + tri(d);
      return { ...this.pick("gmm", k, d, options.variant), k, params: packGmm(params, d), outLen: k * Q + 1, scratchValues: k * Q + 3 * k + 2 * d + 8 };
    });
    return unpackGmm(out, k, d);
  }

  /**
   * Hard assignment of a Gaussian mixture: per component, the number of loaded rows whose
   * largest w_k N_k(x) it has (the first component on ties). Row weights are ignored.
   */
  async gmmHardCounts(params: GmmParams): Promise<Float64Array> {
    const k = params.weights.length;
    if (k < 1) throw new RangeError("gmmHardCounts needs at least one component");
    const { out } = await this.pass({}, ({ d }) => ({
      module: manifest().core, fn: "gmm_hard_generic", k, params: packGmm(params, d), outLen: k, scratchValues: d + 8,
    }));
    return out;
  }

  /**
   * Assignment step of k-means: nearest centre by squared Euclidean distance (the first one on
   * ties), per-centre weight and coordinate sums, and the total cost. For cosine distance pass
   * normalized rows and centres.
   */
  async kmeansStats(centers: readonly ArrayLike<number>[], options: PassOptions = {}): Promise<KMeansStats> {
    const k = centers.length;
    if (k < 1) throw new RangeError("kmeansStats needs at least one centre");
    const { out, d } = await this.pass(options, (s) => {
      const base = { k, outLen: k * (s.d + 1) + 2, scratchValues: kmeansScratch(k, s.d) };
      const centres = packRows(centers, s.d, "centre");
      const params = kmeansParams(centres, k, s.d);
      const bounded = this.kmeansBounds(s, k, options);
      if (!bounded) return { ...this.pick("kmeans", k, s.d, options.variant), ...base, params };
      const b = bounded;
      const { half, moved } = kmeansGeometry(centres, b.centres, k, s.d);
      // A full pass recomputes the sums at least every REFRESH passes, so rounding in the running
      // sums cannot build up, and whenever too few pairs skip.
      const full = b.centres === null || b.sums === null || b.sinceFull >= KMEANS_REFRESH || b.skipRate < KMEANS_MIN_SKIP;
      b.sinceFull = full ? 1 : b.sinceFull + 1;
      const all = new Float64Array(params.length + k + 4);
      all.set(params);
      all.set(half, params.length);
      all[params.length + k] = moved;
      all[params.length + k + 1] = BOUND_SAFETY;
      all[params.length + k + 2] = full ? 1 : 0;
      all[params.length + k + 3] = b.skipRate >= KMEANS_SPARSE ? 1 : 0;
      const n = k * (s.d + 1);
      return {
        module: manifest().core, fn: `kmeansb_u${s.d}`, ...base, params: all, y: b.at,
        settle: (total) => {
          if (!total) {
            if (this.kmBounds === b) this.kmBounds = undefined;
            return;
          }
          // A full pass gives the sums; a later one the changes of the rows that moved.
          if (full || !b.sums) b.sums = total.slice(0, n);
          else for (let i = 0; i < n; i++) b.sums[i] += total[i];
          total.set(b.sums);
          b.centres = centres;
          b.skipRate = total[n + 1] / Math.max(1, Math.ceil(s.rows / 2));
        },
      };
    });
    return unpackKMeans(out, k, d);
  }

  /**
   * The per-row bounds for a k-means pass over the loaded data, allocated (and reset) when the
   * data, k or d changed; undefined when they do not apply (streamed data, a forced kernel
   * variant, d beyond the unrolled kernels) or do not fit the memory budget.
   */
  private kmeansBounds(s: Store, k: number, options: PassOptions): KMeansBounds | undefined {
    if (options.bounds === false || s.mode !== "resident") return undefined;
    if (!(options.variant === undefined || options.variant === "auto")) return undefined;
    if (s.d > manifest().unrolledMaxD) return undefined;
    const cur = this.kmBounds;
    if (cur && cur.store === s && cur.k === k) return cur;
    this.kmBounds = undefined;
    const at = align(this.top(), 64);
    const end = at + 2 * s.stride * 8;
    if (end + this.reserveFor(s.d, 64, s.rows) > this.maxBytes) return undefined;
    this.ensure(end);
    // Lower bound -inf and centre 0 for every row (padding included): valid for any centres.
    new Float64Array(this.memory.buffer, at, s.stride).fill(-Infinity);
    new Float64Array(this.memory.buffer, at + s.stride * 8, s.stride).fill(0);
    this.kmBounds = { store: s, at, end, k, centres: null, sums: null, sinceFull: 0, skipRate: 0 };
    return this.kmBounds;
  }

  /**
   * Loss and gradient sums of binomial logistic regression at (coefficients, intercept); the
   * labels (0/1) come from `loadColumns`. log(1 + e^m) is evaluated without overflow.
   */
  async logisticStats(coefficients: ArrayLike<number>, intercept: number, options: PassOptions = {}): Promise<LogisticStats> {
    const { out, d } = await this.pass({ ...options, labels: true }, ({ d }) =>
      ({ ...this.pick("logistic", 1, d, options.variant), k: 1, params: linearParams(coefficients, intercept, d), outLen: d + 3, scratchValues: 2 * d + 8 }));
    return unpackLogistic(out, d);
  }

  /**
   * Loss and gradient sums of multinomial logistic regression (softmax over K classes) at
   * (coefficients: K rows of d, intercepts: K); labels 0..K-1 come from `loadColumns`.
   */
  async multinomialStats(coefficients: readonly ArrayLike<number>[], intercepts: ArrayLike<number>, options: PassOptions = {}): Promise<MultinomialStats> {
    const k = coefficients.length;
    if (k < 2) throw new RangeError("multinomialStats needs at least two classes");
    if (intercepts.length !== k) throw new RangeError(`${intercepts.length} intercepts for ${k} classes`);
    const { out, d } = await this.pass({ ...options, labels: true }, ({ d }) => {
      const p = new Float64Array(k * d + k);
      p.set(packRows(coefficients, d, "coefficient row"));
      for (let c = 0; c < k; c++) p[k * d + c] = intercepts[c];
      if (!p.every(Number.isFinite)) throw new RangeError("coefficients and intercepts must be finite");
      return { ...this.pick("multinomial", k, d, options.variant), k, params: p, outLen: k * (d + 1) + 2, scratchValues: k * (d + 1) + 2 + k + d + 8 };
    });
    return unpackMultinomial(out, k, d);
  }

  /** Weighted Gram pass for least squares: X^T W X, X^T W y, sum w, sum w x, sum w y, sum w y^2 (y = 0 without labels). */
  async gram(options: PassOptions = {}): Promise<GramStats> {
    const { out, d } = await this.pass(options, ({ d }) => {
      const n = 1 + 2 * d + tri(d) + 2;
      return { ...this.pick("gram", 1, d, options.variant), k: 1, params: new Float64Array(0), outLen: n, scratchValues: n + d + 8 };
    });
    return unpackGram(out, d);
  }

  /**
   * Residual sums of a linear model at (coefficients, intercept) over the loaded rows and labels:
   * what a regression summary's r2, mean squared and absolute error and explained variance need.
   */
  async linearMetrics(coefficients: ArrayLike<number>, intercept: number, options: PassOptions = {}): Promise<LinearMetricSums> {
    const { out } = await this.pass({ ...options, labels: true }, ({ d }) =>
      ({ ...this.pick("linmetrics", 1, d, options.variant), k: 1, params: linearParams(coefficients, intercept, d), outLen: 7, scratchValues: 7 + d + 8 }));
    return unpackLinearMetrics(out);
  }

  /** Names the kernel that `auto` (or the given variant) runs for this shape. */
  kernelFor(kind: "gmm" | "kmeans" | "logistic" | "multinomial" | "gram" | "linmetrics", k: number, d: number, variant: KernelVariant = "auto"): string {
    const p = this.pick(kind, k, d, variant);
    return `${p.module}:${p.fn}`;
  }

  /** Terminates the workers; the pool cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await Promise.all(this.threads.map((t) => t.terminate()));
  }

  // -------------------------------------------------------------------------------------------

  private pick(kind: string, k: number, d: number, variant: KernelVariant = "auto"): { module: string; fn: string } {
    const m = manifest();
    if (kind === "gmm" && (variant === "auto" || variant === "specialized")) {
      const s = m.specialized[String(d)];
      if (s && s.ks.includes(k)) return { module: s.file, fn: `gmm_k${k}_d${d}` };
      if (variant === "specialized") throw new RangeError(`no specialized GMM kernel was built for k=${k}, d=${d}`);
    }
    if (variant === "specialized" && kind !== "gmm") throw new RangeError(`only GMM has specialized kernels, not ${kind}`);
    if (variant !== "generic" && d <= m.unrolledMaxD) return { module: kind === "gmm" ? m.gmmUnrolled : m.core, fn: `${kind}_u${d}` };
    if (variant === "unrolled") throw new RangeError(`unrolled kernels exist for d <= ${m.unrolledMaxD}, not ${d}`);
    return { module: m.core, fn: `${kind}_generic` };
  }

  private need(labels = false): Store {
    if (this.closed) throw new Error("the kernel pool is closed");
    const s = this.store;
    if (!s) throw new Error("no data loaded: call loadColumns() or loadChunks() first");
    if (labels && !s.labeled) throw new Error("this pass needs labels: pass them to loadColumns() (or stream them)");
    return s;
  }

  private columnsAt(at: number, d: number, stride: number, weighted: boolean, labeled: boolean): Columns & { end: number } {
    const col = stride * 8;
    const data = at;
    let end = data + d * col;
    const w = weighted ? end : 0;
    if (weighted) end += col;
    const y = labeled ? end : 0;
    if (labeled) end += col;
    return { data, w, y, end };
  }

  /** A rough reserve for parameters, scratch and outputs, so a load fails early rather than a pass. */
  private reserveFor(d: number, k: number, rows: number): number {
    const q = 1 + d + tri(d);
    const blocks = Math.max(1, Math.ceil(rows / this.chunkRows));
    return align(16 * k * q + this.workers * 16 * (k * q + 2 * k + d + 8) + Math.min(OUT_BUDGET, blocks * 8 * (k * q + 1)) + 4 * PAGE, PAGE);
  }

  private ensure(bytes: number): void {
    if (bytes > this.maxBytes) throw new RangeError(`kernel memory of ${bytes} bytes exceeds maxBytes = ${this.maxBytes}`);
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.startFailed(e);
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      for (const t of this.threads) t.unref();
      p.reject(e);
    }
  }

  private onMessage(m: FromWorker): void {
    if (m.type === "ready") { this.workerReady(); return; }
    const p = this.pending;
    if (!p || p.id !== m.id) return;
    if (m.type === "error") p.error ??= m.message;
    if (--p.remaining > 0) return;
    this.pending = undefined;
    for (const t of this.threads) t.unref();
    if (p.error !== undefined) p.reject(new Error(`kernel failed: ${p.error}`));
    else p.resolve();
  }

  private sendModule(file: string): void {
    const module = compiled(file);
    this.threads.forEach((t, i) => {
      if (!this.sent[i].has(file)) {
        t.postMessage({ type: "module", key: file, module });
        this.sent[i].add(file);
      }
    });
  }

  private dispatch(msg: Omit<RunMessage, "type" | "id" | "counter" | "bytes">, limit: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (msg.blocks === 0) return Promise.resolve();
    Atomics.store(new Int32Array(this.memory.buffer, COUNTER, 1), 0, 0);
    const id = ++this.seq;
    const active = this.threads.slice(0, Math.max(1, Math.min(limit, msg.blocks)));
    return new Promise<void>((resolve, reject) => {
      this.pending = { id, remaining: active.length, resolve, reject };
      for (const t of active) {
        t.ref();
        t.postMessage({ ...msg, type: "run", id, counter: COUNTER, bytes: this.memory.buffer.byteLength } satisfies RunMessage);
      }
    });
  }

  private plan(rows: number, outLen: number): { blockRows: number; blocks: number } {
    const chunks = Math.max(1, Math.ceil(rows / this.chunkRows));
    const perBlock = Math.max(1, Math.ceil((chunks * outLen * 8) / OUT_BUDGET));
    const blockRows = perBlock * this.chunkRows;
    return { blockRows, blocks: Math.ceil(rows / blockRows) };
  }

  /** Runs one kernel over all loaded rows; `make` builds it for the loaded data's shape. */
  private pass(options: PassOptions & { labels?: boolean }, make: (s: Store) => Kernel): Promise<{ out: Float64Array; d: number }> {
    return this.serialize(async () => {
      await this.started;
      const s = this.need(options.labels);
      const kernel = make(s);
      const limit = options.workers ?? this.workers;
      this.sendModule(kernel.module);
      const maxRows = s.mode === "resident" ? s.rows : s.bufferRows;
      const { blocks: maxBlocks } = this.plan(maxRows, kernel.outLen);
      // Parameters, scratch and outputs go past the data and past k-means bounds kept for it.
      const params = align(this.top(), 64);
      const scratchBytes = align(kernel.scratchValues * 16, 64);
      const scratch = align(params + kernel.params.length * 16, 64);
      const slotBytes = maxBlocks * kernel.outLen * 8;
      const outs = [align(scratch + this.workers * scratchBytes, 64)];
      outs.push(align(outs[0] + slotBytes, 64));
      this.ensure(outs[s.mode === "resident" ? 0 : 1] + slotBytes);
      let f64 = new Float64Array(this.memory.buffer);
      for (let i = 0; i < kernel.params.length; i++) {
        f64[params / 8 + 2 * i] = kernel.params[i];
        f64[params / 8 + 2 * i + 1] = kernel.params[i];
      }
      const total = new Float64Array(kernel.outLen);
      const reduce = (out: number, blocks: number): void => {
        f64 = new Float64Array(this.memory.buffer);
        for (let b = 0; b < blocks; b++) {
          const o = out / 8 + b * kernel.outLen;
          for (let t = 0; t < kernel.outLen; t++) total[t] += f64[o + t];
        }
      };
      const run = (cols: Columns, rows: number, out: number): { done: Promise<void>; blocks: number } => {
        const { blockRows, blocks } = this.plan(rows, kernel.outLen);
        const done = this.dispatch({
          module: kernel.module, fn: kernel.fn, data: cols.data, stride: s.stride, d: s.d, w: cols.w, y: kernel.y ?? cols.y,
          params, k: kernel.k, scratch, scratchBytes, out, outLen: kernel.outLen, rows, blocks, blockRows,
          chunkRows: this.chunkRows,
        }, limit);
        return { done, blocks };
      };
      if (s.mode === "resident") {
        const r = run(s.cols, s.rows, outs[0]);
        try {
          await r.done;
        } catch (e) {
          kernel.settle?.(null);
          throw e;
        }
        reduce(outs[0], r.blocks);
        kernel.settle?.(total);
        return { out: total, d: s.d };
      }
      let rowsSeen = 0;
      const reader = new ChunkReader(s.source, s.d, s.weighted, s.labeled);
      let inflight: { done: Promise<void>; blocks: number; out: number } | undefined;
      try {
        for (let buf = 0; ; buf ^= 1) {
          const rows = await reader.fill(this.memory, s.bufs[buf], s.stride, s.bufferRows);
          if (inflight) {
            await inflight.done;
            reduce(inflight.out, inflight.blocks);
            inflight = undefined;
          }
          if (rows === 0) break;
          rowsSeen += rows;
          inflight = { ...run(s.bufs[buf], rows, outs[buf]), out: outs[buf] };
        }
      } finally {
        if (inflight) await inflight.done.catch(() => undefined);
      }
      s.rows = rowsSeen;
      return { out: total, d: s.d };
    });
  }
}

/** Copies rows from a chunk source into a buffer, carrying a partly used chunk over. */
class ChunkReader {
  private readonly it: AsyncIterator<ColumnChunk | readonly Float64Array[]>;
  private chunk: ColumnChunk | undefined;
  private offset = 0;
  private done = false;

  constructor(source: ChunkSource, private readonly d: number, private readonly weighted: boolean, private readonly labeled: boolean) {
    this.it = source()[Symbol.asyncIterator]();
  }

  private check(c: ColumnChunk | readonly Float64Array[]): ColumnChunk {
    const chunk: ColumnChunk = Array.isArray(c) ? { columns: c as readonly Float64Array[] } : (c as ColumnChunk);
    if (chunk.columns.length !== this.d) throw new RangeError(`a chunk has ${chunk.columns.length} columns, expected ${this.d}`);
    const n = chunk.columns[0].length;
    chunk.columns.forEach((col, j) => {
      if (col.length !== n) throw new RangeError(`chunk column ${j} has ${col.length} rows, column 0 has ${n}`);
    });
    if (this.weighted !== !!chunk.weights) throw new RangeError(this.weighted ? "a chunk lacks weights" : "a chunk has weights, but the stream was declared unweighted");
    if (this.labeled !== !!chunk.labels) throw new RangeError(this.labeled ? "a chunk lacks labels" : "a chunk has labels, but the stream was declared unlabeled");
    if (chunk.weights && chunk.weights.length !== n) throw new RangeError("chunk weights and columns differ in length");
    if (chunk.labels && chunk.labels.length !== n) throw new RangeError("chunk labels and columns differ in length");
    return chunk;
  }

  /** Fills the buffer with up to `cap` rows; returns the row count (0 at the end). */
  async fill(memory: WasmMemory, cols: Columns, stride: number, cap: number): Promise<number> {
    let rows = 0;
    while (rows < cap) {
      if (!this.chunk || this.offset >= this.chunk.columns[0].length) {
        if (this.done) break;
        const r = await this.it.next();
        if (r.done) {
          this.done = true;
          break;
        }
        this.chunk = this.check(r.value);
        this.offset = 0;
        continue;
      }
      const c = this.chunk;
      const take = Math.min(cap - rows, c.columns[0].length - this.offset);
      const f64 = new Float64Array(memory.buffer);
      const put = (src: Float64Array, at: number): void => f64.set(src.subarray(this.offset, this.offset + take), at / 8 + rows);
      c.columns.forEach((col, j) => put(col, cols.data + j * stride * 8));
      if (c.weights) put(c.weights, cols.w);
      if (c.labels) put(c.labels, cols.y);
      rows += take;
      this.offset += take;
    }
    if (rows % 2 === 1) {
      // The kernels read rows in pairs; keep the unused lane finite.
      const f64 = new Float64Array(memory.buffer);
      for (let j = 0; j < this.d; j++) f64[(cols.data + j * stride * 8) / 8 + rows] = 0;
    }
    return rows;
  }
}

/** The parameters of a linear predictor: coefficients (d), then the intercept. */
function linearParams(coefficients: ArrayLike<number>, intercept: number, d: number): Float64Array {
  if (coefficients.length !== d) throw new RangeError(`coefficients have length ${coefficients.length}, expected ${d}`);
  const p = new Float64Array(d + 1);
  for (let j = 0; j < d; j++) p[j] = coefficients[j];
  p[d] = intercept;
  if (!p.every(Number.isFinite)) throw new RangeError("coefficients and intercept must be finite");
  return p;
}

/**
 * Scratch of the unrolled k-means kernels in 128-bit values (scripts/kernels/generate.mjs): per
 * two row pairs of a block 3 + d (the search's running minimum, second minimum and index, and the
 * four rows in single precision), per pair 1 + d (cost, the pair's rows) and an i32 (the list of
 * pairs searched), then the per-centre sums, k (d + 1), and the search's centre values in single
 * precision, k (d + 1).
 */
function kmeansScratch(k: number, d: number): number {
  const pairs = manifest().kmeansBlockPairs;
  return Math.ceil((pairs * (3 + d)) / 2) + pairs * (1 + d) + Math.ceil(pairs / 4) + 2 * k * (d + 1);
}

/**
 * Parameters of the unrolled k-means kernels (scripts/kernels/generate.mjs): the centres; per
 * centre |c|^2 and -2 c, for the search on the dot form |c|^2 - 2 x.c in single precision; then
 * 2 max |c|^2 + 2^-78 and (d + 6) 2^-23, whose product with |x|^2 + 2 max |c|^2 + 2^-78 bounds
 * twice the search's error (kmeansBlockSearch there says how it is used; 2^-78 (d + 6) 2^-23
 * covers underflow), and 2^126, the scale from which the search's values could overflow. The
 * generic kernel reads the centres only.
 */
function kmeansParams(centres: Float64Array, k: number, d: number): Float64Array {
  const p = new Float64Array(k * d + k * (d + 1) + 3);
  p.set(centres);
  let cmax = 0;
  for (let c = 0; c < k; c++) {
    let n = 0;
    for (let j = 0; j < d; j++) n += centres[c * d + j] * centres[c * d + j];
    const o = k * d + c * (d + 1);
    p[o] = n;
    for (let j = 0; j < d; j++) p[o + 1 + j] = -2 * centres[c * d + j];
    cmax = Math.max(cmax, n);
  }
  p[k * d + k * (d + 1)] = 2 * cmax + 2 ** -78;
  p[k * d + k * (d + 1) + 1] = (d + 6) * 2 ** -23;
  p[k * d + k * (d + 1) + 2] = 2 ** 126;
  return p;
}

/**
 * For the bounded k-means kernel: half the distance from each centre to its nearest other
 * centre (shrunk by the safety factor; +inf for k = 1), and the largest distance a centre moved
 * since `previous` (enlarged by it; 0 without a previous set).
 */
function kmeansGeometry(centres: Float64Array, previous: Float64Array | null, k: number, d: number): { half: Float64Array; moved: number } {
  const dist = (a: Float64Array, i: number, b: Float64Array, j: number): number => {
    let t = 0;
    for (let f = 0; f < d; f++) { const v = a[i * d + f] - b[j * d + f]; t += v * v; }
    return Math.sqrt(t);
  };
  const half = new Float64Array(k).fill(Infinity);
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const h = 0.5 * dist(centres, i, centres, j) * BOUND_SAFETY;
      if (h < half[i]) half[i] = h;
      if (h < half[j]) half[j] = h;
    }
  }
  let moved = 0;
  if (previous) for (let i = 0; i < k; i++) moved = Math.max(moved, dist(centres, i, previous, i));
  return { half, moved: moved / BOUND_SAFETY };
}
