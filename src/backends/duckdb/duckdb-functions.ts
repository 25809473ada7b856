/**
 * How each Quarry (Spark-named) function is written in DuckDB SQL. Most are simple renames;
 * the rest are small templates that keep Spark's semantics (ANSI errors, null rules, 1-based
 * substring, natural log). A function missing here raises UnsupportedOperationError.
 */
import { str } from "./duckdb-sql.js";
import { sparkToStrftime } from "./duckdb-datetime.js";
import type { DataType } from "../../plan/types.js";
import { isIntegralType } from "../../plan/types.js";

/** What a template sees: argument SQL, argument types where known, and the raw literal values. */
export interface FnArgs {
  readonly sql: readonly string[];
  readonly types: readonly (DataType | null)[];
  readonly literals: readonly unknown[];
  readonly distinct: boolean;
}
export type FnTemplate = (a: FnArgs) => string;

/** Macros created once per database; they keep templates short and evaluate arguments once. */
export const DUCKDB_MACROS: readonly string[] = [
  `CREATE OR REPLACE MACRO quarry_div(a, b) AS CASE WHEN b = 0 THEN error('[DIVIDE_BY_ZERO] Division by zero. Use try_divide to tolerate a divisor of 0 and return NULL instead.') ELSE a / b END`,
  `CREATE OR REPLACE MACRO quarry_mod(a, b) AS CASE WHEN b = 0 THEN error('[DIVIDE_BY_ZERO] Division by zero in the remainder (%). Filter out zero divisors first.') ELSE a % b END`,
  `CREATE OR REPLACE MACRO quarry_sqrt(x) AS CASE WHEN x < 0 THEN CAST('NaN' AS DOUBLE) ELSE sqrt(x) END`,
  `CREATE OR REPLACE MACRO quarry_ln(x) AS CASE WHEN x <= 0 THEN NULL ELSE ln(x) END`,
  `CREATE OR REPLACE MACRO quarry_log10(x) AS CASE WHEN x <= 0 THEN NULL ELSE log10(x) END`,
  `CREATE OR REPLACE MACRO quarry_log2(x) AS CASE WHEN x <= 0 THEN NULL ELSE log2(x) END`,
  `CREATE OR REPLACE MACRO quarry_logb(b, x) AS CASE WHEN x <= 0 OR b <= 0 THEN NULL ELSE ln(x) / ln(b) END`,
  `CREATE OR REPLACE MACRO quarry_substring(s, p, l) AS substring(s, CASE WHEN p = 0 THEN 1 WHEN p < 0 THEN greatest(length(s) + p + 1, 1) ELSE p END, CASE WHEN p < 0 AND length(s) + p + 1 < 1 THEN greatest(l + length(s) + p, 0) ELSE greatest(l, 0) END)`,
];

const simple = (name: string): FnTemplate => (a) => `${name}(${a.sql.join(", ")})`;
const unary = (name: string): FnTemplate => (a) => `${name}(${a.sql[0]})`;
const toInt = (inner: string) => `CAST(${inner} AS INTEGER)`;

function fmt(a: FnArgs, i: number, fname: string): string {
  const v = a.literals[i];
  if (typeof v !== "string") throw new Error(`${fname}: the format must be a string constant.`);
  return str(sparkToStrftime(v));
}

