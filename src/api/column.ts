/**
 * Column: an immutable, lazy expression handle. Every method returns a new Column; nothing
 * runs until an action on a DataFrame.
 */
import {
  AliasExpr, BinaryExpr, CaseWhenExpr, CastExpr, ColumnExpr, FieldExpr, FunctionExpr, InExpr, LiteralExpr,
  SortOrderExpr, UnaryExpr, WindowExpr, type BinaryOp, type Expr,
} from "../plan/expr/index.js";
import { parseDataType, type DataType } from "../plan/types.js";
import { IllegalArgumentError } from "../errors.js";
import type { WindowSpec } from "./window.js";

/** Something usable where a Column is expected: a Column, or a literal value. */
export type ColumnOrValue = Column | string | number | boolean | bigint | Date | null | readonly unknown[];

/** Wraps a literal value as an expression; Columns pass through. */
export function toExpr(v: ColumnOrValue | unknown): Expr {
  if (v instanceof Column) return v.expr;
  return LiteralExpr.create(v);
}

/** Columns given by name or Column object, as Spark's API accepts both. */
export function toColumnExpr(v: string | Column): Expr {
  if (v instanceof Column) return v.expr;
  if (v === "*") return { kind: "StarExpr", qualifier: null };
  if (v.endsWith(".*")) return { kind: "StarExpr", qualifier: v.slice(0, -2) };
  return ColumnExpr.create(v);
}

/**
 * A column expression.
 * @example
 * F.col("age").gt(30).and(F.col("country").eq("FR"))
 */
export class Column {
  /** The frozen plan expression this Column stands for. */
  readonly expr: Expr;
  constructor(expr: Expr) { this.expr = expr; Object.freeze(this); }

  private bin(op: BinaryOp, other: ColumnOrValue): Column { return new Column(BinaryExpr.create(op, this.expr, toExpr(other))); }

  /** `this > other` */ gt(other: ColumnOrValue): Column { return this.bin(">", other); }
  /** `this >= other` */ ge(other: ColumnOrValue): Column { return this.bin(">=", other); }
  /** `this < other` */ lt(other: ColumnOrValue): Column { return this.bin("<", other); }
  /** `this <= other` */ le(other: ColumnOrValue): Column { return this.bin("<=", other); }
  /** `this = other` (null when either side is null) */ eq(other: ColumnOrValue): Column { return this.bin("=", other); }
  /** `this != other` */ ne(other: ColumnOrValue): Column { return this.bin("!=", other); }
  /** Null-safe equality: true when both are null. */ eqNullSafe(other: ColumnOrValue): Column { return this.bin("<=>", other); }
  /** `this + other` */ plus(other: ColumnOrValue): Column { return this.bin("+", other); }
  /** `this - other` */ minus(other: ColumnOrValue): Column { return this.bin("-", other); }
  /** `this * other` */ multiply(other: ColumnOrValue): Column { return this.bin("*", other); }
  /** `this / other`, always a double, as in Spark; dividing by zero is an error (ANSI). */
  divide(other: ColumnOrValue): Column { return this.bin("/", other); }
  /** `this % other` */ mod(other: ColumnOrValue): Column { return this.bin("%", other); }
  /** Boolean AND */ and(other: ColumnOrValue): Column { return this.bin("AND", other); }
  /** Boolean OR */ or(other: ColumnOrValue): Column { return this.bin("OR", other); }
  /** Boolean NOT */ not(): Column { return new Column(UnaryExpr.create("NOT", this.expr)); }
  /** Arithmetic negation. */ negate(): Column { return new Column(UnaryExpr.create("NEGATE", this.expr)); }
  /** True when the value is null. */ isNull(): Column { return new Column(UnaryExpr.create("IS NULL", this.expr)); }
  /** True when the value is not null. */ isNotNull(): Column { return new Column(UnaryExpr.create("IS NOT NULL", this.expr)); }
  /** True when the value is NaN. */ isNaN(): Column { return new Column(UnaryExpr.create("IS NAN", this.expr)); }

