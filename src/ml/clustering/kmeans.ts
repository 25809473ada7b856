/**
 * k-means clustering: k-means|| or random initialisation, then Lloyd iterations whose
 * per-cluster sums and counts come from one pass of a statistics provider per iteration.
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import { IllegalArgumentError, q } from "../../errors.js";
import { Estimator, Model } from "../base/estimator.js";
import { ge, gt, type ParamTable } from "../base/params.js";
import { loadModelDir, registerModel, saveModelDir } from "../base/persistence.js";
import { checkedFeatures, checkTrainingColumns, checkVector, predictionCounts, checkTrainingSummary, kmeansPlusPlus, localLloyd, trainingProvider, prng, sortRows, sqdist, type ProgressCallback, type ProviderChoice } from "../common.js";
import type { StatsProvider, TrainingColumns } from "../stats/provider.js";

export interface KMeansParams {
  featuresCol: string; predictionCol: string; weightCol: string | null;
  k: number; maxIter: number; tol: number; seed: number;
  initMode: "k-means||" | "random"; initSteps: number; distanceMeasure: "euclidean" | "cosine";
  initialModel: { clusterCenters: number[][] } | null;
  statsProvider: ProviderChoice; onProgress: ProgressCallback | null;
}

const PARAMS: ParamTable = [
  { name: "featuresCol", type: "string", default: "features", doc: "Vector column to cluster." },
  { name: "predictionCol", type: "string", default: "prediction", doc: "Output column: index of the nearest centre." },
  { name: "weightCol", type: "string?", default: null, doc: "Optional column of non-negative row weights." },
  { name: "k", type: "int", default: 2, doc: "Number of clusters (> 1).", check: gt(1) },
  { name: "maxIter", type: "int", default: 20, doc: "Maximum number of Lloyd iterations.", check: ge(0) },
  { name: "tol", type: "float", default: 1e-4, doc: "Converged when every centre moves less than tol (Euclidean distance), as in Spark.", check: ge(0) },
  { name: "seed", type: "int", default: 42, doc: "Seed of the initialisation." },
  { name: "initMode", type: "string", default: "k-means||", values: ["k-means||", "random"], doc: "k-means|| (Spark's scalable k-means++ variant, run over a sample of at most 100,000 rows) or random rows." },
  { name: "initSteps", type: "int", default: 2, doc: "Oversampling rounds of k-means||.", check: gt(0) },
  { name: "distanceMeasure", type: "string", default: "euclidean", values: ["euclidean", "cosine"], doc: "euclidean, or cosine (rows are normalised to unit length; cost is Σ(1 − cos))." },
  { name: "initialModel", type: "object?", default: null, doc: "Explicit starting centres { clusterCenters } (overrides initMode)." },
  { name: "statsProvider", type: "string", default: "auto", values: ["auto", "sql", "kernel"], doc: "Where each iteration's statistics are computed (see GaussianMixture)." },
  { name: "onProgress", type: "function?", default: null, doc: "Called after each iteration with { iteration, objective (cost), elapsedMs }." },
];

export interface KMeansSummary {
  readonly k: number;
  /** Σ w·distance² of each row to its nearest centre in the last iteration (before that iteration's update), as Spark reports it; Σ(1 − cos) for cosine. Use computeCost-style evaluation on the final model for scikit-learn's inertia. */
  readonly trainingCost: number;
  readonly numIter: number;
  readonly converged: boolean;
  /** Rows per cluster (counted, not weighted, as Spark counts them). */
  readonly clusterSizes: readonly number[];
  readonly statsProvider: string;
}

const normalise = (v: readonly number[]) => { const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)); return n > 0 ? v.map((x) => x / n) : [...v]; };

/**
 * k-means clustering.
 * @example
 * const model = await new KMeans({ k: 8, seed: 1 }).fit(assembler.transform(df));
 * model.clusterCenters; model.summary.trainingCost;
 */
export class KMeans extends Estimator<KMeansModel> {
  static readonly paramTable = PARAMS;
  constructor(params: Partial<KMeansParams> = {}, uid?: string) { super(PARAMS, params as Record<string, unknown>, uid); }
  copy(overrides: Partial<KMeansParams> = {}): KMeans { return new KMeans({ ...(this.getParams() as Partial<KMeansParams>), ...overrides }, this.uid); }

