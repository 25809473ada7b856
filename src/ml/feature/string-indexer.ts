/**
 * StringIndexer (Spark ML): maps a column of labels (strings, or numbers read as their string
 * form) to double indices 0, 1, 2... in an order chosen by `stringOrderType`.
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { Column } from "../../api/column.js";
import { AnalysisError, q } from "../../errors.js";
import { typeToString, type StructType } from "../../plan/types.js";
import { Estimator, Model } from "../base/estimator.js";
import type { ParamTable } from "../base/params.js";
import { dataStrings, loadModelDir, registerModel, saveModelDir, type SaveOptions } from "../base/persistence.js";
import { checkNewColumn, findField, isNumericDataType, outputColOf, withFields } from "../base/columns.js";

/** How StringIndexer orders the labels (index 0 first). */
export type StringOrderType = "frequencyDesc" | "frequencyAsc" | "alphabetDesc" | "alphabetAsc";

/** Constructor arguments of StringIndexer and StringIndexerModel. */
export interface StringIndexerParams {
  inputCol?: string;
  outputCol?: string | null;
  handleInvalid?: "error" | "skip" | "keep";
  stringOrderType?: StringOrderType;
}

/**
 * StringIndexer's params (Spark ML's names and defaults):
 *
 * | param | default | meaning |
 * | --- | --- | --- |
 * | `inputCol` | (required) | the label column (string, numeric or boolean; numbers are indexed by their string form) |
 * | `outputCol` | `<uid>__output` | the index column (double) to add |
 * | `handleInvalid` | `"error"` | a null or a label not seen in fit: `"error"` fails the query, `"skip"` drops the row, `"keep"` gives index `labels.length` |
 * | `stringOrderType` | `"frequencyDesc"` | `frequencyDesc` / `frequencyAsc` (ties broken alphabetically, ascending, as in Spark), `alphabetDesc` / `alphabetAsc` |
 */
const PARAMS: ParamTable = [
  { name: "inputCol", type: "string", default: null, doc: "the label column (string, numeric or boolean)" },
  { name: "outputCol", type: "string?", default: null, doc: "the index column (double) to add (default: <uid>__output)" },
  { name: "handleInvalid", type: "string", default: "error", values: ["error", "skip", "keep"], doc: "null or unseen label: \"error\" fails, \"skip\" drops the row, \"keep\" gives index labels.length" },
  { name: "stringOrderType", type: "string", default: "frequencyDesc", values: ["frequencyDesc", "frequencyAsc", "alphabetDesc", "alphabetAsc"], doc: "label order: by frequency (ties alphabetical) or alphabetical" },
];

const ESTIMATOR = "StringIndexer";
const MODEL = "StringIndexerModel";

function indexerSchema(stage: StringIndexer | StringIndexerModel, owner: string, schema: StructType): StructType {
  stage.params.validate();
  const c = stage.getParam<string>("inputCol");
  const f = findField(schema, c, owner, "input");
  if (f.type !== "string" && f.type !== "boolean" && !isNumericDataType(f.type)) {
    throw new AnalysisError(`${owner}: the input column ${q(c)} has type ${typeToString(f.type)}; it must be a string, numeric or boolean column.`, "DATATYPE_MISMATCH");
  }
  const out = outputColOf(stage);
  checkNewColumn(schema, out, owner);
  return withFields(schema, [{ name: out, type: "double", nullable: true }]);
}

/** Compares strings by UTF-16 code units, as Spark (JVM) does. */
function cmp(a: string, b: string): number { return a < b ? -1 : a > b ? 1 : 0; }

/**
 * Orders labels as Spark's StringIndexer does.
 * @param counts each distinct label and how many rows have it
 * @param order the `stringOrderType`
 * @returns the labels, index 0 first
 */
export function orderLabels(counts: readonly { label: string; count: number }[], order: StringOrderType): string[] {
  const xs = [...counts];
  switch (order) {
    case "frequencyDesc": xs.sort((a, b) => b.count - a.count || cmp(a.label, b.label)); break;
    case "frequencyAsc": xs.sort((a, b) => a.count - b.count || cmp(a.label, b.label)); break;
    case "alphabetAsc": xs.sort((a, b) => cmp(a.label, b.label)); break;
    case "alphabetDesc": xs.sort((a, b) => cmp(b.label, a.label)); break;
  }
  return xs.map((x) => x.label);
}

/**
 * Learns the distinct labels of a column and their order (Spark ML's StringIndexer). Fitting
 * runs one `groupBy` query; the distinct labels come back to the driver, as in Spark. Nulls are
 * not labels.
 * @example
 * const model = await new StringIndexer({ inputCol: "country", outputCol: "countryIndex" }).fit(df);
 * model.labels; // ["FR", "DE", ...], most frequent first
 * await model.transform(df).select("country", "countryIndex").show();
 */
export class StringIndexer extends Estimator<StringIndexerModel> {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;