  /**
   * True when the value equals one of `values` (given as arguments or one array).
   * @example F.col("country").isin("FR", "DE")
   */
  isin(...values: (ColumnOrValue | readonly ColumnOrValue[])[]): Column {
    const flat = values.length === 1 && Array.isArray(values[0]) ? (values[0] as ColumnOrValue[]) : (values as ColumnOrValue[]);
    return new Column(InExpr.create(this.expr, flat.map(toExpr)));
  }
  /** SQL LIKE with `%` and `_` wildcards and `\` as escape. */
  like(pattern: string): Column { return new Column(FunctionExpr.create("like", [this.expr, LiteralExpr.create(pattern)])); }
  /** Regular-expression match. */
  rlike(pattern: string): Column { return new Column(FunctionExpr.create("rlike", [this.expr, LiteralExpr.create(pattern)])); }
  /** True when the string starts with `prefix`. */
  startswith(prefix: ColumnOrValue): Column { return new Column(FunctionExpr.create("startswith", [this.expr, toExpr(prefix)])); }
  /** True when the string ends with `suffix`. */
  endswith(suffix: ColumnOrValue): Column { return new Column(FunctionExpr.create("endswith", [this.expr, toExpr(suffix)])); }
  /** True when the string contains `part`. */
  contains(part: ColumnOrValue): Column { return new Column(FunctionExpr.create("contains", [this.expr, toExpr(part)])); }
  /** `lower <= this <= upper` */
  between(lower: ColumnOrValue, upper: ColumnOrValue): Column { return this.ge(lower).and(this.le(upper)); }
  /** Substring from 1-based `pos` of `len` characters. */
  substr(pos: number, len: number): Column { return new Column(FunctionExpr.create("substring", [this.expr, LiteralExpr.create(pos), LiteralExpr.create(len)])); }

  /**
   * Converts to another type, named as Spark names them (`"int"`, `"double"`, `"string"`, `"date"`,
   * `"timestamp"`, `"decimal(10,2)"`, `"array<string>"`). A value that does not convert is an error (ANSI).
   */
  cast(to: string | DataType): Column {
    return new Column(CastExpr.create(this.expr, typeof to === "string" ? parseDataType(to) : to));
  }
  /** Like `cast`, but a value that does not convert becomes null. */
  tryCast(to: string | DataType): Column {
    return new Column(CastExpr.create(this.expr, typeof to === "string" ? parseDataType(to) : to, true));
  }
  /** Same as `cast`. */ astype(to: string | DataType): Column { return this.cast(to); }

  /** Names the column. */
  alias(name: string): Column {
    if (typeof name !== "string" || name.length === 0) throw new IllegalArgumentError(`alias() needs a non-empty column name, got ${JSON.stringify(name)}.`);
    return new Column(AliasExpr.create(this.expr, name));
  }
  /** Same as `alias`. */ as(name: string): Column { return this.alias(name); }
  /** Same as `alias`. */ name(name: string): Column { return this.alias(name); }

  /** Ascending sort key, nulls first (Spark's default). */ asc(): Column { return new Column(SortOrderExpr.create(this.expr, "asc")); }
  /** Descending sort key, nulls last (Spark's default). */ desc(): Column { return new Column(SortOrderExpr.create(this.expr, "desc")); }
  asc_nulls_first(): Column { return new Column(SortOrderExpr.create(this.expr, "asc", "first")); }
  asc_nulls_last(): Column { return new Column(SortOrderExpr.create(this.expr, "asc", "last")); }
  desc_nulls_first(): Column { return new Column(SortOrderExpr.create(this.expr, "desc", "first")); }
  desc_nulls_last(): Column { return new Column(SortOrderExpr.create(this.expr, "desc", "last")); }

  /** A field of a struct column. */
  getField(name: string): Column { return new Column(FieldExpr.create(this.expr, name)); }
  /** An element of an array column (0-based, as in Spark's `getItem`). */
  getItem(index: number | string): Column { return new Column(FieldExpr.create(this.expr, index)); }

  /** Continues a `F.when(...)` chain. */
  when(condition: Column, value: ColumnOrValue): Column {
    if (this.expr.kind !== "CaseWhenExpr" || this.expr.otherwise !== null) {
      throw new IllegalArgumentError("when() can only follow F.when(...) or another when(), before otherwise().");
    }
    return new Column(CaseWhenExpr.create([...this.expr.branches, [condition.expr, toExpr(value)]], null));
  }
  /** Ends a `F.when(...)` chain with the value for rows no branch matched. */
  otherwise(value: ColumnOrValue): Column {
    if (this.expr.kind !== "CaseWhenExpr" || this.expr.otherwise !== null) {
      throw new IllegalArgumentError("otherwise() can only follow F.when(...) or when(), once.");
    }
    return new Column(CaseWhenExpr.create(this.expr.branches, toExpr(value)));
  }

  /**
   * Evaluates an aggregate or ranking function over a window.
   * @example F.row_number().over(Window.partitionBy("k").orderBy(F.col("v").desc()))
   */
  over(window: WindowSpec): Column {
    return new Column(WindowExpr.create(this.expr, window.spec));
  }

  toString(): string { return `Column<${JSON.stringify(this.expr)}>`; }
}
