/**
 * MinMaxScaler (Spark ML): learns each feature's minimum and maximum, and rescales vectors
 * linearly into [min, max].
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
import { vectorMoments } from "./standard-scaler.js";

/** Constructor arguments of MinMaxScaler and MinMaxScalerModel. */
export interface MinMaxScalerParams {
  inputCol?: string;
  outputCol?: string | null;
  min?: number;
  max?: number;
}

/**
 * MinMaxScaler's params (Spark ML's names and defaults):
 *
 * | param | default | meaning |
 * | --- | --- | --- |
 * | `inputCol` | (required) | the vector (array<double>) column to scale |
 * | `outputCol` | `<uid>__output` | the scaled vector column to add |
 * | `min` | `0.0` | lower bound of the output range |
 * | `max` | `1.0` | upper bound of the output range (must be > min) |
 */
const PARAMS: ParamTable = [
  { name: "inputCol", type: "string", default: null, doc: "the vector (array<double>) column to scale" },
  { name: "outputCol", type: "string?", default: null, doc: "the scaled vector column to add (default: <uid>__output)" },
  { name: "min", type: "float", default: 0.0, doc: "lower bound of the output range" },
  { name: "max", type: "float", default: 1.0, doc: "upper bound of the output range", check: (v, all) => ((v as number) > (all.min as number) ? null : `must be greater than min (${String(all.min)})`) },
];

const ESTIMATOR = "MinMaxScaler";
const MODEL = "MinMaxScalerModel";

/**
 * Learns per-feature minimum and maximum of a vector column (Spark ML's MinMaxScaler). The
 * output is `(x - Emin) / (Emax - Emin) * (max - min) + min`; a constant feature maps to
 * `0.5 * (max + min)` (as in Spark; scikit-learn maps it to `min`); NaN is skipped when fitting
 * and stays NaN.
 * @example
 * const model = await new MinMaxScaler({ inputCol: "raw", outputCol: "features" }).fit(df);
 * model.originalMin; model.originalMax;
 */
export class MinMaxScaler extends Estimator<MinMaxScalerModel> {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;

  /**
   * @param params see the param table above
   * @param uid the id (a fresh one by default)
   */
  constructor(params: MinMaxScalerParams = {}, uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
  }

  /** A new MinMaxScaler with the same uid and some params replaced. */
  copy(overrides: MinMaxScalerParams = {}): MinMaxScaler {
    return new MinMaxScaler({ ...(this.getParams() as MinMaxScalerParams), ...overrides }, this.uid);
  }

  /** Checks the input is a vector column and the output column is new; returns the output schema. */
  override transformSchema(schema: StructType): StructType { return vectorToVectorSchema(this, ESTIMATOR, schema); }

  /**
   * Computes each feature's minimum and maximum (NaN skipped) in one aggregate query.
   * @param df frame with the input vector column (null vectors are an error)
   * @returns the fitted model
   * @throws IllegalArgumentError for invalid params, no rows, null or ragged vectors, or a feature with no number
   */
  async fit(df: DataFrame): Promise<MinMaxScalerModel> {
    this.transformSchema(await df.schema());
    const inputCol = this.getParam<string>("inputCol");
    const stats = await vectorMoments(df, inputCol, ESTIMATOR, ["min", "max"]);
    stats.forEach((s, i) => {
      if (s.min === null || s.max === null) throw new IllegalArgumentError(`${ESTIMATOR}: vector index ${i} of ${q(inputCol)} has no numbers (only NaN or null); remove or impute them first.`, "NON_FINITE_FEATURES");
    });
    return new MinMaxScalerModel(this.getParams() as MinMaxScalerParams, stats.map((s) => s.min as number), stats.map((s) => s.max as number), this.uid);
  }
}

/**
 * A fitted MinMaxScaler: `originalMin` and `originalMax` per feature; `transform` rescales lazily.
 */
export class MinMaxScalerModel extends Model {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;
  /** Per-feature minimum seen when fitting. */
  readonly originalMin: readonly number[];
  /** Per-feature maximum seen when fitting. */
  readonly originalMax: readonly number[];

  /**
   * @param params the estimator's params
   * @param originalMin per-feature minimum
   * @param originalMax per-feature maximum (same length)
   * @param uid the id (the estimator's, when fitted)
   */
  constructor(params: MinMaxScalerParams, originalMin: readonly number[], originalMax: readonly number[], uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
    if (originalMin.length !== originalMax.length) throw new IllegalArgumentError(`MinMaxScalerModel: originalMin has ${originalMin.length} values but originalMax has ${originalMax.length}.`);
    this.originalMin = Object.freeze([...originalMin]);
    this.originalMax = Object.freeze([...originalMax]);
  }

  /** A new model with the same uid and statistics and some params replaced. */
  copy(overrides: MinMaxScalerParams = {}): MinMaxScalerModel {
    return new MinMaxScalerModel({ ...(this.getParams() as MinMaxScalerParams), ...overrides }, this.originalMin, this.originalMax, this.uid);
  }

  /** Checks the input is a vector column and the output column is new; returns the output schema. */
  override transformSchema(schema: StructType): StructType { return vectorToVectorSchema(this, MODEL, schema); }

  /** Adds the rescaled vector column; a null vector gives null, another length fails the query. Lazy. */
  transform(df: DataFrame): DataFrame {
    this.params.validate();
    const inputCol = this.getParam<string>("inputCol");
    const lo = this.getParam<number>("min"), hi = this.getParam<number>("max");
    const scale = hi - lo;
    const d = this.originalMin.length;
    const elements = Array.from({ length: d }, (_, i): Column => {
      const x = F.col(inputCol).getItem(i);
      const range = this.originalMax[i] - this.originalMin[i];
      // The same operation order as Spark: ((x - Emin) / range) * scale + min.
      if (range !== 0) return x.minus(this.originalMin[i]).divide(range).multiply(scale).plus(lo);
      return F.when(x.isNaN(), x).otherwise(F.lit(0.5 * scale + lo));
    });
    const value = F.when(F.col(inputCol).isNull(), F.lit(null))
      .when(F.size(inputCol).ne(d), F.raise_error(`MinMaxScalerModel: the column ${q(inputCol)} has a vector whose length is not ${d}, the number of features it was fitted on.`))
      .otherwise(vectorOf(elements));
    return df.withColumn(outputColOf(this), value);
  }

  /** Saves the params, `originalMin` and `originalMax`. */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    await saveModelDir(dir, { className: MODEL, uid: this.uid, params: this.params.toJSON(), data: { originalMin: this.originalMin, originalMax: this.originalMax } }, options.overwrite ?? false);
  }

  /**
   * Loads a model saved by `save`.
   * @param dir the saved directory
   * @throws AnalysisError when the directory is missing, corrupt, or holds another class
   */
  static async load(dir: string): Promise<MinMaxScalerModel> {
    const { uid, params, data } = await loadModelDir(dir, MODEL);
    return new MinMaxScalerModel(params as MinMaxScalerParams, dataNumbers(data, "originalMin", dir, MODEL), dataNumbers(data, "originalMax", dir, MODEL), uid);
  }
}

registerModel(MODEL, (dir) => MinMaxScalerModel.load(dir));
