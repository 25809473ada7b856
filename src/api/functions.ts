/**
 * `F`: the function library, with Spark's names and argument conventions (a string argument
 * names a column; use `F.lit` for a string constant).
 * @example
 * df.groupBy("country").agg(F.avg("income").alias("avg_income"), F.count("*").alias("n"))
 */
import { AliasExpr, CaseWhenExpr, ColumnExpr, FunctionExpr, LiteralExpr, SqlExpr, StarExpr, type Expr } from "../plan/expr/index.js";
import { IllegalArgumentError } from "../errors.js";
import { parseDurationMs } from "../plan/interval.js";
import { parseSchemaDDL, typeToDDL, type StructType } from "../plan/types.js";
import { Column, toColumnExpr, toExpr, type ColumnOrValue } from "./column.js";

type Col = string | Column;

function c(v: Col): Expr { return toColumnExpr(v); }
function fn(name: string, ...args: Expr[]): Column { return new Column(FunctionExpr.create(name, args)); }
function flatCols(cols: (Col | readonly Col[])[]): Col[] { return cols.flat() as Col[]; }

/** A column by name (`"a"`, `"t.a"` for an aliased input, `` "`a.b`" `` for a name with a dot). */
export function col(name: string): Column {
  if (typeof name !== "string" || name.length === 0) throw new IllegalArgumentError(`col() needs a column name, got ${JSON.stringify(name)}.`);
  if (name === "*") return new Column(StarExpr.create());
  return new Column(ColumnExpr.create(name));
}

