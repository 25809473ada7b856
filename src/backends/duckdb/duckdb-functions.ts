/**
 * How each Quarry (Spark-named) function is written in DuckDB SQL. Most are simple renames;
 * the rest are small templates that keep Spark's semantics (ANSI errors, null rules, 1-based
 * substring, natural log). A function missing here raises UnsupportedOperationError.
 */
import { str } from "./duckdb-sql.js";
import { sparkToStrftime } from "./duckdb-datetime.js";
import type { DataType } from "../../plan/types.js";
import { isIntegralType, parseSchemaDDL } from "../../plan/types.js";
import { toDuckType } from "./duckdb-types.js";

/** DuckDB's `from_json` structure for a Spark type: objects for structs, `[t]` for arrays, type names otherwise. */
function jsonStructure(t: DataType): unknown {
  if (typeof t === "object" && t.type === "struct") return Object.fromEntries(t.fields.map((f) => [f.name, jsonStructure(f.type)]));
  if (typeof t === "object" && t.type === "array") return [jsonStructure(t.elementType)];
  return toDuckType(t);
}

/** What a template sees: argument SQL, argument types where known, and the raw literal values. */
export interface FnArgs {
  readonly sql: readonly string[];
  readonly types: readonly (DataType | null)[];
  readonly literals: readonly unknown[];
  readonly distinct: boolean;
  /** The window (`PARTITION BY ... ORDER BY ...`) when the call is evaluated over one. */
  readonly over: string | null;
}

/** Appends the OVER clause right after the aggregate or window call, before any cast around it. */
const ov = (a: FnArgs, call: string) => (a.over === null ? call : `${call} OVER (${a.over})`);
export type FnTemplate = (a: FnArgs) => string;

/** Macros created once per database; they keep templates short and evaluate arguments once. */
export const DUCKDB_MACROS: readonly string[] = [
  // Spark's cast of binary to string decodes UTF-8; DuckDB's escapes bytes (and escapes "\\" as
  // \x5C, so the escaped text turns back into the exact bytes). Invalid UTF-8 keeps the escapes.
  `CREATE OR REPLACE MACRO quarry_cast_string(x) AS CASE WHEN typeof(x) = 'BLOB' THEN coalesce(try(decode(CAST(CAST(x AS VARCHAR) AS BLOB))), CAST(x AS VARCHAR)) ELSE CAST(x AS VARCHAR) END`,
  `CREATE OR REPLACE MACRO quarry_div(a, b) AS CASE WHEN b = 0 THEN error('[DIVIDE_BY_ZERO] Division by zero. Use try_divide to tolerate a divisor of 0 and return NULL instead.') ELSE a / b END`,
  `CREATE OR REPLACE MACRO quarry_mod(a, b) AS CASE WHEN b = 0 THEN error('[DIVIDE_BY_ZERO] Division by zero in the remainder (%). Filter out zero divisors first.') ELSE a % b END`,
  `CREATE OR REPLACE MACRO quarry_sqrt(x) AS CASE WHEN x < 0 THEN CAST('NaN' AS DOUBLE) ELSE sqrt(x) END`,
  `CREATE OR REPLACE MACRO quarry_ln(x) AS CASE WHEN x <= 0 THEN NULL ELSE ln(x) END`,
  `CREATE OR REPLACE MACRO quarry_log10(x) AS CASE WHEN x <= 0 THEN NULL ELSE log10(x) END`,
  `CREATE OR REPLACE MACRO quarry_log2(x) AS CASE WHEN x <= 0 THEN NULL ELSE log2(x) END`,
  `CREATE OR REPLACE MACRO quarry_logb(b, x) AS CASE WHEN x <= 0 OR b <= 0 THEN NULL ELSE ln(x) / ln(b) END`,
  // Spark rounds the decimal a double prints as (round(1.005, 2) = 1.01), half up.
  `CREATE OR REPLACE MACRO quarry_round(x, s) AS CASE WHEN isfinite(x) AND abs(x) < 1e17 THEN CAST(round(CAST(CAST(x AS VARCHAR) AS DECIMAL(38,18)), s) AS DOUBLE) ELSE round(x, s) END`,
  `CREATE OR REPLACE MACRO size(x) AS coalesce(len(x), -1)`,
  `CREATE OR REPLACE MACRO quarry_substring(s, p, l) AS substring(s, CASE WHEN p = 0 THEN 1 WHEN p < 0 THEN greatest(length(s) + p + 1, 1) ELSE p END, CASE WHEN p < 0 AND length(s) + p + 1 < 1 THEN greatest(l + length(s) + p, 0) ELSE greatest(l, 0) END)`,
];

const simple = (name: string): FnTemplate => (a) => `${name}(${a.sql.join(", ")})`;
const unary = (name: string): FnTemplate => (a) => `${name}(${a.sql[0]})`;
const aggUnary = (name: string): FnTemplate => (a) => ov(a, `${name}(${a.sql[0]})`);
const toInt = (inner: string) => `CAST(${inner} AS INTEGER)`;

