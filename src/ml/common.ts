/**
 * Shared pieces of the estimators: training-column checks, the statistics-provider choice,
 * a seeded PRNG, k-means++ seeding, and progress reporting.
 */
import type { DataFrame } from "../api/dataframe.js";
import { F } from "../api/functions.js";
import type { Column } from "../api/column.js";
import { AnalysisError, IllegalArgumentError, q } from "../errors.js";
import { isNumericType, typeToString, type DataType, type StructType } from "../plan/types.js";
import type { Centering, StatsProvider, SummaryStats, TrainingColumns } from "./stats/provider.js";
import { SqlStatsProvider } from "./stats/sql-provider.js";

/** What `onProgress` receives after each iteration of a long fit. */
export interface FitProgress {
  readonly estimator: string;
  readonly iteration: number;
  readonly objective: number;
  readonly elapsedMs: number;
}
export type ProgressCallback = (p: FitProgress) => void;

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same draws everywhere. */
export function prng(seed: number): () => number {
  let a = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The type of field `col` of `schema` (case-insensitive); when missing, an error listing the columns there are. */
function field(schema: StructType, col: string, missing: string, hint = ""): DataType {
  const f = schema.fields.find((x) => x.name.toLowerCase() === col.toLowerCase());
  if (!f) throw new AnalysisError(`${missing} Columns: [${schema.fields.map((x) => q(x.name)).join(", ")}].${hint}`, "UNRESOLVED_COLUMN");
  return f.type;
}

/**
 * Checks the training columns of a fit against one resolution of the frame's schema: the
 * features column is a vector (array of numbers), the label and weight columns (when given) are
 * numeric.
 */
export async function checkTrainingColumns(df: DataFrame, cols: { readonly featuresCol: string; readonly labelCol?: string | null; readonly weightCol?: string | null }, owner: string): Promise<void> {
  const schema = await df.schema();
  const fc = cols.featuresCol;
  const t = field(schema, fc, `${owner}: the features column ${q(fc)} does not exist.`, ` Build it with new VectorAssembler({ inputCols: [...], outputCol: ${JSON.stringify(fc)} }).`);
  if (!(typeof t === "object" && t.type === "array" && isNumericType(t.elementType))) {
    throw new AnalysisError(`${owner}: the features column ${q(fc)} has type ${typeToString(t)}, but a vector (array<double>) is needed. Build it with VectorAssembler.`, "DATATYPE_MISMATCH");
  }
  for (const [role, col] of [["label", cols.labelCol], ["weight", cols.weightCol]] as const) {
    if (!col) continue;
    const ct = field(schema, col, `${owner}: the ${role} column ${q(col)} does not exist.`);
    if (!isNumericType(ct) && ct !== "boolean") throw new AnalysisError(`${owner}: the ${role} column ${q(col)} has type ${typeToString(ct)}; it must be numeric.`, "DATATYPE_MISMATCH");
  }
}

/** Aggregates over a vector column that `checkVectorLengths` reads: lo, hi (its lengths), n (rows), nulls. */
export function vectorLengthAggs(col: string): Column[] {
  return [F.min(F.size(col)).alias("lo"), F.max(F.size(col)).alias("hi"), F.count("*").alias("n"),
    F.sum(F.when(F.col(col).isNull(), 1).otherwise(0)).alias("nulls")];
}

/** The vector length, from a row of `vectorLengthAggs`; throws unless every row has that length. */
export function checkVectorLengths(r: Readonly<Record<string, unknown>>, col: string, owner: string): { d: number; n: number } {
  const n = Number(r["n"]);
  if (n === 0) throw new IllegalArgumentError(`${owner}: the training data has no rows.`, "EMPTY_DATA");
  const lo = Number(r["lo"]), hi = Number(r["hi"]);
  if (r["lo"] === null || lo < 0 || Number(r["nulls"]) > 0) throw new IllegalArgumentError(`${owner}: the features column ${q(col)} has null vectors; drop those rows (df.na.drop()) or use VectorAssembler's handleInvalid.`, "NULL_FEATURES");
  if (lo !== hi) throw new IllegalArgumentError(`${owner}: feature vectors in ${q(col)} have different lengths (${lo} to ${hi}); every row needs the same number of features.`, "FEATURE_LENGTH_MISMATCH");
  if (lo === 0) throw new IllegalArgumentError(`${owner}: the feature vectors in ${q(col)} are empty.`, "EMPTY_FEATURES");
  return { d: lo, n };
}

/** The vector length, checked to be the same on every row. */
export async function featureDimension(df: DataFrame, col: string, owner: string): Promise<{ d: number; n: number }> {
  return checkVectorLengths((await df.agg(...vectorLengthAggs(col)).collect())[0], col, owner);
}

/**
 * The length of the first non-null vector of `col`, or null when there is none or it is empty:
 * a guess that a later aggregate (`vectorLengthAggs`) or a row-by-row check must confirm. It
 * reads a few rows, where the full check reads them all.
 */
export async function probeVectorLength(df: DataFrame, col: string): Promise<number | null> {
  const rows = await df.filter(F.col(col).isNotNull()).select(F.size(col).alias("d")).limit(1).collect();
  const d = rows.length ? Number(rows[0]["d"]) : 0;
  return d > 0 ? d : null;
}

/**
 * Throws the estimator's error for training rows it cannot use: a null, NaN or infinite feature,
 * a null, NaN or infinite label, a null, NaN, infinite or negative weight (Spark ML rejects
 * negative weights too). `featureHint` adds to the features message (e.g. why a row is invalid).
 */
export function checkTrainingSummary(s: SummaryStats, owner: string, cols: TrainingColumns, featureHint = ""): void {
  const rowsHave = (n: number): string => (n === 1 ? "1 row has" : `${n} rows have`);
  if (s.invalidRows > 0) throw new IllegalArgumentError(`${owner}: ${rowsHave(s.invalidRows)} null, NaN or infinite features in ${q(cols.featuresCol)}${featureHint}; drop or impute them first (VectorAssembler's handleInvalid "skip" drops null and NaN inputs).`, "INVALID_FEATURES");
  if (cols.labelCol !== null && s.nullLabels > 0) throw new IllegalArgumentError(`${owner}: ${rowsHave(s.nullLabels)} a null label in ${q(cols.labelCol)}; drop them first.`, "NULL_LABEL");
  if (cols.labelCol !== null && s.nonFiniteLabels > 0) throw new IllegalArgumentError(`${owner}: ${rowsHave(s.nonFiniteLabels)} a NaN or infinite label in ${q(cols.labelCol)}; drop them first.`, "INVALID_LABEL");
  if (cols.weightCol !== null && s.invalidWeights > 0) throw new IllegalArgumentError(`${owner}: ${rowsHave(s.invalidWeights)} a null, NaN, infinite or negative weight in ${q(cols.weightCol)}; weights must be finite and >= 0.`, "INVALID_WEIGHT");
  if (cols.weightCol !== null && !(s.weightSum > 0)) throw new IllegalArgumentError(`${owner}: the weights in ${q(cols.weightCol)} sum to ${s.weightSum}; at least one row needs a positive weight.`, "EMPTY_DATA");
}

/**
 * For a model's transform: `df` with a temporary column `name` holding its features vector
 * checked against the model's d features (a null vector stays null, and so do the outputs the
 * caller derives from it; a vector of another length fails the query with the model's error), the
 * d elements of that column as doubles, and `orNull(v)`, which gives null where the vector or one
 * of its elements is null.
 */
export function checkedFeatures(df: DataFrame, col: string, d: number, owner: string, name: string): { df: DataFrame; x: Column[]; orNull: (v: Column) => Column } {
  const f = F.col(col), t = F.col(name);
  const checked = F.when(f.isNull(), F.lit(null))
    .when(F.size(f).ne(d), F.raise_error(`${owner}: the column ${q(col)} has a vector whose length is not ${d}, the number of features the model was fitted on.`))
    .otherwise(f);
  const x = Array.from({ length: d }, (_, i) => t.getItem(i).cast("double"));
  // A null vector, or a null element in it, has no prediction (NaN elements predict as Spark does).
  const missing = x.reduce((a, e) => a.or(e.isNull()), t.isNull());
  return { df: df.withColumn(name, checked), x, orNull: (v) => F.when(missing, F.lit(null)).otherwise(v) };
}

/** Throws unless the vector `x` given to a model's predict has the model's d features. */
export function checkVector(x: readonly number[], d: number, owner: string): void {
  if (x.length !== d) throw new IllegalArgumentError(`${owner}: expected a vector of ${d} features, got ${x.length}.`, "FEATURE_LENGTH_MISMATCH");
}

/** Rows per predicted cluster 0..k-1 in a model's output (rows without a prediction are not counted). */
export async function predictionCounts(predictions: DataFrame, predictionCol: string, k: number): Promise<number[]> {
  const rows = await predictions.groupBy(predictionCol).count().collect();
  const sizes = new Array<number>(k).fill(0);
  for (const r of rows) if (r[predictionCol] !== null) sizes[Number(r[predictionCol])] = Number(r["count"]);
  return sizes;
}

/** Which statistics provider a fit uses: "auto" prefers the in-process kernels when available. */
export type ProviderChoice = "auto" | "sql" | "kernel";

/**
 * Creates the provider for one fit and finds the vector length d and the row count n: on the
 * embedded engine, WebAssembly kernels over a copy in their memory when the data fits the
 * budget, else over the rows streamed from the engine on every pass; on Spark (or with
 * "sql") one engine aggregate per pass.
 * @param owner the estimator, for error messages
 */
export async function trainingProvider(df: DataFrame, cols: TrainingColumns, owner: string, choice: ProviderChoice, opts: { center?: Centering; normalize?: boolean } = {}): Promise<{ provider: StatsProvider; d: number; n: number }> {
  const o = { center: opts.center ?? false, normalize: opts.normalize ?? false };
  const embedded = df.session.backendName === "duckdb";
  if (choice === "kernel" && !embedded) {
    throw new IllegalArgumentError(`statsProvider "kernel" needs the embedded engine (this session runs on ${df.session.backendName}); use "sql" or "auto".`, "KERNEL_UNAVAILABLE");
  }
  let dim: { d: number; n: number } | null = null;
  const dimension = async () => (dim ??= await featureDimension(df, cols.featuresCol, owner));
  if (choice !== "sql" && embedded) {
    const { KernelStatsProvider } = await import("./stats/kernel-provider.js");
    return KernelStatsProvider.create(df, cols, { ...o, featureDimension: dimension });
  }
  const { d, n } = await dimension();
  return { provider: await SqlStatsProvider.create(df, cols, d, o), d, n };
}

/**
 * Linear predictors of rows [r0, r0 + m) of columns `x` into out[0..m): intercept + c0·x0 + c1·x1
 * + ..., added in that order (the same bits as row by row). Four columns per sweep over `out`.
 */
export function linearPredictors(out: Float64Array, x: readonly Float64Array[], coef: ArrayLike<number>, intercept: number, r0: number, m: number): void {
  out.fill(intercept, 0, m);
  const d = x.length;
  let i = 0;
  for (; i + 3 < d; i += 4) {
    const x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3], c0 = coef[i], c1 = coef[i + 1], c2 = coef[i + 2], c3 = coef[i + 3];
    for (let r = 0; r < m; r++) out[r] = (((out[r] + c0 * x0[r0 + r]) + c1 * x1[r0 + r]) + c2 * x2[r0 + r]) + c3 * x3[r0 + r];
  }
  for (; i < d; i++) {
    const col = x[i], c = coef[i];
    for (let r = 0; r < m; r++) out[r] += c * col[r0 + r];
  }
}

