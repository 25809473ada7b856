/**
 * VectorAssembler (Spark ML): merges numeric columns and vector columns into one vector
 * (`array<double>`) column, the input every Quarry estimator reads.
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { Column } from "../../api/column.js";
import { AnalysisError, q } from "../../errors.js";
import { typeToString, type StructType } from "../../plan/types.js";
import { Transformer } from "../base/estimator.js";
import type { ParamTable } from "../base/params.js";
import { loadModelDir, registerModel, saveModelDir, type SaveOptions } from "../base/persistence.js";
import { VECTOR_TYPE, checkNewColumn, findField, isNumericDataType, isVectorDataType, vectorOf, withFields } from "../base/columns.js";

/** What VectorAssembler does with a null or NaN input value. */
export type VectorAssemblerHandleInvalid = "error" | "skip" | "keep";

/** Constructor arguments of a VectorAssembler (see `VectorAssembler.params` for each one's doc). */
export interface VectorAssemblerParams {
  inputCols?: readonly string[];
  outputCol?: string;
  handleInvalid?: VectorAssemblerHandleInvalid;
  inputSizes?: Readonly<Record<string, number>> | null;
}

const VECTOR_ASSEMBLER = "VectorAssembler";

/**
 * VectorAssembler's params (Spark ML's names and defaults; `outputCol` defaults to "features"
 * rather than Spark's `<uid>__output`, and `inputSizes` is Quarry's):
 *
 * | param | default | meaning |
 * | --- | --- | --- |
 * | `inputCols` | (required) | numeric (int, bigint, float, double, decimal, boolean) and vector columns, in output order |
 * | `outputCol` | `"features"` | the vector column to add |
 * | `handleInvalid` | `"error"` | a null or NaN input value: `"error"` fails the query naming the column, `"skip"` drops the row, `"keep"` writes NaN |
 * | `inputSizes` | `null` | the length of each vector (array) column among `inputCols`, by name: `{ emb: 3 }`; every input not listed is a scalar |
 */
const PARAMS: ParamTable = [
  { name: "inputCols", type: "string[]", default: null, doc: "numeric and vector columns to merge, in output order", check: (v) => ((v as string[]).length > 0 ? null : "must name at least one column") },
  { name: "outputCol", type: "string", default: "features", doc: "the vector (array<double>) column to add" },
  { name: "handleInvalid", type: "string", default: "error", values: ["error", "skip", "keep"], doc: "null/NaN inputs: \"error\" fails naming the column, \"skip\" drops the row, \"keep\" writes NaN" },
  {
    name: "inputSizes", type: "object?", default: null,
    doc: "length of each vector column among inputCols, by name (Spark reads it from column metadata, which Quarry vectors do not carry)",
    check: (v, all) => {
      const cols = (all.inputCols as string[] | null) ?? [];
      for (const [k, n] of Object.entries(v as Record<string, unknown>)) {
        if (!cols.includes(k)) return `names ${JSON.stringify(k)}, which is not in inputCols`;
        if (typeof n !== "number" || !Number.isInteger(n) || n < 1) return `gives ${JSON.stringify(k)} the size ${JSON.stringify(n)}; sizes must be integers >= 1`;
      }
      return null;
    },
  },
];

/**
 * Merges numeric and vector columns into one `array<double>` column, lazily.
 *
 * `transform` builds column expressions only (it cannot look at the schema, which would run a
 * query): each input is read as a scalar cast to double, unless `inputSizes` gives its length,
 * in which case its elements are copied. `handleInvalid: "error"` (the default) makes the query
 * fail when it meets a null or NaN scalar, or a null vector, with an error naming the column
 * (Spark also raises this while running the job); a vector of the wrong length always fails.
 * `transformSchema(await df.schema())` checks the input types up front, and `Pipeline.fit`
 * calls it: a string column, or an undeclared vector column, is reported there by name and type.
 * @example
 * const assembler = new VectorAssembler({ inputCols: ["x1", "x2"], outputCol: "features" });
 * await assembler.transform(df).select("features").show();
 * // +----------+
 * // |  features|
 * // +----------+
 * // |[1.0, 2.5]|
 * // +----------+
 */
export class VectorAssembler extends Transformer {
  /** The param table: names, defaults and docs. */
  static readonly params: ParamTable = PARAMS;

  /**
   * @param params see the param table above
   * @param uid the id (a fresh one by default)
   */
  constructor(params: VectorAssemblerParams = {}, uid?: string) {
    super(PARAMS, params as Record<string, unknown>, uid);
  }

  private get p(): Required<VectorAssemblerParams> { return this.getParams() as unknown as Required<VectorAssemblerParams>; }

  /** A new VectorAssembler with the same uid and some params replaced. */
  copy(overrides: VectorAssemblerParams = {}): VectorAssembler {
    return new VectorAssembler({ ...this.p, ...overrides }, this.uid);
  }

