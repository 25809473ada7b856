/**
 * Which engine columns the kernel provider copies. A features column built by VectorAssembler
 * and the other feature stages (any `array(e0, e1, ...)` added by `withColumn`, also several
 * steps down) is read through: the provider selects the element expressions, so the engine
 * never builds a list per row and no pass is needed to learn the vector length. Otherwise it
 * selects `features[i]`. Both give the same doubles (the elements are cast to double either way).
 */
import { DataFrame } from "../../api/dataframe.js";
import { Column } from "../../api/column.js";
import { F } from "../../api/functions.js";
import type { Expr } from "../../plan/expr/expr.js";
import type { TrainingColumns } from "./provider.js";
import { arrayElements, guarded, inlineVectors } from "./inline-vectors.js";

/** Expressions to copy: d feature columns, then the label and weight when there are any. */
export interface EngineColumns {
  /** The frame the expressions are evaluated on. */
  readonly frame: DataFrame;
  readonly features: readonly Column[];
  readonly label: Column | null;
  readonly weight: Column | null;
  /** True when the features come from the assembler's inputs rather than the vector column. */
  readonly direct: boolean;
}

/**
 * The features as the element expressions of the vector column, when `cols.featuresCol` is
 * built by `withColumn` steps at the top of the frame (VectorAssembler, OneHotEncoder, the
 * scalers, any `array(e0, e1, ...)`): the engine then computes plain columns and never a list
 * per row (see inline-vectors.ts). The label and weight are read the same way. The vectors'
 * error checks run on every row as before. Null when the column is not built that way.
 */
export function assembledColumns(df: DataFrame, cols: TrainingColumns): EngineColumns | null {
  if (df.session.backendName !== "duckdb") return null;
  // The vector length from the column's definition in the nearest step that defines it.
  let d = 0;
  for (let node = df.plan; node.kind === "WithColumnsNode" && d === 0; node = node.child) {
    const defs = node.columns.filter((c) => c.name.toLowerCase() === cols.featuresCol.toLowerCase());
    if (defs.length === 0) continue;
    let e = defs[defs.length - 1].expr;
    while (e.kind === "CaseWhenExpr" && e.otherwise) e = e.otherwise;
    const elements = arrayElements(e);
    if (!elements) return null;
    d = elements.length;
  }
  if (d === 0) return null;
  const wanted: Expr[] = Array.from({ length: d }, (_, i) => F.col(cols.featuresCol).getItem(i).expr);
  if (cols.labelCol) wanted.push(F.col(cols.labelCol).expr);
  if (cols.weightCol) wanted.push(F.col(cols.weightCol).expr);
  const r = inlineVectors(df, wanted);
  if (!r) return null;
  const features = r.exprs.slice(0, d).map((x, i) => new Column(i === 0 ? guarded(x, r.checks) : x).cast("double"));
  let k = d;
  return {
    frame: r.frame,
    features,
    label: cols.labelCol ? new Column(r.exprs[k++]).cast("double") : null,
    weight: cols.weightCol ? new Column(r.exprs[k++]).cast("double") : null,
    direct: true,
  };
}

/** `features[i]` for i < d, read from the vector column itself. */
export function vectorColumns(df: DataFrame, cols: TrainingColumns, d: number): EngineColumns {
  const f = F.col(cols.featuresCol);
  return {
    frame: df,
    features: Array.from({ length: d }, (_, i) => f.getItem(i).cast("double")),
    label: cols.labelCol ? F.col(cols.labelCol).cast("double") : null,
    weight: cols.weightCol ? F.col(cols.weightCol).cast("double") : null,
    direct: false,
  };
}

/** The select that the provider streams: x0..x{d-1} (normalized to unit length if asked), y, w. */
export function exportFrame(src: EngineColumns, normalize: boolean): DataFrame {
  let xs = [...src.features];
  if (normalize) {
    const norm = F.sqrt(xs.map((x) => x.multiply(x)).reduce((a, b) => a.plus(b)));
    xs = xs.map((x) => x.divide(norm));
  }
  const items = xs.map((x, i) => x.alias(`x${i}`));
  if (src.label) items.push(src.label.alias("y"));
  if (src.weight) items.push(src.weight.alias("w"));
  return src.frame.select(...items);
}