function fmt(a: FnArgs, i: number, fname: string): string {
  const v = a.literals[i];
  if (typeof v !== "string") throw new Error(`${fname}: the format must be a string constant.`);
  return str(sparkToStrftime(v));
}

export const DUCKDB_FUNCTIONS: Readonly<Record<string, FnTemplate>> = {
  // aggregates
  sum: (a) => {
    const inner = ov(a, `sum(${a.distinct ? "DISTINCT " : ""}${a.sql[0]})`);
    return a.types[0] && isIntegralType(a.types[0]) ? `CAST(${inner} AS BIGINT)` : inner;
  },
  avg: (a) => ov(a, `avg(${a.distinct ? "DISTINCT " : ""}${a.sql[0]})`),
  min: aggUnary("min"),
  max: aggUnary("max"),
  count: (a) => {
    if (a.sql.length === 1 && a.sql[0] === "*") return ov(a, "count(*)");
    if (a.distinct) {
      if (a.sql.length === 1) return ov(a, `count(DISTINCT ${a.sql[0]})`);
      return ov(a, `count(DISTINCT CASE WHEN ${a.sql.map((s) => `(${s}) IS NOT NULL`).join(" AND ")} THEN row(${a.sql.join(", ")}) END)`);
    }
    if (a.sql.length > 1) return ov(a, `count(CASE WHEN ${a.sql.map((s) => `(${s}) IS NOT NULL`).join(" AND ")} THEN 1 END)`);
    return ov(a, `count(${a.sql[0]})`);
  },
  stddev: aggUnary("stddev_samp"),
  stddev_samp: aggUnary("stddev_samp"),
  stddev_pop: aggUnary("stddev_pop"),
  variance: aggUnary("var_samp"),
  var_samp: aggUnary("var_samp"),
  var_pop: aggUnary("var_pop"),
  corr: (a) => ov(a, `corr(${a.sql.join(", ")})`),
  covar_samp: (a) => ov(a, `covar_samp(${a.sql.join(", ")})`),
  covar_pop: (a) => ov(a, `covar_pop(${a.sql.join(", ")})`),
  first: (a) => ov(a, a.literals[1] === true ? `first(${a.sql[0]}) FILTER (WHERE (${a.sql[0]}) IS NOT NULL)` : `first(${a.sql[0]})`),
  last: (a) => ov(a, a.literals[1] === true ? `last(${a.sql[0]}) FILTER (WHERE (${a.sql[0]}) IS NOT NULL)` : `last(${a.sql[0]})`),
  collect_list: (a) => `coalesce(${ov(a, `list(${a.sql[0]}) FILTER (WHERE (${a.sql[0]}) IS NOT NULL)`)}, [])`,
  collect_set: (a) => `coalesce(${ov(a, `list(DISTINCT ${a.sql[0]}) FILTER (WHERE (${a.sql[0]}) IS NOT NULL)`)}, [])`,
  approx_count_distinct: aggUnary("approx_count_distinct"),

  // window
  row_number: (a) => ov(a, "row_number()"),
  rank: (a) => ov(a, "rank()"),
  dense_rank: (a) => ov(a, "dense_rank()"),
  percent_rank: (a) => ov(a, "percent_rank()"),
  cume_dist: (a) => ov(a, "cume_dist()"),
  ntile: (a) => ov(a, `ntile(${a.sql[0]})`),
  lag: (a) => ov(a, `lag(${a.sql[0]}, ${a.sql[1] ?? "1"}${a.sql[2] && a.sql[2] !== "NULL" ? ", " + a.sql[2] : ""})`),
  lead: (a) => ov(a, `lead(${a.sql[0]}, ${a.sql[1] ?? "1"}${a.sql[2] && a.sql[2] !== "NULL" ? ", " + a.sql[2] : ""})`),

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
  round: (a) => (a.types[0] === "double" || a.types[0] === "float" || a.types[0] === null ? `quarry_round(${a.sql[0]}, ${a.sql[1] ?? "0"})` : `round(${a.sql[0]}, ${a.sql[1] ?? "0"})`),
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
  raise_error: (a) => `error(CAST(${a.sql[0]} AS VARCHAR))`,
  sin: unary("sin"),
  cos: unary("cos"),
  tanh: unary("tanh"),
  hash: (a) => `CAST(hash(${a.sql.join(", ")}) % 2147483647 AS INTEGER)`,
  rand: () => "random()",
  monotonically_increasing_id: () => "CAST(row_number() OVER () - 1 AS BIGINT)",

  // JSON: PERMISSIVE turns a malformed document into null (FAILFAST stops the query with DuckDB's message).
  from_json: (a) => {
    const structure = str(JSON.stringify(jsonStructure(parseSchemaDDL(String(a.literals[1])))));
    if (a.literals[2] === "FAILFAST") return `from_json(${a.sql[0]}, ${structure})`;
    return `CASE WHEN json_valid(${a.sql[0]}) THEN from_json(${a.sql[0]}, ${structure}) END`;
  },
  to_json: (a) => `CAST(to_json(${a.sql[0]}) AS VARCHAR)`,

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