/** Squared Euclidean distance. */
export function sqdist(a: ArrayLike<number>, b: ArrayLike<number>): number { let s = 0; for (let i = 0; i < a.length; i++) { const t = a[i] - b[i]; s += t * t; } return s; }

/**
 * k-means++ seeding over (weighted) points: the first centre uniformly, each next one with
 * probability proportional to weight × squared distance to the nearest chosen centre.
 */
export function kmeansPlusPlus(points: readonly (readonly number[])[], weights: readonly number[] | null, k: number, rand: () => number): number[][] {
  const n = points.length;
  const w = (i: number) => (weights ? weights[i] : 1);
  const centers: number[][] = [];
  let total = 0;
  for (let i = 0; i < n; i++) total += w(i);
  let r = rand() * total, first = 0;
  for (; first < n - 1; first++) { r -= w(first); if (r <= 0) break; }
  centers.push([...points[first]]);
  const best = points.map((p) => sqdist(p, centers[0]));
  while (centers.length < k) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += w(i) * best[i];
    let pick = -1;
    if (sum > 0) {
      let t = rand() * sum;
      for (let i = 0; i < n; i++) { t -= w(i) * best[i]; if (t <= 0 && w(i) * best[i] > 0) { pick = i; break; } }
      if (pick < 0) for (let i = n - 1; i >= 0; i--) if (w(i) * best[i] > 0) { pick = i; break; }
    }
    if (pick < 0) pick = Math.floor(rand() * n);
    centers.push([...points[pick]]);
    for (let i = 0; i < n; i++) best[i] = Math.min(best[i], sqdist(points[i], centers[centers.length - 1]));
  }
  return centers;
}

/** Lloyd iterations on in-memory weighted points (used to refine seeds on a sample). */
export function localLloyd(points: readonly (readonly number[])[], weights: readonly number[] | null, centers: number[][], iterations: number): number[][] {
  const d = centers[0].length;
  let cur = centers.map((c) => [...c]);
  for (let it = 0; it < iterations; it++) {
    const sums = cur.map(() => new Array<number>(d).fill(0));
    const cnt = new Array<number>(cur.length).fill(0);
    points.forEach((p, i) => {
      let bj = 0, bd = Infinity;
      cur.forEach((c, j) => { const dd = sqdist(p, c); if (dd < bd) { bd = dd; bj = j; } });
      const w = weights ? weights[i] : 1;
      cnt[bj] += w;
      for (let a = 0; a < d; a++) sums[bj][a] += w * p[a];
    });
    cur = cur.map((c, j) => (cnt[j] > 0 ? sums[j].map((s) => s / cnt[j]) : c));
  }
  return cur;
}

/** Sorts rows lexicographically so a sample's order never depends on the engine's scan order. */
export function sortRows(rows: number[][]): number[][] {
  return rows.sort((a, b) => { for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i]; return 0; });
}
