/**
 * StandardScaler (Spark ML): learns each feature's mean and sample standard deviation, and
 * rescales vectors to zero mean and/or unit variance.
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { Column } from "../../api/column.js";
import { IllegalArgumentError, q } from "../../errors.js";
import type { StructType } from "../../plan/types.js";
import { Estimator, Model } from "../base/estimator.js";
import type { ParamTable } from "../base/params.js";
import { dataNumbers, loadModelDir, registerModel, saveModelDir, type SaveOptions } from "../base/persistence.js";
import { outputColOf, vectorOf, vectorToVectorSchema } from "../base/columns.js";
import { checkVectorLengths, featureDimension, probeVectorLength, vectorLengthAggs } from "../common.js";

/** Constructor arguments of StandardScaler and StandardScalerModel. */
export interface StandardScalerParams {
  inputCol?: string;
  outputCol?: string | null;
  withMean?: boolean;
  withStd?: boolean;
}

/**
 * StandardScaler's params (Spark ML's names and defaults):
 *
 * | param | default | meaning |
 * | --- | --- | --- |
 * | `inputCol` | (required) | the vector (array<double>) column to scale |
 * | `outputCol` | `<uid>__output` | the scaled vector column to add |
 * | `withMean` | `false` | subtract each feature's mean |
 * | `withStd` | `true` | divide by each feature's sample standard deviation (n - 1 denominator); a feature with zero deviation becomes 0.0 |
 */
const PARAMS: ParamTable = [
  { name: "inputCol", type: "string", default: null, doc: "the vector (array<double>) column to scale" },
  { name: "outputCol", type: "string?", default: null, doc: "the scaled vector column to add (default: <uid>__output)" },
  { name: "withMean", type: "boolean", default: false, doc: "subtract each feature's mean" },
  { name: "withStd", type: "boolean", default: true, doc: "divide by each feature's sample standard deviation (zero deviation gives 0.0)" },
];

const ESTIMATOR = "StandardScaler";
const MODEL = "StandardScalerModel";

/**
 * Per-feature statistics of a vector column (mean, sample variance, min, max) in one aggregate
 * query, skipping NaN (on DuckDB the vector length is read from one row and checked on every
 * row by that same query). A null vector, vectors of different lengths or none at all are errors
 * (as featureDimension words them), and with "var" so is a NaN or infinite value
 * (it makes the engine's variance fail, and Spark's NaN).
 * @internal
 */
export async function vectorMoments(df: DataFrame, col: string, owner: string, what: ("mean" | "var" | "min" | "max")[]): Promise<Record<string, number | null>[]> {
  // On DuckDB the length from one row, and the same aggregate checks it on every row (one pass,
  // not two: an element past a row's end reads as null there). Spark (ANSI) fails on such an
  // element instead, so there the lengths are checked first.
  const probe = df.session.backendName === "duckdb" ? await probeVectorLength(df, col) : null;
  const d = probe ?? (await featureDimension(df, col, owner)).d;
  const aggs: Column[] = [...vectorLengthAggs(col)];
  for (let i = 0; i < d; i++) {
    const x = F.col(col).getItem(i);
    // Infinities break the engine's variance; min and max only skip NaN, as Spark's summarizer does.
    const bad = what.includes("var") ? x.isNaN().or(F.abs(x).eq(Infinity)) : x.isNaN();
    const clean = F.when(bad, F.lit(null)).otherwise(x);
    aggs.push(F.sum(F.when(bad, 1).otherwise(0)).alias(`bad${i}`));
    if (what.includes("mean")) aggs.push(F.avg(clean).alias(`mean${i}`));
    if (what.includes("var")) aggs.push(F.var_samp(clean).alias(`var${i}`));
    if (what.includes("min")) aggs.push(F.min(clean).alias(`min${i}`));
    if (what.includes("max")) aggs.push(F.max(clean).alias(`max${i}`));
  }
  const row = (await df.agg(...aggs).collect())[0];
  checkVectorLengths(row, col, owner);
  return Array.from({ length: d }, (_, i) => {
    const bad = Number(row[`bad${i}`] ?? 0);
    if (bad > 0 && what.includes("var")) {
      throw new IllegalArgumentError(`${owner}: the column ${q(col)} has ${bad} NaN or infinite value(s) at vector index ${i}; the mean and deviation would be undefined. Remove or impute them first.`, "NON_FINITE_FEATURES");
    }
    const out: Record<string, number | null> = {};
    for (const k of what) { const v = row[`${k}${i}`]; out[k] = v === null || v === undefined ? null : Number(v); }
    return out;
  });
}

/**
 * Learns per-feature mean and standard deviation of a vector column (Spark ML's StandardScaler).
 * Like Spark, the deviation is the sample one (n - 1 denominator; scikit-learn uses n), and a
 * feature with zero deviation is scaled to 0.0 (scikit-learn leaves it unscaled).
 * @example
 * const scaler = new StandardScaler({ inputCol: "raw", outputCol: "features", withMean: true });
 * const model = await scaler.fit(df);
 * model.mean; model.std;
 * await model.transform(df).select("features").show();
 */