  /**
   * @param params see the param table above
   * @param uid the id (a fresh one by default)
   */
  constructor(params: StringIndexerParams = {}, uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
  }

  /** A new StringIndexer with the same uid and some params replaced. */
  copy(overrides: StringIndexerParams = {}): StringIndexer {
    return new StringIndexer({ ...(this.getParams() as StringIndexerParams), ...overrides }, this.uid);
  }

  /** Checks the input column exists with a usable type and the output column is new. */
  override transformSchema(schema: StructType): StructType { return indexerSchema(this, ESTIMATOR, schema); }

  /**
   * Counts each distinct non-null label and orders them.
   * @param df frame with the input column
   * @returns the fitted model
   */
  async fit(df: DataFrame): Promise<StringIndexerModel> {
    this.transformSchema(await df.schema());
    const c = this.getParam<string>("inputCol");
    const rows = await df.filter(F.col(c).isNotNull())
      .groupBy(F.col(c).cast("string").alias("label"))
      .agg(F.count("*").alias("n"))
      .collect();
    const labels = orderLabels(rows.map((r) => ({ label: String(r["label"]), count: Number(r["n"]) })), this.getParam<StringOrderType>("stringOrderType"));
    return new StringIndexerModel(this.getParams() as StringIndexerParams, labels, this.uid);
  }
}

/**
 * A fitted StringIndexer: `labels[i]` gets index `i`; `transform` adds the index lazily.
 */
export class StringIndexerModel extends Model {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;
  /** The labels, index 0 first. */
  readonly labels: readonly string[];

  /**
   * @param params the estimator's params
   * @param labels the labels, index 0 first
   * @param uid the id (the estimator's, when fitted)
   */
  constructor(params: StringIndexerParams, labels: readonly string[], uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
    this.labels = Object.freeze([...labels]);
  }

  /** The labels of each input column (Spark's `labelsArray`; one column here). */
  get labelsArray(): readonly (readonly string[])[] { return [this.labels]; }

  /** A new model with the same uid and labels and some params replaced. */
  copy(overrides: StringIndexerParams = {}): StringIndexerModel {
    return new StringIndexerModel({ ...(this.getParams() as StringIndexerParams), ...overrides }, this.labels, this.uid);
  }

  /** Checks the input column exists with a usable type and the output column is new. */
  override transformSchema(schema: StructType): StructType { return indexerSchema(this, MODEL, schema); }

  /**
   * Adds the index column (double). Nulls and labels not seen in fit follow `handleInvalid`. The
   * lookup is a CASE expression over the labels, so it stays lazy and runs in the engine.
   */
  transform(df: DataFrame): DataFrame {
    this.params.validate();
    const c = this.getParam<string>("inputCol");
    const handleInvalid = this.getParam<string>("handleInvalid");
    const col = F.col(c);
    const key = col.cast("string");
    const n = this.labels.length;
    const branches: [Column, Column][] = [];
    if (handleInvalid === "error") {
      branches.push([col.isNull(), F.raise_error(`StringIndexerModel: the input column ${q(c)} has a null value and handleInvalid is "error". Set handleInvalid to "skip" (drop those rows) or "keep" (index ${n}).`)]);
    } else if (handleInvalid === "keep") {
      branches.push([col.isNull(), F.lit(n)]);
    }
    this.labels.forEach((label, i) => branches.push([key.eq(label), F.lit(i)]));
    const unseen = handleInvalid === "error"
      ? F.raise_error(`StringIndexerModel: the input column ${q(c)} has a label not seen when fitting (${n} label${n === 1 ? "" : "s"} known) and handleInvalid is "error". Set handleInvalid to "skip" (drop those rows) or "keep" (index ${n}).`)
      : handleInvalid === "keep" ? F.lit(n) : F.lit(null);
    let value: Column;
    if (branches.length === 0) value = unseen;
    else {
      value = F.when(branches[0][0], branches[0][1]);
      for (const [cond, v] of branches.slice(1)) value = value.when(cond, v);
      value = value.otherwise(unseen);
    }
    const input = handleInvalid === "skip" ? df.filter(n > 0 ? col.isNotNull().and(key.isin(...this.labels)) : F.lit(false)) : df;
    return input.withColumn(outputColOf(this), value.cast("double"));
  }

  /** Saves the params and labels. */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    await saveModelDir(dir, { className: MODEL, uid: this.uid, params: this.params.toJSON(), data: { labels: this.labels } }, options.overwrite ?? false);
  }

  /**
   * Loads a model saved by `save`.
   * @param dir the saved directory
   * @throws AnalysisError when the directory is missing, corrupt, or holds another class
   */
  static async load(dir: string): Promise<StringIndexerModel> {
    const { uid, params, data } = await loadModelDir(dir, MODEL);
    return new StringIndexerModel(params as StringIndexerParams, dataStrings(data, "labels", dir, MODEL), uid);
  }
}

registerModel(MODEL, (dir) => StringIndexerModel.load(dir));