export const F = {
  col,
  /** Same as `col`. */
  column: col,
  /** A constant column. */
  lit(value: ColumnOrValue): Column { return value instanceof Column ? value : new Column(LiteralExpr.create(value)); },
  /** A SQL expression, in the backend's SQL dialect (`"a + 1"`, `"upper(name) AS n"`). */
  expr(sql: string): Column { return new Column(SqlExpr.create(sql)); },
  /** Starts a CASE expression; continue with `.when(...)` and end with `.otherwise(...)`. */
  when(condition: Column, value: ColumnOrValue): Column { return new Column(CaseWhenExpr.create([[condition.expr, toExpr(value)]], null)); },

  // aggregates
  /** Sum of the values (null for no rows). */ sum(x: Col): Column { return fn("sum", c(x)); },
  /** Sum of the distinct values. */ sumDistinct(x: Col): Column { return new Column(FunctionExpr.create("sum", [c(x)], true)); },
  /** Mean of the values. */ avg(x: Col): Column { return fn("avg", c(x)); },
  /** Mean of the values (same as avg). */ mean(x: Col): Column { return fn("avg", c(x)); },
  /** Smallest value. */ min(x: Col): Column { return fn("min", c(x)); },
  /** Largest value. */ max(x: Col): Column { return fn("max", c(x)); },
  /** Number of non-null values; `count("*")` counts rows. */
  count(x: Col): Column { return fn("count", x === "*" ? StarExpr.create() : c(x)); },
  /** Number of distinct non-null combinations of the columns. */
  countDistinct(...xs: Col[]): Column { return new Column(FunctionExpr.create("count", xs.map(c), true)); },
  /** Same as countDistinct. */
  count_distinct(...xs: Col[]): Column { return new Column(FunctionExpr.create("count", xs.map(c), true)); },
  /** Approximate distinct count (HyperLogLog). */ approx_count_distinct(x: Col): Column { return fn("approx_count_distinct", c(x)); },
  /** Sample standard deviation. */ stddev(x: Col): Column { return fn("stddev", c(x)); },
  /** Sample standard deviation. */ stddev_samp(x: Col): Column { return fn("stddev_samp", c(x)); },
  /** Population standard deviation. */ stddev_pop(x: Col): Column { return fn("stddev_pop", c(x)); },
  /** Sample variance. */ variance(x: Col): Column { return fn("variance", c(x)); },
  /** Sample variance. */ var_samp(x: Col): Column { return fn("var_samp", c(x)); },
  /** Population variance. */ var_pop(x: Col): Column { return fn("var_pop", c(x)); },
  /** Pearson correlation. */ corr(x: Col, y: Col): Column { return fn("corr", c(x), c(y)); },
  /** First value in the group (which one is unspecified without an order, as in Spark). */
  first(x: Col, ignoreNulls = false): Column { return fn("first", c(x), LiteralExpr.create(ignoreNulls)); },
  /** Last value in the group. */
  last(x: Col, ignoreNulls = false): Column { return fn("last", c(x), LiteralExpr.create(ignoreNulls)); },
  /** The non-null values of the group as an array. */ collect_list(x: Col): Column { return fn("collect_list", c(x)); },
  /** The distinct non-null values of the group as an array. */ collect_set(x: Col): Column { return fn("collect_set", c(x)); },

  // scalar
  /** First non-null argument. */ coalesce(...xs: Col[]): Column { return fn("coalesce", ...xs.map(c)); },
  /** Concatenates strings; null if any argument is null (Spark's rule). */ concat(...xs: Col[]): Column { return fn("concat", ...xs.map(c)); },
  /** Concatenates with a separator, skipping nulls. */ concat_ws(sep: string, ...xs: Col[]): Column { return fn("concat_ws", LiteralExpr.create(sep), ...xs.map(c)); },
  /** Upper case. */ upper(x: Col): Column { return fn("upper", c(x)); },
  /** Lower case. */ lower(x: Col): Column { return fn("lower", c(x)); },
  /** Length in characters. */ length(x: Col): Column { return fn("length", c(x)); },
  /** Trims spaces at both ends. */ trim(x: Col): Column { return fn("trim", c(x)); },
  ltrim(x: Col): Column { return fn("ltrim", c(x)); },
  rtrim(x: Col): Column { return fn("rtrim", c(x)); },
  /** Substring from 1-based `pos` (negative counts from the end) of `len` characters. */
  substring(x: Col, pos: number, len: number): Column { return fn("substring", c(x), LiteralExpr.create(pos), LiteralExpr.create(len)); },
  /** Replaces regex matches. */ regexp_replace(x: Col, pattern: string, replacement: string): Column { return fn("regexp_replace", c(x), LiteralExpr.create(pattern), LiteralExpr.create(replacement)); },
  /** Splits a string by a regex into an array. */ split(x: Col, pattern: string): Column { return fn("split", c(x), LiteralExpr.create(pattern)); },
  /** Rounds half up (2.5 -> 3, -2.5 -> -3) to `scale` decimals. */ round(x: Col, scale = 0): Column { return fn("round", c(x), LiteralExpr.create(scale)); },
  /** Absolute value. */ abs(x: Col): Column { return fn("abs", c(x)); },
  /** Square root. */ sqrt(x: Col): Column { return fn("sqrt", c(x)); },
  /** e^x */ exp(x: Col): Column { return fn("exp", c(x)); },
  /** Natural logarithm, or `log(base, x)` with two arguments. */
  log(a: Col | number, b?: Col): Column {
    if (b === undefined) return fn("log", c(a as Col));
    return fn("log", typeof a === "number" ? LiteralExpr.create(a) : c(a), c(b));
  },
  log10(x: Col): Column { return fn("log10", c(x)); },
  log2(x: Col): Column { return fn("log2", c(x)); },
  /** x^y */ pow(x: Col | number, y: Col | number): Column { return fn("pow", typeof x === "number" ? LiteralExpr.create(x) : c(x), typeof y === "number" ? LiteralExpr.create(y) : c(y)); },
  floor(x: Col): Column { return fn("floor", c(x)); },
  ceil(x: Col): Column { return fn("ceil", c(x)); },
  signum(x: Col): Column { return fn("signum", c(x)); },
  greatest(...xs: Col[]): Column { return fn("greatest", ...xs.map(c)); },
  least(...xs: Col[]): Column { return fn("least", ...xs.map(c)); },
  isnan(x: Col): Column { return fn("isnan", c(x)); },
  /**
   * Fails the query, when evaluated, with `message` (a string is the message itself, not a
   * column name, as in PySpark's `raise_error`). Inside `F.when(cond, F.raise_error(...))` it
   * fires only for the rows that reach that branch; the error reaches the caller as an
   * ExecutionError whose message contains `message`.
   */
  raise_error(message: Col | string): Column { return fn("raise_error", typeof message === "string" ? LiteralExpr.create(message) : c(message)); },
  isnull(x: Col): Column { return new Column(c(x)).isNull(); },
  /** An array column from columns. */ array(...xs: Col[]): Column { return fn("array", ...xs.map(c)); },
  /** A struct column from columns (field names are the column names). */ struct(...xs: Col[]): Column { return fn("struct", ...xs.map(c)); },
  size(x: Col): Column { return fn("size", c(x)); },
  array_contains(x: Col, value: ColumnOrValue): Column { return fn("array_contains", c(x), toExpr(value)); },
  /** Uniform random numbers in [0, 1), optionally seeded. */ rand(seed?: number): Column { return seed === undefined ? fn("rand") : fn("rand", LiteralExpr.create(seed)); },

  // dates and times
  /** Year of a date or timestamp. */ year(x: Col): Column { return fn("year", c(x)); },
  /** Month (1-12). */ month(x: Col): Column { return fn("month", c(x)); },
  /** Day of month (1-31). */ dayofmonth(x: Col): Column { return fn("dayofmonth", c(x)); },
  hour(x: Col): Column { return fn("hour", c(x)); },
  minute(x: Col): Column { return fn("minute", c(x)); },
  second(x: Col): Column { return fn("second", c(x)); },
  /** Parses a date with an optional Spark pattern (`"yyyy-MM-dd"`), or converts a timestamp to its date. */
  to_date(x: Col, format?: string): Column { return format === undefined ? fn("to_date", c(x)) : fn("to_date", c(x), LiteralExpr.create(format)); },
  /** Parses a timestamp in the session time zone with an optional Spark pattern (`"yyyy-MM-dd HH:mm:ss"`). */
  to_timestamp(x: Col, format?: string): Column { return format === undefined ? fn("to_timestamp", c(x)) : fn("to_timestamp", c(x), LiteralExpr.create(format)); },
  /** Formats a date/timestamp with a Spark pattern. */ date_format(x: Col, format: string): Column { return fn("date_format", c(x), LiteralExpr.create(format)); },
  date_add(x: Col, days: number): Column { return fn("date_add", c(x), LiteralExpr.create(days)); },
  datediff(end: Col, start: Col): Column { return fn("datediff", c(end), c(start)); },
  /** The time the query started, as a timestamp. */ current_timestamp(): Column { return fn("current_timestamp"); },
  current_date(): Column { return fn("current_date"); },

  // window functions
  /** 1, 2, 3... within the window partition. */ row_number(): Column { return fn("row_number"); },
  /** Rank with gaps. */ rank(): Column { return fn("rank"); },
  /** Rank without gaps. */ dense_rank(): Column { return fn("dense_rank"); },
  percent_rank(): Column { return fn("percent_rank"); },
  cume_dist(): Column { return fn("cume_dist"); },
  ntile(n: number): Column { return fn("ntile", LiteralExpr.create(n)); },
  /** The value `offset` rows before, or `defaultValue`. */
  lag(x: Col, offset = 1, defaultValue: ColumnOrValue = null): Column { return fn("lag", c(x), LiteralExpr.create(offset), toExpr(defaultValue)); },
  /** The value `offset` rows after, or `defaultValue`. */
  lead(x: Col, offset = 1, defaultValue: ColumnOrValue = null): Column { return fn("lead", c(x), LiteralExpr.create(offset), toExpr(defaultValue)); },
  /** Increasing 64-bit ids, unique but not consecutive. */ monotonically_increasing_id(): Column { return fn("monotonically_increasing_id"); },
  /** Makes the sort key for `orderBy`. */ asc(x: string): Column { return col(x).asc(); },
  desc(x: string): Column { return col(x).desc(); },

  // event time and JSON
  /**
   * The event-time window containing each row: a struct column `window` with `start` and `end`.
   * Without `slideDuration` windows are tumbling; with it they slide and a row belongs to every
   * window containing it (use it as a groupBy key). Durations are strings such as `"1 minute"`.
   * @example df.groupBy(F.window("ts", "1 minute"), "user").agg(F.sum("amount").alias("total"))
   */
  window(timeColumn: Col, windowDuration: string, slideDuration?: string, startTime?: string): Column {
    parseDurationMs(windowDuration, "window duration");
    if (slideDuration !== undefined) parseDurationMs(slideDuration, "window slide duration");
    if (startTime !== undefined) parseDurationMs(startTime, "window start time");
    const args = [c(timeColumn), LiteralExpr.create(windowDuration), LiteralExpr.create(slideDuration ?? windowDuration), LiteralExpr.create(startTime ?? "0 seconds")];
    return new Column(AliasExpr.create(FunctionExpr.create("window", args), "window"));
  },
  /**
   * A session window: rows of a key closer than `gapDuration` in event time share one window.
   * @example df.groupBy(F.session_window("ts", "5 minutes"), "user").count()
   */
  session_window(timeColumn: Col, gapDuration: string): Column {
    parseDurationMs(gapDuration, "session_window gap duration");
    return new Column(AliasExpr.create(FunctionExpr.create("session_window", [c(timeColumn), LiteralExpr.create(gapDuration)]), "session_window"));
  },
  /**
   * Parses a JSON string column into a struct with `schema` (a DDL string or StructType). Malformed
   * documents become null (`mode: "PERMISSIVE"`, the default); `mode: "FAILFAST"` stops on them.
   * @example F.from_json(F.col("value").cast("string"), "user STRING, amount DOUBLE").alias("e")
   */
  from_json(x: Col, schema: string | StructType, options: Readonly<Record<string, string>> = {}): Column {
    const st = typeof schema === "string" ? parseSchemaDDL(schema) : schema;
    // Every name quoted: Spark's parser takes keywords such as `user` only in backticks.
    const ddl = st.fields.map((f) => `\`${f.name.replace(/`/g, "``")}\` ${typeToDDL(f.type)}${f.nullable ? "" : " NOT NULL"}`).join(", ");
    const args: Expr[] = [c(x), LiteralExpr.create(ddl)];
    for (const [k, v] of Object.entries(options)) {
      if (k.toLowerCase() !== "mode" || !["PERMISSIVE", "FAILFAST"].includes(String(v).toUpperCase())) {
        throw new IllegalArgumentError(`from_json(): unsupported option ${JSON.stringify(k)}=${JSON.stringify(v)}. Supported: mode = "PERMISSIVE" (default) or "FAILFAST".`, "UNSUPPORTED_OPTION");
      }
      if (String(v).toUpperCase() === "FAILFAST") args.push(LiteralExpr.create("FAILFAST"));
    }
    return new Column(FunctionExpr.create("from_json", args));
  },
  /** A struct (or array, map) column as a JSON string. */
  to_json(x: Col): Column { return fn("to_json", c(x)); },
  /** Broadcast hint: a no-op on the embedded engine. */ broadcast<T>(df: T): T { return df; },
} as const;

/** Builds a column list from `select`-style arguments (names, Columns or arrays of them). */
export function columnList(cols: (Col | readonly Col[])[]): Expr[] { return flatCols(cols).map(c); }
