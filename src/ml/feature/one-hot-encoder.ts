/**
 * OneHotEncoder (Spark ML): turns category indices (0, 1, 2... as from StringIndexer) into
 * one-hot vectors, one output column per input column.
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { Column } from "../../api/column.js";
import { IllegalArgumentError, q } from "../../errors.js";
import type { StructType } from "../../plan/types.js";
import { Estimator, Model } from "../base/estimator.js";
import type { ParamTable } from "../base/params.js";
import { dataNumbers, loadModelDir, registerModel, saveModelDir, type SaveOptions } from "../base/persistence.js";
import { VECTOR_TYPE, checkNewColumn, numericField, vectorOf, withFields } from "../base/columns.js";

/** Constructor arguments of OneHotEncoder and OneHotEncoderModel. */
export interface OneHotEncoderParams {
  inputCols?: readonly string[];
  outputCols?: readonly string[];
  dropLast?: boolean;
  handleInvalid?: "error" | "keep";
}

/**
 * OneHotEncoder's params (Spark ML's names and defaults):
 *
 * | param | default | meaning |
 * | --- | --- | --- |
 * | `inputCols` | (required) | category index columns (numeric, values 0, 1, 2...) |
 * | `outputCols` | (required) | one vector column per input, same order |
 * | `dropLast` | `true` | leave out the last category (its vector is all zeros), so the vectors are linearly independent |
 * | `handleInvalid` | `"error"` | an index that is null, negative, not whole or not seen in fit: `"error"` fails the query, `"keep"` gives it an extra last category |
 */
const PARAMS: ParamTable = [
  { name: "inputCols", type: "string[]", default: null, doc: "category index columns (0, 1, 2...)", check: (v) => ((v as string[]).length > 0 ? null : "must name at least one column") },
  {
    name: "outputCols", type: "string[]", default: null, doc: "one output vector column per input column",
    check: (v, all) => (Array.isArray(all.inputCols) && (v as string[]).length !== all.inputCols.length ? `must have one name per input column (${all.inputCols.length}), got ${(v as string[]).length}` : null),
  },
  { name: "dropLast", type: "boolean", default: true, doc: "leave out the last category" },
  { name: "handleInvalid", type: "string", default: "error", values: ["error", "keep"], doc: "invalid index: \"error\" fails, \"keep\" uses an extra last category" },
];

const ESTIMATOR = "OneHotEncoder";
const MODEL = "OneHotEncoderModel";

function encoderSchema(stage: OneHotEncoder | OneHotEncoderModel, owner: string, schema: StructType): StructType {
  stage.params.validate();
  const ins = stage.getParam<string[]>("inputCols"), outs = stage.getParam<string[]>("outputCols");
  for (const c of ins) numericField(schema, c, owner, "input", false);
  for (const o of outs) checkNewColumn(schema, o, owner);
  if (new Set(outs.map((o) => o.toLowerCase())).size !== outs.length) throw new IllegalArgumentError(`${owner}: outputCols has a name twice: ${outs.map(q).join(", ")}.`, "INVALID_PARAM");
  return withFields(schema, outs.map((name) => ({ name, type: VECTOR_TYPE, nullable: true })));
}

/**
 * Learns how many categories each input column has (its largest index + 1), in one aggregate
 * query (Spark ML's OneHotEncoder). The outputs are dense `array<double>` vectors (Spark's are
 * sparse): with `dropLast` (the default) a column with `n` categories gives vectors of length
 * `n - 1`, and the last category is all zeros.
 * @example
 * const enc = new OneHotEncoder({ inputCols: ["colorIndex"], outputCols: ["colorVec"] });
 * const model = await enc.fit(indexed);
 * model.categorySizes; // [3]
 */
export class OneHotEncoder extends Estimator<OneHotEncoderModel> {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;

  /**
   * @param params see the param table above
   * @param uid the id (a fresh one by default)
   */
  constructor(params: OneHotEncoderParams = {}, uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
  }

  /** A new OneHotEncoder with the same uid and some params replaced. */
  copy(overrides: OneHotEncoderParams = {}): OneHotEncoder {
    return new OneHotEncoder({ ...(this.getParams() as OneHotEncoderParams), ...overrides }, this.uid);
  }

  /** Checks the inputs are numeric and the outputs new; returns the output schema. */
  override transformSchema(schema: StructType): StructType { return encoderSchema(this, ESTIMATOR, schema); }

