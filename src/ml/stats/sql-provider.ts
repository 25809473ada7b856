/**
 * Training statistics as one aggregate query per pass, built with the public DataFrame API so
 * it compiles for every backend: on Spark the pass runs on the cluster; on the embedded engine
 * DuckDB runs it on all cores and can spill, so data larger than memory trains too.
 */
import { F } from "../../api/functions.js";
import { Column } from "../../api/column.js";
import type { DataFrame } from "../../api/dataframe.js";
import { shiftFor, type Centering } from "./provider.js";
import type { BatchSpec, GlmStats, GmmPrecomputed, GmmStats, GramStats, KMeansStats, StatsProvider, SummaryStats, TrainingColumns } from "./provider.js";

const lit = (v: number) => F.lit(v);
const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));

/** Σ terms, built as a balanced tree so deep expressions stay shallow. */
function sum(terms: Column[]): Column {
  if (terms.length === 0) return lit(0);
  while (terms.length > 1) {
    const next: Column[] = [];
    for (let i = 0; i < terms.length; i += 2) next.push(i + 1 < terms.length ? terms[i].plus(terms[i + 1]) : terms[i]);
    terms = next;
  }
  return terms[0];
}

/**
 * A pass's parameters (GMM constants, centres, coefficients), read through `p(i)`. On the embedded
 * engine they are literals. On Spark they are one array literal that every row reads, kept from
 * being folded into the expressions by a CASE on a column: Spark generates and compiles Java code
 * for each distinct query, and inlines double literals into it, so new parameters every iteration
 * meant a new compilation every iteration (about 2 s per EM iteration for k = 5, d = 8 on a local
 * server, more than the pass itself); an array literal is passed to the generated code as an
 * object, so every iteration's query compiles to the same code and Spark reuses it.
 * @param guard a column of `rows` that is null only where the row is skipped anyway
 */
function withParams(rows: DataFrame, values: readonly number[], guard: Column): { df: DataFrame; p: (i: number) => Column } {
  if (rows.session.backendName === "duckdb") return { df: rows, p: (i) => lit(values[i]) };
  const array = F.array(...values.map((v) => lit(v))).cast("array<double>");
  return { df: rows.withColumn("p_", F.when(guard.isNotNull(), array)), p: (i) => F.col("p_").getItem(i) };
}

/** True for NaN and ±Infinity (null for null). */
function nonFinite(c: Column): Column { return c.isNaN().or(F.abs(c).eq(F.lit(Infinity))); }

export class SqlStatsProvider implements StatsProvider {
  readonly name = "sql";
  private readonly x: Column[];
  private readonly w: Column;
  private readonly y: Column;

  private constructor(readonly d: number, private readonly base: DataFrame, private readonly weighted: boolean, hasLabel: boolean, readonly shift: Float64Array | null) {
    this.x = Array.from({ length: d }, (_, i) => F.col(`x${i}`));
    this.w = weighted ? F.col("w") : lit(1);
    this.y = hasLabel ? F.col("y") : lit(0);
  }

  /**
   * Projects the training columns (features split into x0..x{d-1}, label y, weight w) and caches
   * them, as Spark ML caches its input, so each pass reads them once.
   */
  static async create(df: DataFrame, cols: TrainingColumns, d: number, opts: { cache?: boolean; center?: Centering; normalize?: boolean } = {}): Promise<SqlStatsProvider> {
    const f = F.col(cols.featuresCol);
    let xs: Column[] = Array.from({ length: d }, (_, i) => f.getItem(i).cast("double"));
    if (opts.normalize) {
      const norm = F.sqrt(sum(xs.map((x) => x.multiply(x))));
      // A zero vector has no direction: null elements, so the fit counts it as an invalid row.
      xs = xs.map((x) => F.when(norm.gt(0), x.divide(norm)));
    }
    let shift: Float64Array | null = null;
    if (opts.center) {
      // Means (and second moments) of the finite values: a NaN or infinite one must not shift the
      // others (the summary counts it).
      const finite = xs.map((x) => F.when(nonFinite(x).not(), x));
      const r = (await df.agg(...finite.flatMap((x, i) => [F.avg(x).alias(`m${i}`), F.avg(x.multiply(x)).alias(`q${i}`)])).collect())[0];
      const s = Float64Array.from(xs, (_, i) => shiftFor(opts.center!, num(r[`m${i}`]) || 0, num(r[`q${i}`]) || 0));
      if (s.some((v) => v !== 0)) {
        shift = s;
        xs = xs.map((x, i) => (s[i] !== 0 ? x.minus(s[i]) : x));
      }
    }
    const items: Column[] = xs.map((x, i) => x.alias(`x${i}`));
    if (cols.labelCol) items.push(F.col(cols.labelCol).cast("double").alias("y"));
    if (cols.weightCol) items.push(F.col(cols.weightCol).cast("double").alias("w"));
    let base = df.select(...items);
    if (opts.cache !== false) base = base.cache();
    return new SqlStatsProvider(d, base, cols.weightCol !== null, cols.labelCol !== null, shift);
  }