  /**
   * Checks that every input exists and is numeric, boolean, or a vector declared in `inputSizes`,
   * and that `outputCol` is new; returns the schema with `outputCol` added.
   * @throws AnalysisError naming a missing column, or a column and its type
   */
  override transformSchema(schema: StructType): StructType {
    this.params.validate();
    const { inputCols, outputCol, inputSizes } = this.p;
    const sizes = inputSizes ?? {};
    for (const c of inputCols) {
      const f = findField(schema, c, VECTOR_ASSEMBLER, "input");
      const declared = Object.prototype.hasOwnProperty.call(sizes, c);
      if (isVectorDataType(f.type)) {
        if (!declared) {
          throw new AnalysisError(`VectorAssembler: the input column ${q(c)} is a vector (${typeToString(f.type)}); give its length in inputSizes, e.g. inputSizes: { ${JSON.stringify(c)}: 3 }, so the elements can be copied without reading the data.`, "VECTOR_SIZE_UNKNOWN");
        }
      } else if (declared) {
        throw new AnalysisError(`VectorAssembler: inputSizes declares ${q(c)} as a vector, but it has type ${typeToString(f.type)}.`, "DATATYPE_MISMATCH");
      } else if (!isNumericDataType(f.type) && f.type !== "boolean") {
        throw new AnalysisError(`VectorAssembler: the input column ${q(c)} has type ${typeToString(f.type)}; inputs must be numeric (int, bigint, float, double, decimal), boolean, or vectors (array<double>). Convert it first, e.g. with StringIndexer for categories or F.col(${JSON.stringify(c)}).cast("double") for numbers stored as text.`, "DATATYPE_MISMATCH");
      }
    }
    checkNewColumn(schema, outputCol, VECTOR_ASSEMBLER);
    return withFields(schema, [{ name: outputCol, type: VECTOR_TYPE, nullable: true }]);
  }

  /**
   * Adds `outputCol`, the inputs merged into one vector; nothing runs until an action.
   * @param df the input frame
   * @returns the frame with the vector column (rows with invalid values dropped for "skip")
   * @throws IllegalArgumentError when the params are invalid
   */
  transform(df: DataFrame): DataFrame {
    this.params.validate();
    const { inputCols, outputCol, handleInvalid, inputSizes } = this.p;
    const sizes = inputSizes ?? {};
    const elements: Column[] = [];
    const invalid: { cond: Column; msg: string }[] = [];
    const sizeChecks: { cond: Column; msg: string }[] = [];
    const advice = `Remove those rows (df.na.drop()), or set handleInvalid to "skip" (drop them) or "keep" (NaN).`;
    for (const c of inputCols) {
      const col = F.col(c);
      const n = Object.prototype.hasOwnProperty.call(sizes, c) ? sizes[c] : null;
      if (n === null) {
        const x = col.cast("double");
        elements.push(handleInvalid === "keep" ? F.coalesce(x, F.lit(NaN)) : x);
        invalid.push({ cond: col.isNull(), msg: `VectorAssembler: the input column ${q(c)} is null in a row and handleInvalid is "error". ${advice}` });
        invalid.push({ cond: x.isNaN(), msg: `VectorAssembler: the input column ${q(c)} is NaN in a row and handleInvalid is "error". ${advice}` });
      } else {
        for (let i = 0; i < n; i++) elements.push(handleInvalid === "keep" ? F.coalesce(col.getItem(i), F.lit(NaN)) : col.getItem(i));
        invalid.push({ cond: col.isNull(), msg: `VectorAssembler: the vector column ${q(c)} is null in a row and handleInvalid is "error". ${advice}` });
        sizeChecks.push({ cond: col.isNotNull().and(F.size(c).ne(n)), msg: `VectorAssembler: the vector column ${q(c)} has a row whose length is not ${n}, the size given in inputSizes.` });
      }
    }
    let value = vectorOf(elements);
    const checks = handleInvalid === "error" ? [...invalid, ...sizeChecks] : sizeChecks;
    if (checks.length > 0) {
      let chain = F.when(checks[0].cond, F.raise_error(checks[0].msg));
      for (const ch of checks.slice(1)) chain = chain.when(ch.cond, F.raise_error(ch.msg));
      value = chain.otherwise(value);
    }
    let input = df;
    if (handleInvalid === "skip") input = df.filter(invalid.map((x) => x.cond).reduce((a, b) => a.or(b)).not());
    return input.withColumn(outputCol, value);
  }

  /**
   * Saves the params (a VectorAssembler learns nothing) so a PipelineModel holding it can be saved.
   * @param dir the directory to create
   * @param options `overwrite`: replace an existing directory
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    await saveModelDir(dir, { className: VECTOR_ASSEMBLER, uid: this.uid, params: this.params.toJSON(), data: null }, options.overwrite ?? false);
  }

  /**
   * Loads a VectorAssembler saved by `save`.
   * @param dir the saved directory
   */
  static async load(dir: string): Promise<VectorAssembler> {
    const { uid, params } = await loadModelDir(dir, VECTOR_ASSEMBLER);
    return new VectorAssembler(params as VectorAssemblerParams, uid);
  }
}

registerModel(VECTOR_ASSEMBLER, (dir) => VectorAssembler.load(dir));