export const DUCKDB_FUNCTIONS: Readonly<Record<string, FnTemplate>> = {
  // aggregates
  sum: (a) => {
    const inner = `sum(${a.distinct ? "DISTINCT " : ""}${a.sql[0]})`;
    return a.types[0] && isIntegralType(a.types[0]) ? `CAST(${inner} AS BIGINT)` : inner;
  },
  avg: (a) => `avg(${a.distinct ? "DISTINCT " : ""}${a.sql[0]})`,
  min: unary("min"),
  max: unary("max"),
  count: (a) => {
    if (a.sql.length === 1 && a.sql[0] === "*") return "count(*)";
    if (a.distinct) {
      if (a.sql.length === 1) return `count(DISTINCT ${a.sql[0]})`;
      return `count(DISTINCT CASE WHEN ${a.sql.map((s) => `(${s}) IS NOT NULL`).join(" AND ")} THEN row(${a.sql.join(", ")}) END)`;
    }
    if (a.sql.length > 1) return `count(CASE WHEN ${a.sql.map((s) => `(${s}) IS NOT NULL`).join(" AND ")} THEN 1 END)`;
    return `count(${a.sql[0]})`;
  },
  stddev: unary("stddev_samp"),
  stddev_samp: unary("stddev_samp"),
  stddev_pop: unary("stddev_pop"),
  variance: unary("var_samp"),
  var_samp: unary("var_samp"),
  var_pop: unary("var_pop"),
  corr: simple("corr"),
  covar_samp: simple("covar_samp"),
  covar_pop: simple("covar_pop"),
  first: (a) => (a.literals[1] === true ? `first(${a.sql[0]}) FILTER (WHERE (${a.sql[0]}) IS NOT NULL)` : `first(${a.sql[0]})`),
  last: (a) => (a.literals[1] === true ? `last(${a.sql[0]}) FILTER (WHERE (${a.sql[0]}) IS NOT NULL)` : `last(${a.sql[0]})`),
  collect_list: (a) => `coalesce(list(${a.sql[0]}) FILTER (WHERE (${a.sql[0]}) IS NOT NULL), [])`,
  collect_set: (a) => `coalesce(list(DISTINCT ${a.sql[0]}) FILTER (WHERE (${a.sql[0]}) IS NOT NULL), [])`,
  approx_count_distinct: unary("approx_count_distinct"),

  // window
  row_number: () => "row_number()",
  rank: () => "rank()",
  dense_rank: () => "dense_rank()",
  percent_rank: () => "percent_rank()",
  cume_dist: () => "cume_dist()",
  ntile: (a) => `ntile(${a.sql[0]})`,
  lag: (a) => `lag(${a.sql[0]}, ${a.sql[1] ?? "1"}${a.sql[2] && a.sql[2] !== "NULL" ? ", " + a.sql[2] : ""})`,
  lead: (a) => `lead(${a.sql[0]}, ${a.sql[1] ?? "1"}${a.sql[2] && a.sql[2] !== "NULL" ? ", " + a.sql[2] : ""})`,

  // strings
  coalesce: simple("coalesce"),
  concat: (a) => "(" + a.sql.map((s) => `CAST(${s} AS VARCHAR)`).join(" || ") + ")",
  concat_ws: (a) => `concat_ws(${a.sql.join(", ")})`,
  upper: unary("upper"),
  lower: unary("lower"),
  length: (a) => toInt(`length(${a.sql[0]})`),
  trim: (a) => `trim(${a.sql[0]}, ' ')`,
  ltrim: (a) => `ltrim(${a.sql[0]}, ' ')`,
  rtrim: (a) => `rtrim(${a.sql[0]}, ' ')`,
  substring: (a) => `quarry_substring(${a.sql[0]}, ${a.sql[1]}, ${a.sql[2] ?? "2147483647"})`,
  regexp_replace: (a) => `regexp_replace(${a.sql[0]}, ${a.sql[1]}, ${a.sql[2]}, 'g')`,
  split: (a) => `regexp_split_to_array(${a.sql[0]}, ${a.sql[1]})`,
  like: (a) => `(${a.sql[0]} LIKE ${a.sql[1]} ESCAPE '\\')`,
  rlike: (a) => `regexp_matches(${a.sql[0]}, ${a.sql[1]})`,
  startswith: (a) => `starts_with(${a.sql[0]}, ${a.sql[1]})`,
  endswith: (a) => `ends_with(${a.sql[0]}, ${a.sql[1]})`,
  contains: (a) => `contains(${a.sql[0]}, ${a.sql[1]})`,

  // math
  round: (a) => `round(${a.sql[0]}, ${a.sql[1] ?? "0"})`,
  abs: unary("abs"),
  sqrt: unary("quarry_sqrt"),
  exp: unary("exp"),
  log: (a) => (a.sql.length === 1 ? `quarry_ln(${a.sql[0]})` : `quarry_logb(${a.sql[0]}, ${a.sql[1]})`),
  log10: unary("quarry_log10"),
  log2: unary("quarry_log2"),
  pow: (a) => `pow(CAST(${a.sql[0]} AS DOUBLE), CAST(${a.sql[1]} AS DOUBLE))`,
  floor: (a) => (a.types[0] && isIntegralType(a.types[0]) ? `CAST(${a.sql[0]} AS BIGINT)` : `CAST(floor(${a.sql[0]}) AS BIGINT)`),
  ceil: (a) => (a.types[0] && isIntegralType(a.types[0]) ? `CAST(${a.sql[0]} AS BIGINT)` : `CAST(ceil(${a.sql[0]}) AS BIGINT)`),
  signum: (a) => `CAST(sign(${a.sql[0]}) AS DOUBLE)`,
  greatest: simple("greatest"),
  least: simple("least"),
  isnan: unary("isnan"),
  nanvl: (a) => `CASE WHEN isnan(${a.sql[0]}) THEN ${a.sql[1]} ELSE ${a.sql[0]} END`,
  sin: unary("sin"),
  cos: unary("cos"),
  tanh: unary("tanh"),
  hash: (a) => `CAST(hash(${a.sql.join(", ")}) % 2147483647 AS INTEGER)`,
  rand: () => "random()",
  monotonically_increasing_id: () => "CAST(row_number() OVER () - 1 AS BIGINT)",

  // collections
  array: (a) => `list_value(${a.sql.join(", ")})`,
  size: (a) => toInt(`len(${a.sql[0]})`),
  array_contains: (a) => `list_contains(${a.sql[0]}, ${a.sql[1]})`,
  element_at: (a) => `${a.sql[0]}[${a.sql[1]}]`,

  // dates and times
  year: (a) => toInt(`year(${a.sql[0]})`),
  month: (a) => toInt(`month(${a.sql[0]})`),
  dayofmonth: (a) => toInt(`day(${a.sql[0]})`),
  hour: (a) => toInt(`hour(${a.sql[0]})`),
  minute: (a) => toInt(`minute(${a.sql[0]})`),
  second: (a) => toInt(`second(${a.sql[0]})`),
  to_date: (a) => (a.sql.length === 1 ? `CAST(${a.sql[0]} AS DATE)` : `CAST(strptime(${a.sql[0]}, ${fmt(a, 1, "to_date")}) AS DATE)`),
  to_timestamp: (a) => (a.sql.length === 1 ? `CAST(${a.sql[0]} AS TIMESTAMPTZ)` : `CAST(strptime(${a.sql[0]}, ${fmt(a, 1, "to_timestamp")}) AS TIMESTAMPTZ)`),
  date_format: (a) => `strftime(${a.sql[0]}, ${fmt(a, 1, "date_format")})`,
  date_add: (a) => `CAST(${a.sql[0]} AS DATE) + CAST(${a.sql[1]} AS INTEGER)`,
  datediff: (a) => toInt(`date_diff('day', CAST(${a.sql[1]} AS DATE), CAST(${a.sql[0]} AS DATE))`),
  current_timestamp: () => "get_current_timestamp()",
  current_date: () => "current_date",
};
