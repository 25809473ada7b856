/**
 * Which engine columns the kernel provider copies. A features column built by VectorAssembler
 * (or any `array(e0, e1, ...)` added by `withColumn`) is read through: the provider selects the
 * element expressions e_i from the frame below it, so the engine never builds a list per row and
 * no pass is needed to learn the vector length. Otherwise it selects `features[i]`.
 * Both give the same doubles (the elements are cast to double either way).
 */
import { DataFrame } from "../../api/dataframe.js";
import { Column } from "../../api/column.js";
import { F } from "../../api/functions.js";
import type { Expr } from "../../plan/expr/expr.js";
import type { TrainingColumns } from "./provider.js";

/** Expressions to copy: d feature columns, then the label and weight when there are any. */
export interface EngineColumns {
  /** The frame the expressions are evaluated on. */
  readonly frame: DataFrame;
  readonly features: readonly Column[];
  readonly label: Column | null;
  readonly weight: Column | null;
  /** True when the features come from the assembler's inputs rather than the vector column. */
  readonly direct: boolean;
  /** The vector column's length per row, when it is read element by element and each row's length must be checked. */
  readonly size?: Column;
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** A CASE branch that only makes the query fail (VectorAssembler's handleInvalid checks: `F.raise_error`, or the same written as SQL). */
function raisesOnly(e: Expr): boolean {
  if (e.kind === "FunctionExpr") return e.name === "raise_error";
  return e.kind === "SqlExpr" && /^\s*(raise_error|error)\s*\(/i.test(e.text);
}

/** The element expressions of `CAST(array(e...) AS array<double>)`, or of a bare `array(e...)`. */
function arrayElements(e: Expr): readonly Expr[] | null {
  let x = e;
  if (x.kind === "CastExpr" && !x.safe && typeof x.to === "object" && x.to.type === "array" && x.to.elementType === "double") x = x.child;
  return x.kind === "FunctionExpr" && x.name === "array" && !x.distinct && x.args.length > 0 ? x.args : null;
}

/**
 * The assembler's element expressions when `cols.featuresCol` is added by the frame's last
 * `withColumn` as an array (optionally behind CASE branches that only raise errors), and the
 * label and weight columns come from below it; null otherwise.
 */
export function assembledColumns(df: DataFrame, cols: TrainingColumns): EngineColumns | null {
  const node = df.plan;
  if (node.kind !== "WithColumnsNode") return null;
  const defs = node.columns.filter((c) => same(c.name, cols.featuresCol));
  if (defs.length !== 1) return null;
  // Label or weight computed in the same step cannot be read from the frame below.
  for (const other of [cols.labelCol, cols.weightCol]) if (other && node.columns.some((c) => same(c.name, other))) return null;
  let e = defs[0].expr;
  if (e.kind === "CaseWhenExpr") {
    if (!e.otherwise || !e.branches.every(([, v]) => raisesOnly(v))) return null;
    e = e.otherwise;
  }
  const elements = arrayElements(e);
  if (!elements) return null;
  const frame = new DataFrame(df.session, node.child);
  return {
    frame,
    features: elements.map((x) => new Column(x).cast("double")),
    label: cols.labelCol ? F.col(cols.labelCol).cast("double") : null,
    weight: cols.weightCol ? F.col(cols.weightCol).cast("double") : null,
    direct: true,
  };
}

/**
 * `features[i]` for i < d, read from the vector column itself; with `checkSize`, also each row's
 * vector length (`size`), for a caller that learned d from one row only.
 */
export function vectorColumns(df: DataFrame, cols: TrainingColumns, d: number, checkSize = false): EngineColumns {
  const f = F.col(cols.featuresCol);
  return {
    frame: df,
    features: Array.from({ length: d }, (_, i) => f.getItem(i).cast("double")),
    label: cols.labelCol ? F.col(cols.labelCol).cast("double") : null,
    weight: cols.weightCol ? F.col(cols.weightCol).cast("double") : null,
    direct: false,
    ...(checkSize ? { size: F.size(f).cast("double") } : {}),
  };
}

/** The select that the provider streams: x0..x{d-1} (normalized to unit length if asked), y, w. */
export function exportFrame(src: EngineColumns, normalize: boolean): DataFrame {
  let xs = [...src.features];
  if (normalize) {
    const norm = F.sqrt(xs.map((x) => x.multiply(x)).reduce((a, b) => a.plus(b)));
    // A zero vector has no direction: null elements, so the fit counts it as an invalid row.
    xs = xs.map((x) => F.when(norm.gt(0), x.divide(norm)));
  }
  const items = xs.map((x, i) => x.alias(`x${i}`));
  if (src.label) items.push(src.label.alias("y"));
  if (src.weight) items.push(src.weight.alias("w"));
  if (src.size) items.push(src.size.alias("n"));
  return src.frame.select(...items);
}