export class StandardScaler extends Estimator<StandardScalerModel> {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;

  /**
   * @param params see the param table above
   * @param uid the id (a fresh one by default)
   */
  constructor(params: StandardScalerParams = {}, uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
  }

  /** A new StandardScaler with the same uid and some params replaced. */
  copy(overrides: StandardScalerParams = {}): StandardScaler {
    return new StandardScaler({ ...(this.getParams() as StandardScalerParams), ...overrides }, this.uid);
  }

  /** Checks the input is a vector column and the output column is new; returns the output schema. */
  override transformSchema(schema: StructType): StructType { return vectorToVectorSchema(this, ESTIMATOR, schema); }

  /**
   * Computes each feature's mean and sample standard deviation in one aggregate query.
   * @param df frame with the input vector column (null vectors are an error)
   * @returns the fitted model
   * @throws IllegalArgumentError for invalid params, no rows, null, ragged or non-finite vectors
   */
  async fit(df: DataFrame): Promise<StandardScalerModel> {
    this.transformSchema(await df.schema());
    const inputCol = this.getParam<string>("inputCol");
    const stats = await vectorMoments(df, inputCol, ESTIMATOR, ["mean", "var"]);
    const mean = stats.map((s) => s.mean ?? 0);
    // One row has no sample variance (the engine says null); Spark's summarizer gives 0.
    const std = stats.map((s) => Math.sqrt(Math.max(s.var ?? 0, 0)));
    return new StandardScalerModel(this.getParams() as StandardScalerParams, mean, std, this.uid);
  }
}

/**
 * A fitted StandardScaler: `mean` and `std` per feature; `transform` rescales lazily.
 * @example
 * const model = await StandardScalerModel.load("models/scaler");
 * model.transform(df);
 */
export class StandardScalerModel extends Model {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;
  /** Per-feature mean. */
  readonly mean: readonly number[];
  /** Per-feature sample standard deviation. */
  readonly std: readonly number[];

  /**
   * @param params the estimator's params
   * @param mean per-feature mean
   * @param std per-feature sample standard deviation (same length as `mean`)
   * @param uid the id (the estimator's, when fitted)
   */
  constructor(params: StandardScalerParams, mean: readonly number[], std: readonly number[], uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
    if (mean.length !== std.length) throw new IllegalArgumentError(`StandardScalerModel: mean has ${mean.length} values but std has ${std.length}.`);
    this.mean = Object.freeze([...mean]);
    this.std = Object.freeze([...std]);
  }

  /** A new model with the same uid and statistics and some params replaced. */
  copy(overrides: StandardScalerParams = {}): StandardScalerModel {
    return new StandardScalerModel({ ...(this.getParams() as StandardScalerParams), ...overrides }, this.mean, this.std, this.uid);
  }

  /** Checks the input is a vector column and the output column is new; returns the output schema. */
  override transformSchema(schema: StructType): StructType { return vectorToVectorSchema(this, MODEL, schema); }

  /**
   * Adds the scaled vector column: (x - mean) / std per feature, as the params select; a null
   * vector gives null, a vector of another length fails the query. Lazy.
   */
  transform(df: DataFrame): DataFrame {
    this.params.validate();
    const inputCol = this.getParam<string>("inputCol");
    const withMean = this.getParam<boolean>("withMean");
    const withStd = this.getParam<boolean>("withStd");
    const d = this.mean.length;
    const elements = Array.from({ length: d }, (_, i) => {
      let x: Column = F.col(inputCol).getItem(i);
      if (withMean) x = x.minus(this.mean[i]);
      // Spark scales a zero-deviation feature by 0 (NaN stays NaN).
      if (withStd) x = this.std[i] !== 0 ? x.divide(this.std[i]) : x.multiply(0.0);
      return x;
    });
    const value = F.when(F.col(inputCol).isNull(), F.lit(null))
      .when(F.size(inputCol).ne(d), F.raise_error(`StandardScalerModel: the column ${q(inputCol)} has a vector whose length is not ${d}, the number of features it was fitted on.`))
      .otherwise(vectorOf(elements));
    return df.withColumn(outputColOf(this), value);
  }

  /** Saves the params, `mean` and `std`. */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    await saveModelDir(dir, { className: MODEL, uid: this.uid, params: this.params.toJSON(), data: { mean: this.mean, std: this.std } }, options.overwrite ?? false);
  }

  /**
   * Loads a model saved by `save`.
   * @param dir the saved directory
   * @throws AnalysisError when the directory is missing, corrupt, or holds another class
   */
  static async load(dir: string): Promise<StandardScalerModel> {
    const { uid, params, data } = await loadModelDir(dir, MODEL);
    return new StandardScalerModel(params as StandardScalerParams, dataNumbers(data, "mean", dir, MODEL), dataNumbers(data, "std", dir, MODEL), uid);
  }
}

registerModel(MODEL, (dir) => StandardScalerModel.load(dir));