  private rows(batch: BatchSpec | null): DataFrame { return batch ? this.base.sample(batch.fraction, batch.seed) : this.base; }

  async summary(): Promise<SummaryStats> {
    const d = this.d;
    const aggs: Column[] = [F.count("*").alias("n"), F.sum(this.w).alias("sw"), F.sum(this.w.multiply(this.w)).alias("sww"),
      F.sum(this.w.multiply(this.y)).alias("sy"), F.sum(this.w.multiply(this.y).multiply(this.y)).alias("syy")];
    const count = (c: Column): Column => F.sum(F.when(c, 1).otherwise(0));
    const invalid = this.x.map((x) => x.isNull().or(nonFinite(x)));
    aggs.push(count(invalid.reduce((a, b) => a.or(b), F.lit(false))).alias("bad"));
    if (this.weighted) aggs.push(count(this.w.isNull().or(nonFinite(this.w)).or(this.w.lt(0))).alias("badw"));
    for (let i = 0; i < d; i++) {
      const x = this.x[i];
      aggs.push(F.sum(this.w.multiply(x)).alias(`s${i}`), F.sum(this.w.multiply(x).multiply(x)).alias(`q${i}`), F.min(x).alias(`lo${i}`), F.max(x).alias(`hi${i}`));
    }
    const hasLabel = this.y.expr.kind === "ColumnExpr";
    if (hasLabel) aggs.push(count(this.y.isNull()).alias("nully"), count(this.y.isNotNull().and(nonFinite(this.y))).alias("nany"));
    const r = (await this.base.agg(...aggs).collect())[0];
    const n = num(r["n"]), sw = num(r["sw"]), sww = num(r["sww"]);
    const denom = sw - sww / sw;
    const mean = new Float64Array(d), variance = new Float64Array(d), min = new Float64Array(d), max = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      const m = num(r[`s${i}`]) / sw;
      const m2 = num(r[`q${i}`]) - sw * m * m;
      variance[i] = denom > 0 ? Math.max(0, m2 / denom) : 0;
      // Report in the data's own coordinates even when the provider works on shifted ones.
      const sh = this.shift ? this.shift[i] : 0;
      mean[i] = m + sh;
      min[i] = num(r[`lo${i}`]) + sh; max[i] = num(r[`hi${i}`]) + sh;
    }
    const labelMean = (num(r["sy"]) || 0) / sw;
    const ym2 = Math.max(0, (num(r["syy"]) || 0) - sw * labelMean * labelMean);
    let labels: Map<number, number> | null = null;
    if (hasLabel) {
      labels = new Map();
      const rows = await this.base.filter(this.y.isNotNull()).groupBy(this.y.alias("label")).agg(F.sum(this.w).alias("sw")).collect();
      for (const row of rows) labels.set(num(row["label"]), num(row["sw"]));
    }
    return { count: n, weightSum: sw, mean, variance, min, max, invalidRows: num(r["bad"]) || 0, labels, nullLabels: hasLabel ? num(r["nully"]) || 0 : 0,
      nonFiniteLabels: hasLabel ? num(r["nany"]) || 0 : 0, invalidWeights: this.weighted ? num(r["badw"]) || 0 : 0,
      labelMean, labelVariance: denom > 0 ? ym2 / denom : 0, labelVariancePop: ym2 / sw };
  }

  async gmm(p: GmmPrecomputed): Promise<GmmStats> {
    const { k, d } = p;
    // Parameters per component: c_j, then b_j, then the lower triangle of A_j by rows.
    const values: number[] = [];
    for (let j = 0; j < k; j++) {
      values.push(p.logConst[j], ...p.b[j]);
      for (let i = 0; i < d; i++) values.push(...p.A[j][i].slice(0, i + 1));
    }
    const { df, p: param } = withParams(this.base, values, this.x[0]);
    // logp_j = c_j − ½‖A_j x − b_j‖², then log-sum-exp over components, then responsibilities.
    const logp: Column[] = [];
    const per = 1 + d + (d * (d + 1)) / 2;
    for (let j = 0; j < k; j++) {
      const at = (i: number, c: number) => param(j * per + 1 + d + (i * (i + 1)) / 2 + c);
      const z = Array.from({ length: d }, (_, i) => sum(Array.from({ length: i + 1 }, (_, c) => this.x[c].multiply(at(i, c)))).minus(param(j * per + 1 + i)));
      logp.push(param(j * per).minus(sum(z.map((zi) => zi.multiply(zi))).multiply(0.5)));
    }
    const stage1 = df.select(...this.x, this.w.alias("w_"), ...logp.map((c, j) => c.alias(`lp${j}`)));
    const lp = Array.from({ length: k }, (_, j) => F.col(`lp${j}`));
    const m = k === 1 ? lp[0] : F.greatest(...lp.map((c) => c));
    const stage2 = stage1.withColumn("mx", m);
    const lse = F.col("mx").plus(F.log(sum(lp.map((c) => F.exp(c.minus(F.col("mx")))))));
    const stage3 = stage2.withColumn("lse", lse).select(...this.x, F.col("w_"), F.col("lse"), ...lp.map((c, j) => F.exp(c.minus(F.col("lse"))).multiply(F.col("w_")).alias(`r${j}`)));
    const aggs: Column[] = [F.sum("w_").alias("sw"), F.sum(F.col("lse").multiply(F.col("w_"))).alias("ll")];
    for (let j = 0; j < k; j++) {
      const r = F.col(`r${j}`);
      aggs.push(F.sum(r).alias(`n${j}`));
      for (let a = 0; a < d; a++) {
        aggs.push(F.sum(r.multiply(this.x[a])).alias(`m${j}_${a}`));
        for (let b = 0; b <= a; b++) aggs.push(F.sum(r.multiply(this.x[a]).multiply(this.x[b])).alias(`c${j}_${a}_${b}`));
      }
    }
    const row = (await stage3.agg(...aggs).collect())[0];
    const sumR = new Float64Array(k), sumRX = new Float64Array(k * d), sumRXX = new Float64Array(k * d * d);
    for (let j = 0; j < k; j++) {
      sumR[j] = num(row[`n${j}`]);
      for (let a = 0; a < d; a++) {
        sumRX[j * d + a] = num(row[`m${j}_${a}`]);
        for (let b = 0; b <= a; b++) {
          const v = num(row[`c${j}_${a}_${b}`]);
          sumRXX[j * d * d + a * d + b] = v;
          sumRXX[j * d * d + b * d + a] = v;
        }
      }
    }
    return { weightSum: num(row["sw"]), logLik: num(row["ll"]), sumR, sumRX, sumRXX };
  }

  async kmeans(centers: readonly (readonly number[])[]): Promise<KMeansStats> {
    const k = centers.length, d = this.d;
    const { df, p } = withParams(this.base, centers.flat(), this.x[0]);
    const dist = centers.map((_, j) => sum(this.x.map((x, i) => x.minus(p(j * d + i)).multiply(x.minus(p(j * d + i))))));
    const stage1 = df.select(...this.x, this.w.alias("w_"), ...dist.map((c, j) => c.alias(`d${j}`)));
    const ds = Array.from({ length: k }, (_, j) => F.col(`d${j}`));
    const best = k === 1 ? ds[0] : F.least(...ds);
    let cluster = F.when(ds[0].eq(F.col("best")), 0);
    for (let j = 1; j < k; j++) cluster = cluster.when(ds[j].eq(F.col("best")), j);
    const stage2 = stage1.withColumn("best", best).withColumn("cluster", cluster.otherwise(0));
    const aggs: Column[] = [F.sum("w_").alias("cnt"), F.sum(F.col("best").multiply(F.col("w_"))).alias("cost")];
    for (let i = 0; i < d; i++) aggs.push(F.sum(this.x[i].multiply(F.col("w_"))).alias(`s${i}`));
    const rows = await stage2.groupBy("cluster").agg(...aggs).collect();
    const counts = new Float64Array(k), sums = new Float64Array(k * d);
    let cost = 0;
    for (const r of rows) {
      const j = num(r["cluster"]);
      counts[j] = num(r["cnt"]);
      cost += num(r["cost"]);
      for (let i = 0; i < d; i++) sums[j * d + i] = num(r[`s${i}`]);
    }
    return { counts, sums, cost };
  }

  /** β·x + β0 with β_i = p(offset + i) and β0 = p(offset + d). */
  private margin(p: (i: number) => Column, offset: number): Column {
    return sum([p(offset + this.d), ...this.x.map((x, i) => x.multiply(p(offset + i)))]);
  }

  async binomial(beta: Float64Array, intercept: number, batch: BatchSpec | null): Promise<GlmStats> {
    const d = this.d;
    const m = F.col("m");
    const { df, p } = withParams(this.rows(batch), [...beta, intercept], this.x[0]);
    const stage = df.select(...this.x, this.y.alias("y_"), this.w.alias("w_"), this.margin(p, 0).alias("m"));
    // log(1 + e^m) − y·m, written to stay finite for large |m|.
    const loss = F.log(lit(1).plus(F.exp(F.abs(m).negate()))).plus(F.greatest(m, lit(0))).minus(F.col("y_").multiply(m));
    const resid = lit(1).divide(lit(1).plus(F.exp(m.negate()))).minus(F.col("y_"));
    const stage2 = stage.select(...this.x, F.col("w_"), loss.multiply(F.col("w_")).alias("l"), resid.multiply(F.col("w_")).alias("e"));
    const aggs: Column[] = [F.sum("w_").alias("sw"), F.sum("l").alias("loss"), F.sum("e").alias("g0")];
    for (let i = 0; i < d; i++) aggs.push(F.sum(F.col("e").multiply(this.x[i])).alias(`g${i + 1}`));
    const r = (await stage2.agg(...aggs).collect())[0];
    const grad = new Float64Array(d + 1);
    for (let i = 0; i < d; i++) grad[i] = num(r[`g${i + 1}`]);
    grad[d] = num(r["g0"]);
    return { weightSum: num(r["sw"]) || 0, loss: num(r["loss"]) || 0, grad: grad.map((v) => (Number.isNaN(v) ? 0 : v)) };
  }

  async multinomial(beta: Float64Array, intercepts: Float64Array, batch: BatchSpec | null): Promise<GlmStats> {
    const d = this.d, K = intercepts.length;
    const values: number[] = [];
    for (let c = 0; c < K; c++) values.push(...beta.subarray(c * d, (c + 1) * d), intercepts[c]);
    const { df, p } = withParams(this.rows(batch), values, this.x[0]);
    const margins = Array.from({ length: K }, (_, c) => this.margin(p, c * (d + 1)).alias(`m${c}`));
    const ms = Array.from({ length: K }, (_, c) => F.col(`m${c}`));
    const s1 = df.select(...this.x, this.y.alias("y_"), this.w.alias("w_"), ...margins).withColumn("mx", F.greatest(...ms));
    const s2 = s1.withColumn("lse", F.col("mx").plus(F.log(sum(ms.map((m) => F.exp(m.minus(F.col("mx"))))))));
    const my = ms.slice(1).reduce((acc, m, c) => acc.when(F.col("y_").eq(c + 1), m), F.when(F.col("y_").eq(0), ms[0]));
    const s3 = s2.select(...this.x, F.col("w_"), F.col("lse").minus(my.otherwise(lit(NaN))).multiply(F.col("w_")).alias("l"),
      ...ms.map((m, c) => F.exp(m.minus(F.col("lse"))).minus(F.when(F.col("y_").eq(c), 1).otherwise(0)).multiply(F.col("w_")).alias(`e${c}`)));
    const aggs: Column[] = [F.sum("w_").alias("sw"), F.sum("l").alias("loss")];
    for (let c = 0; c < K; c++) {
      aggs.push(F.sum(`e${c}`).alias(`b${c}`));
      for (let i = 0; i < d; i++) aggs.push(F.sum(F.col(`e${c}`).multiply(this.x[i])).alias(`g${c}_${i}`));
    }
    const r = (await s3.agg(...aggs).collect())[0];
    const grad = new Float64Array(K * d + K);
    for (let c = 0; c < K; c++) {
      for (let i = 0; i < d; i++) grad[c * d + i] = num(r[`g${c}_${i}`]);
      grad[K * d + c] = num(r[`b${c}`]);
    }
    return { weightSum: num(r["sw"]) || 0, loss: num(r["loss"]) || 0, grad: grad.map((v) => (Number.isNaN(v) ? 0 : v)) };
  }

  async squared(beta: Float64Array, intercept: number, batch: BatchSpec | null): Promise<GlmStats> {
    const d = this.d;
    const { df, p } = withParams(this.rows(batch), [...beta, intercept], this.x[0]);
    const s = df.select(...this.x, this.w.alias("w_"), this.margin(p, 0).minus(this.y).alias("e"));
    const aggs: Column[] = [F.sum("w_").alias("sw"), F.sum(F.col("e").multiply(F.col("e")).multiply(F.col("w_"))).alias("loss"), F.sum(F.col("e").multiply(F.col("w_"))).alias("g0")];
    for (let i = 0; i < d; i++) aggs.push(F.sum(F.col("e").multiply(F.col("w_")).multiply(this.x[i])).alias(`g${i + 1}`));
    const r = (await s.agg(...aggs).collect())[0];
    const grad = new Float64Array(d + 1);
    for (let i = 0; i < d; i++) grad[i] = num(r[`g${i + 1}`]);
    grad[d] = num(r["g0"]);
    return { weightSum: num(r["sw"]) || 0, loss: 0.5 * (num(r["loss"]) || 0), grad: grad.map((v) => (Number.isNaN(v) ? 0 : v)) };
  }

  async gram(): Promise<GramStats> {
    const d = this.d;
    const aggs: Column[] = [F.sum(this.w).alias("sw"), F.count("*").alias("n"), F.sum(this.w.multiply(this.y)).alias("sy"), F.sum(this.w.multiply(this.y).multiply(this.y)).alias("syy")];
    for (let a = 0; a < d; a++) {
      aggs.push(F.sum(this.w.multiply(this.x[a])).alias(`x${a}_`), F.sum(this.w.multiply(this.x[a]).multiply(this.y)).alias(`xy${a}`));
      for (let b = 0; b <= a; b++) aggs.push(F.sum(this.w.multiply(this.x[a]).multiply(this.x[b])).alias(`xx${a}_${b}`));
    }
    const r = (await this.base.agg(...aggs).collect())[0];
    const sumX = new Float64Array(d), xty = new Float64Array(d), xtx = new Float64Array(d * d);
    for (let a = 0; a < d; a++) {
      sumX[a] = num(r[`x${a}_`]); xty[a] = num(r[`xy${a}`]);
      for (let b = 0; b <= a; b++) { const v = num(r[`xx${a}_${b}`]); xtx[a * d + b] = v; xtx[b * d + a] = v; }
    }
    return { weightSum: num(r["sw"]), count: num(r["n"]), sumX, sumY: num(r["sy"]), sumYY: num(r["syy"]), xtx, xty };
  }

  async sample(n: number, seed: number): Promise<number[][]> {
    const from = this.weighted ? this.base.filter(this.w.gt(0)) : this.base;
    const total = await from.count();
    const fraction = total <= n ? 1 : Math.min(1, (n * 1.2 + 10) / total);
    const rows = await (fraction >= 1 ? from : from.sample(fraction, seed)).select(...this.x).limit(n).collect();
    return rows.map((r) => this.x.map((_, i) => num(r[`x${i}`])));
  }

  localColumns(): null { return null; }

  async linearMetrics(): Promise<null> { return null; }

  async close(): Promise<void> { await this.base.unpersist(); }
}
