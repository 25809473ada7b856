/** Window specifications for window functions: `Window.partitionBy("k").orderBy("v")`. */
import type { FrameBound, WindowSpec as PlanWindowSpec } from "../plan/expr/window-expr.js";
import { SortOrderExpr, type Expr } from "../plan/expr/index.js";
import { Column, toColumnExpr } from "./column.js";

function sortKey(c: string | Column): SortOrderExpr {
  const e: Expr = toColumnExpr(c);
  return e.kind === "SortOrderExpr" ? e : SortOrderExpr.create(e, "asc");
}
function bound(v: number, start: boolean): FrameBound {
  if (v <= Window.unboundedPreceding) return "unboundedPreceding";
  if (v >= Window.unboundedFollowing) return "unboundedFollowing";
  if (v === 0) return "currentRow";
  return start ? v : v;
}

/** An immutable window specification; each method returns a new one. */
export class WindowSpec {
  constructor(readonly spec: PlanWindowSpec) { Object.freeze(this); }
  /** Partitions rows by these columns. */
  partitionBy(...cols: (string | Column)[]): WindowSpec { return new WindowSpec({ ...this.spec, partitionBy: cols.flat().map(toColumnExpr) }); }
  /** Orders rows within each partition. */
  orderBy(...cols: (string | Column)[]): WindowSpec { return new WindowSpec({ ...this.spec, orderBy: cols.flat().map(sortKey) }); }
  /** A frame of rows relative to the current row (`Window.unboundedPreceding`, `Window.currentRow`, offsets). */
  rowsBetween(start: number, end: number): WindowSpec { return new WindowSpec({ ...this.spec, frame: { type: "rows", start: bound(start, true), end: bound(end, false) } }); }
  /** A frame by ordering-value range relative to the current row. */
  rangeBetween(start: number, end: number): WindowSpec { return new WindowSpec({ ...this.spec, frame: { type: "range", start: bound(start, true), end: bound(end, false) } }); }
}

/**
 * Builds window specifications.
 * @example
 * const w = Window.partitionBy("country").orderBy(F.col("income").desc());
 * df.withColumn("rank", F.rank().over(w));
 */
export const Window = {
  unboundedPreceding: Number.MIN_SAFE_INTEGER,
  unboundedFollowing: Number.MAX_SAFE_INTEGER,
  currentRow: 0,
  partitionBy(...cols: (string | Column)[]): WindowSpec { return new WindowSpec({ partitionBy: [], orderBy: [], frame: null }).partitionBy(...cols); },
  orderBy(...cols: (string | Column)[]): WindowSpec { return new WindowSpec({ partitionBy: [], orderBy: [], frame: null }).orderBy(...cols); },
  rowsBetween(start: number, end: number): WindowSpec { return new WindowSpec({ partitionBy: [], orderBy: [], frame: null }).rowsBetween(start, end); },
  rangeBetween(start: number, end: number): WindowSpec { return new WindowSpec({ partitionBy: [], orderBy: [], frame: null }).rangeBetween(start, end); },
} as const;