  async fit(df: DataFrame): Promise<KMeansModel> {
    this.params.validate();
    const p = this.getParams() as unknown as KMeansParams;
    const t0 = performance.now();
    await checkTrainingColumns(df, p, "KMeans");
    const cosine = p.distanceMeasure === "cosine";
    const cols: TrainingColumns = { featuresCol: p.featuresCol, labelCol: null, weightCol: p.weightCol };
    const { provider, d, n } = await trainingProvider(df, cols, "KMeans", p.statsProvider, { center: !cosine, normalize: cosine });
    try {
      if (p.k > n) throw new IllegalArgumentError(`KMeans: k = ${p.k} is larger than the number of rows (${n}); use k <= ${n}.`, "K_TOO_LARGE");
      const summary = await provider.summary();
      checkTrainingSummary(summary, "KMeans", cols, cosine ? " (or zero vectors, for which cosine distance is undefined)" : "");
      const shift = provider.shift ?? new Float64Array(d);
      let centers: number[][];
      if (p.initialModel) {
        const c = p.initialModel.clusterCenters;
        if (c.length !== p.k || c.some((r) => r.length !== d)) throw new IllegalArgumentError(`KMeans: initialModel needs ${p.k} centres of ${d} features.`, "INVALID_PARAM");
        centers = c.map((r) => (cosine ? normalise(r) : r.map((v, a) => v - shift[a])));
      } else {
        centers = await this.initialise(provider, p);
      }
      let iter = 0, converged = false, lastCost = NaN;
      for (; iter < p.maxIter; iter++) {
        const s = await provider.kmeans(centers);
        lastCost = s.cost;
        p.onProgress?.({ estimator: "KMeans", iteration: iter + 1, objective: cosine ? s.cost / 2 : s.cost, elapsedMs: performance.now() - t0 });
        let moved = 0;
        // An empty cluster keeps its centre, as in Spark.
        const next = centers.map((c, j) => {
          if (!(s.counts[j] > 0)) return c;
          let m = Array.from({ length: d }, (_, a) => s.sums[j * d + a] / s.counts[j]);
          if (cosine) m = normalise(m);
          moved = Math.max(moved, Math.sqrt(sqdist(m, c)));
          return m;
        });
        centers = next;
        if (moved <= p.tol) { converged = true; iter++; break; }
      }
      const fin = await provider.kmeans(centers);
      // Spark's trainingCost is the cost of the last iteration's assignment (before its update).
      if (Number.isNaN(lastCost)) lastCost = fin.cost;
      const model = new KMeansModel({ ...p, onProgress: null }, centers.map((c) => (cosine ? c : c.map((v, a) => v + shift[a]))), this.uid);
      model.summary = { k: p.k, trainingCost: cosine ? lastCost / 2 : lastCost, numIter: iter, converged, clusterSizes: p.weightCol ? await predictionCounts(model.transform(df), p.predictionCol, p.k) : Array.from(fin.counts), statsProvider: provider.name };
      return model;
    } finally {
      await provider.close();
    }
  }

  private async initialise(provider: StatsProvider, p: KMeansParams): Promise<number[][]> {
    const rand = prng(p.seed);
    const sample = sortRows(await provider.sample(100000, p.seed));
    if (sample.length < p.k) throw new IllegalArgumentError(`KMeans: only ${sample.length} distinct rows to pick ${p.k} centres from.`, "K_TOO_LARGE");
    if (p.initMode === "random") {
      const picked = new Set<number>();
      while (picked.size < p.k) picked.add(Math.floor(rand() * sample.length));
      return [...picked].map((i) => [...sample[i]]);
    }
    // k-means||: oversample 2k candidates per round with probability ∝ distance², then reduce
    // the weighted candidates to k with k-means++ and Lloyd steps (as Spark's LocalKMeans does).
    const cands: number[][] = [[...sample[Math.floor(rand() * sample.length)]]];
    const best = sample.map((x) => sqdist(x, cands[0]));
    for (let step = 0; step < p.initSteps; step++) {
      const cost = best.reduce((a, b) => a + b, 0);
      if (!(cost > 0)) break;
      const added: number[][] = [];
      sample.forEach((x, i) => { if (rand() < (2 * p.k * best[i]) / cost) added.push([...x]); });
      for (const c of added) { cands.push(c); sample.forEach((x, i) => { best[i] = Math.min(best[i], sqdist(x, c)); }); }
    }
    if (cands.length <= p.k) {
      while (cands.length < p.k) cands.push([...sample[Math.floor(rand() * sample.length)]]);
      return cands;
    }
    const weights = new Array<number>(cands.length).fill(0);
    for (const x of sample) { let bj = 0, bd = Infinity; cands.forEach((c, j) => { const dd = sqdist(x, c); if (dd < bd) { bd = dd; bj = j; } }); weights[bj]++; }
    return localLloyd(cands, weights, kmeansPlusPlus(cands, weights, p.k, rand), 30);
  }
}