  /**
   * Finds each column's largest index; like Spark, a negative, fractional or NaN index is an
   * error here whatever `handleInvalid` says. Nulls are ignored.
   * @param df frame with the index columns
   * @returns the fitted model
   * @throws IllegalArgumentError for invalid params, an invalid index, or a column with no values
   */
  async fit(df: DataFrame): Promise<OneHotEncoderModel> {
    this.transformSchema(await df.schema());
    const ins = this.getParam<string[]>("inputCols");
    const aggs: Column[] = [];
    ins.forEach((c, j) => {
      const x = F.col(c).cast("double");
      // floor() returns a bigint (as in Spark) and fails on NaN; x % 1 is NaN for NaN and infinities.
      const bad = x.isNaN().or(x.lt(0)).or(x.mod(1).ne(0));
      aggs.push(F.max(F.when(bad, F.lit(null)).otherwise(x)).alias(`max${j}`));
      aggs.push(F.sum(F.when(bad, 1).otherwise(0)).alias(`bad${j}`));
      aggs.push(F.min(F.when(bad, x).otherwise(F.lit(null))).alias(`badv${j}`));
    });
    const row = (await df.agg(...aggs).collect())[0];
    const sizes = ins.map((c, j) => {
      if (Number(row[`bad${j}`] ?? 0) > 0) {
        throw new IllegalArgumentError(`${ESTIMATOR}: the input column ${q(c)} has ${String(row[`bad${j}`])} value(s) that are not category indices (whole numbers >= 0), e.g. ${String(row[`badv${j}`])}. Index categories with StringIndexer first.`, "INVALID_CATEGORY_INDEX");
      }
      if (row[`max${j}`] === null) throw new IllegalArgumentError(`${ESTIMATOR}: the input column ${q(c)} has no values (all null or no rows).`, "EMPTY_DATA");
      return Number(row[`max${j}`]) + 1;
    });
    return new OneHotEncoderModel(this.getParams() as OneHotEncoderParams, sizes, this.uid);
  }
}

/**
 * A fitted OneHotEncoder: `categorySizes[j]` categories for input column `j`; `transform`
 * adds the one-hot vectors lazily.
 */
export class OneHotEncoderModel extends Model {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;
  /** The number of categories of each input column (largest index + 1). */
  readonly categorySizes: readonly number[];

  /**
   * @param params the estimator's params
   * @param categorySizes categories per input column
   * @param uid the id (the estimator's, when fitted)
   */
  constructor(params: OneHotEncoderParams, categorySizes: readonly number[], uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
    if (!categorySizes.every((n) => Number.isInteger(n) && n >= 1)) throw new IllegalArgumentError(`OneHotEncoderModel: categorySizes must be integers >= 1, got ${JSON.stringify(categorySizes)}.`);
    this.categorySizes = Object.freeze([...categorySizes]);
  }

  /** A new model with the same uid and sizes and some params replaced. */
  copy(overrides: OneHotEncoderParams = {}): OneHotEncoderModel {
    return new OneHotEncoderModel({ ...(this.getParams() as OneHotEncoderParams), ...overrides }, this.categorySizes, this.uid);
  }

  /** Checks the inputs are numeric and the outputs new; returns the output schema. */
  override transformSchema(schema: StructType): StructType { return encoderSchema(this, MODEL, schema); }

  /** The output vector length of each column, given `dropLast` and `handleInvalid`. */
  get outputSizes(): number[] {
    const keep = this.getParam<string>("handleInvalid") === "keep";
    const dropLast = this.getParam<boolean>("dropLast");
    return this.categorySizes.map((n) => n + (keep ? 1 : 0) - (dropLast ? 1 : 0));
  }

  /**
   * Adds one dense one-hot vector column per input. With `handleInvalid: "keep"`, an invalid
   * index (null, negative, fractional, NaN, or >= the category count) is the extra category at
   * position `categorySizes[j]` (dropped when `dropLast`). Lazy.
   */
  transform(df: DataFrame): DataFrame {
    this.params.validate();
    const ins = this.getParam<string[]>("inputCols"), outs = this.getParam<string[]>("outputCols");
    if (ins.length !== this.categorySizes.length) {
      throw new IllegalArgumentError(`OneHotEncoderModel: it was fitted on ${this.categorySizes.length} column(s) but inputCols names ${ins.length}.`, "INVALID_PARAM");
    }
    const keep = this.getParam<string>("handleInvalid") === "keep";
    const sizes = this.outputSizes;
    const cols: Record<string, Column> = {};
    ins.forEach((c, j) => {
      const n = this.categorySizes[j];
      const x = F.col(c).cast("double");
      const valid = x.ge(0).and(x.lt(n)).and(x.mod(1).eq(0));
      const elements = Array.from({ length: sizes[j] }, (_, k): Column => (k < n ? F.when(x.eq(k), 1.0).otherwise(0.0) : F.when(valid, 0.0).otherwise(1.0)));
      let value = vectorOf(elements);
      if (!keep) {
        value = F.when(x.isNull(), F.raise_error(`OneHotEncoderModel: the input column ${q(c)} has a null value and handleInvalid is "error". Drop those rows, or set handleInvalid to "keep".`))
          .when(valid.not(), F.raise_error(`OneHotEncoderModel: the input column ${q(c)} has a value that is not a category index in [0, ${n}) (negative, fractional, NaN or unseen in fit) and handleInvalid is "error". Set handleInvalid to "keep" to give such values an extra category.`))
          .otherwise(value);
      }
      cols[outs[j]] = value;
    });
    return df.withColumns(cols);
  }

  /** Saves the params and `categorySizes`. */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    await saveModelDir(dir, { className: MODEL, uid: this.uid, params: this.params.toJSON(), data: { categorySizes: this.categorySizes } }, options.overwrite ?? false);
  }

  /**
   * Loads a model saved by `save`.
   * @param dir the saved directory
   * @throws AnalysisError when the directory is missing, corrupt, or holds another class
   */
  static async load(dir: string): Promise<OneHotEncoderModel> {
    const { uid, params, data } = await loadModelDir(dir, MODEL);
    return new OneHotEncoderModel(params as OneHotEncoderParams, dataNumbers(data, "categorySizes", dir, MODEL), uid);
  }
}

registerModel(MODEL, (dir) => OneHotEncoderModel.load(dir));
