/** GroupedData: the result of `groupBy`, waiting for aggregations. */
import { AggregateNode, ProjectNode } from "../plan/nodes/index.js";
import { AliasExpr, ColumnExpr, FunctionExpr, StarExpr, type Expr } from "../plan/expr/index.js";
import { IllegalArgumentError } from "../errors.js";
import { Column } from "./column.js";
import { DataFrame } from "./dataframe.js";

const SHORT_AGGS: Record<string, string> = { sum: "sum", avg: "avg", mean: "avg", min: "min", max: "max", count: "count" };

/**
 * Aggregations over groups.
 * @example
 * df.groupBy("country").agg(F.avg("income").alias("avg_income"), F.count("*").alias("n"))
 */
export class GroupedData {
  constructor(private readonly df: DataFrame, private readonly keys: readonly Expr[]) { Object.freeze(this); }

  private aggregate(aggs: Expr[]): DataFrame {
    return new DataFrame(this.df.session, AggregateNode.create(this.df.plan, this.keys, aggs));
  }

  /**
   * Computes aggregate columns per group. Also accepts Spark's `{ column: "sum" }` form.
   */
  agg(...exprs: (Column | readonly Column[] | Record<string, string>)[]): DataFrame {
    const out: Expr[] = [];
    for (const e of exprs.flat()) {
      if (e instanceof Column) out.push(e.expr);
      else if (e && typeof e === "object") {
        for (const [col, fname] of Object.entries(e as Record<string, string>)) {
          const f = SHORT_AGGS[fname.toLowerCase()] ?? fname.toLowerCase();
          out.push(FunctionExpr.create(f, [col === "*" ? StarExpr.create() : ColumnExpr.create(col)]));
        }
      } else throw new IllegalArgumentError("agg() takes aggregate Columns such as F.sum(\"v\"), or an object like { v: \"sum\" }.");
    }
    if (out.length === 0) throw new IllegalArgumentError("agg() needs at least one aggregate expression.");
    return this.aggregate(out);
  }
  /** Rows per group, in a column named `count`. */
  count(): DataFrame { return this.aggregate([AliasExpr.create(FunctionExpr.create("count", [StarExpr.create()]), "count")]); }
  private each(fname: string, cols: string[]): DataFrame {
    if (cols.length === 0) throw new IllegalArgumentError(`${fname}() on grouped data needs column names (Quarry does not guess the numeric columns).`);
    return this.aggregate(cols.map((c) => FunctionExpr.create(fname, [ColumnExpr.create(c)])));
  }
  /** Sum of each column per group (`sum(col)`). */ sum(...cols: string[]): DataFrame { return this.each("sum", cols); }
  /** Mean of each column per group (`avg(col)`). */ avg(...cols: string[]): DataFrame { return this.each("avg", cols); }
  /** Same as avg. */ mean(...cols: string[]): DataFrame { return this.each("avg", cols); }
  /** Minimum of each column per group. */ min(...cols: string[]): DataFrame { return this.each("min", cols); }
  /** Maximum of each column per group. */ max(...cols: string[]): DataFrame { return this.each("max", cols); }
  /** Keys only, for chaining a select of the distinct groups. */
  keysOnly(): DataFrame { return new DataFrame(this.df.session, ProjectNode.create(AggregateNode.create(this.df.plan, this.keys, []), this.keys)); }
}