/** A fitted k-means model. */
export class KMeansModel extends Model {
  summary: KMeansSummary | null = null;
  constructor(params: Partial<KMeansParams>, readonly clusterCenters: number[][], uid?: string) {
    super(PARAMS, { ...params, onProgress: null, initialModel: null } as Record<string, unknown>, uid);
  }
  copy(overrides: Partial<KMeansParams> = {}): KMeansModel {
    const m = new KMeansModel({ ...(this.getParams() as Partial<KMeansParams>), ...overrides }, this.clusterCenters, this.uid);
    m.summary = this.summary;
    return m;
  }
  /** The nearest centre's index. */
  predict(x: readonly number[]): number {
    checkVector(x, this.clusterCenters[0].length, "KMeansModel");
    const cosine = this.getParam("distanceMeasure") === "cosine";
    const v = cosine ? normalise(x) : x;
    let bj = 0, bd = Infinity;
    this.clusterCenters.forEach((c, j) => { const dd = sqdist(v, c); if (dd < bd) { bd = dd; bj = j; } });
    return bj;
  }
  /** Adds `predictionCol` (int): the nearest centre; lazy. */
  transform(df: DataFrame): DataFrame {
    const p = this.getParams() as unknown as KMeansParams;
    const d = this.clusterCenters[0].length;
    const vec = `__km_x_${this.uid}`;
    const checked = checkedFeatures(df, p.featuresCol, d, "KMeansModel", vec);
    let x = checked.x;
    if (p.distanceMeasure === "cosine") {
      const norm = F.sqrt(x.map((c) => c.multiply(c)).reduce((s, v) => s.plus(v)));
      const zero = F.raise_error(`KMeansModel: the column ${q(p.featuresCol)} has a zero vector, for which cosine distance is undefined; drop those rows first.`);
      x = x.map((c) => F.when(norm.eq(0), zero).otherwise(c.divide(norm)));
    }
    const tmp = (j: number) => `__km_d${j}_${this.uid}`;
    let out = checked.df;
    this.clusterCenters.forEach((c, j) => { out = out.withColumn(tmp(j), x.map((xi, a) => xi.minus(c[a]).multiply(xi.minus(c[a]))).reduce((s, v) => s.plus(v))); });
    const ds = this.clusterCenters.map((_, j) => F.col(tmp(j)));
    const mn = `__km_min_${this.uid}`;
    out = out.withColumn(mn, F.least(...ds));
    let pred = F.when(ds[0].eq(F.col(mn)), 0);
    for (let j = 1; j < ds.length; j++) pred = pred.when(ds[j].eq(F.col(mn)), j);
    return out.withColumn(p.predictionCol, checked.orNull(pred.otherwise(0)).cast("int")).drop(...ds.map((_, j) => tmp(j)), mn, vec);
  }
  async save(path: string, options: { overwrite?: boolean } = {}): Promise<void> {
    await saveModelDir(path, { className: "KMeansModel", uid: this.uid, params: this.params.toJSON(), data: { clusterCenters: this.clusterCenters } }, options.overwrite ?? false);
  }
  static async load(path: string): Promise<KMeansModel> {
    const { uid, params, data } = await loadModelDir(path, "KMeansModel");
    return new KMeansModel(params as Partial<KMeansParams>, (data as { clusterCenters: number[][] }).clusterCenters, uid);
  }
}

registerModel("KMeansModel", (path) => KMeansModel.load(path));
