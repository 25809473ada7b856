/**
 * Column helpers shared by the feature transformers and evaluators: schema lookups with clear
 * errors, vector (array<double>) construction, and a column that fails the query with a message.
 * Everything here builds public-API Columns, so it runs on every backend.
 */
import { F } from "../../api/functions.js";
import type { Column } from "../../api/column.js";
import { AnalysisError, closest, q } from "../../errors.js";
import { structType, typeToString, type DataType, type StructField, type StructType } from "../../plan/types.js";

/** True for the numeric types Spark ML accepts as scalar features (integers, floats, decimals). */
export function isNumericDataType(t: DataType): boolean {
  return t === "tinyint" || t === "smallint" || t === "int" || t === "bigint" || t === "float" || t === "double" ||
    (typeof t === "object" && t.type === "decimal");
}

/** True for a vector column: an array of numbers (Quarry's vectors are `array<double>`). */
export function isVectorDataType(t: DataType): boolean {
  return typeof t === "object" && t.type === "array" && isNumericDataType(t.elementType);
}

/**
 * Finds a column in a schema (case-insensitive, like Spark), or throws naming it and the closest names.
 * @param schema the frame's schema
 * @param name the column to find
 * @param owner the stage or evaluator asking, for the message
 * @param role what the column is for ("input", "label"...), for the message
 * @throws AnalysisError `UNRESOLVED_COLUMN`
 */
export function findField(schema: StructType, name: string, owner: string, role: string): StructField {
  const f = schema.fields.find((x) => x.name === name) ?? schema.fields.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (f) return f;
  const names = schema.fields.map((x) => x.name);
  const near = closest(name, names, 3).map(q).join(", ");
  throw new AnalysisError(`${owner}: the ${role} column ${q(name)} does not exist.${near ? ` Did you mean one of: ${near}?` : ""} Columns: [${names.map(q).join(", ")}].`, "UNRESOLVED_COLUMN");
}

/**
 * Finds a numeric (or boolean, when allowed) column, or throws naming it and its type.
 * @throws AnalysisError `UNRESOLVED_COLUMN` or `DATATYPE_MISMATCH`
 */
export function numericField(schema: StructType, name: string, owner: string, role: string, allowBoolean = true): StructField {
  const f = findField(schema, name, owner, role);
  if (isNumericDataType(f.type) || (allowBoolean && f.type === "boolean")) return f;
  throw new AnalysisError(`${owner}: the ${role} column ${q(name)} has type ${typeToString(f.type)}; it must be numeric.`, "DATATYPE_MISMATCH");
}

/**
 * Finds a vector (array<double>) column, or throws naming it and its type.
 * @throws AnalysisError `UNRESOLVED_COLUMN` or `DATATYPE_MISMATCH`
 */
export function vectorField(schema: StructType, name: string, owner: string, role: string): StructField {
  const f = findField(schema, name, owner, role);
  if (isVectorDataType(f.type)) return f;
  throw new AnalysisError(`${owner}: the ${role} column ${q(name)} has type ${typeToString(f.type)}, but a vector (array<double>) is needed. Build one with new VectorAssembler({ inputCols: [...], outputCol: ${JSON.stringify(name)} }).`, "DATATYPE_MISMATCH");
}

/** Throws when `name` already exists in `schema` (a stage must not overwrite an input). */
export function checkNewColumn(schema: StructType, name: string, owner: string): void {
  if (schema.fields.some((x) => x.name.toLowerCase() === name.toLowerCase())) {
    throw new AnalysisError(`${owner}: the output column ${q(name)} already exists; choose another outputCol.`, "COLUMN_ALREADY_EXISTS");
  }
}

/** `schema` with columns appended (or replaced, when the name exists). */
export function withFields(schema: StructType, added: readonly StructField[]): StructType {
  const lower = new Set(added.map((f) => f.name.toLowerCase()));
  return structType([...schema.fields.filter((f) => !lower.has(f.name.toLowerCase())), ...added]);
}

/** The `array<double>` type of Quarry's vectors. */
export const VECTOR_TYPE: DataType = Object.freeze({ type: "array", elementType: "double", containsNull: true }) as DataType;

/** A vector (`array<double>`) column from element columns. */
export function vectorOf(elements: readonly Column[]): Column {
  return F.array(...elements).cast("array<double>");
}

/** Element `i` (0-based) of a vector column, as a double. */
export function elementOf(vectorCol: string, i: number): Column {
  return F.col(vectorCol).getItem(i);
}

/** Spark's default output column name for a stage: `<uid>__output`. */
export function defaultOutputCol(uid: string): string {
  return `${uid}__output`;
}

/** True when `v` is null or NaN (for doubles; NaN checks on integer columns are false). */
export function nullOrNaN(c: Column): Column {
  return c.isNull().or(c.isNaN());
}

/** The parts of a stage the helpers below read. */
export interface StageParamsView {
  readonly uid: string;
  readonly params: { validate(): void };
  getParam<T = unknown>(name: string): T;
}

/** A stage's `outputCol`, or Spark's default `<uid>__output` when it is not set. */
export function outputColOf(stage: StageParamsView): string {
  return stage.getParam<string | null>("outputCol") ?? defaultOutputCol(stage.uid);
}

/**
 * `transformSchema` of a stage that maps the vector column `inputCol` to a new vector column
 * `outputCol` (the scalers): validates the params and both columns, returns the output schema.
 * @throws IllegalArgumentError for invalid params; AnalysisError for a missing or non-vector input or an existing output
 */
export function vectorToVectorSchema(stage: StageParamsView, owner: string, schema: StructType): StructType {
  stage.params.validate();
  vectorField(schema, stage.getParam<string>("inputCol"), owner, "input");
  const out = outputColOf(stage);
  checkNewColumn(schema, out, owner);
  return withFields(schema, [{ name: out, type: VECTOR_TYPE, nullable: true }]);
}

/**
 * A double constant. A JS number like `0` or `1.0` is an integer literal to the engine, and the
 * compiler types a `F.when(...)` chain by its first branch, so integral constants in a CASE
 * beside double columns must be spelled as doubles.
 */
export function dbl(value: number): Column {
  return F.lit(value).cast("double");
}
