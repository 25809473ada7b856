/**
 * The functions Quarry knows, by Spark name, and what kind each is. Backends map these names
 * to their own (see each backend's function table); a name missing there is unsupported.
 */
export type FunctionKind = "scalar" | "aggregate" | "window";

export const FUNCTION_KINDS: Readonly<Record<string, FunctionKind>> = Object.freeze({
  // aggregates
  sum: "aggregate", avg: "aggregate", min: "aggregate", max: "aggregate", count: "aggregate",
  stddev: "aggregate", stddev_samp: "aggregate", stddev_pop: "aggregate", variance: "aggregate",
  var_samp: "aggregate", var_pop: "aggregate", first: "aggregate", last: "aggregate",
  collect_list: "aggregate", collect_set: "aggregate", approx_count_distinct: "aggregate",
  corr: "aggregate", covar_samp: "aggregate", covar_pop: "aggregate", sum_distinct: "aggregate",
  // window-only
  row_number: "window", rank: "window", dense_rank: "window", percent_rank: "window", cume_dist: "window",
  ntile: "window", lag: "window", lead: "window",
  // scalars
  coalesce: "scalar", concat: "scalar", concat_ws: "scalar", upper: "scalar", lower: "scalar", length: "scalar",
  substring: "scalar", trim: "scalar", ltrim: "scalar", rtrim: "scalar", round: "scalar", abs: "scalar",
  sqrt: "scalar", exp: "scalar", log: "scalar", log10: "scalar", log2: "scalar", pow: "scalar", floor: "scalar", ceil: "scalar",
  year: "scalar", month: "scalar", dayofmonth: "scalar", hour: "scalar", minute: "scalar", second: "scalar",
  to_date: "scalar", to_timestamp: "scalar", current_timestamp: "scalar", current_date: "scalar", date_format: "scalar",
  date_add: "scalar", datediff: "scalar", like: "scalar", rlike: "scalar", greatest: "scalar", least: "scalar",
  regexp_replace: "scalar", split: "scalar", size: "scalar", array: "scalar", struct: "scalar", signum: "scalar",
  rand: "scalar", isnan: "scalar", nanvl: "scalar", sin: "scalar", cos: "scalar", tanh: "scalar", hash: "scalar",
  array_contains: "scalar", element_at: "scalar", startswith: "scalar", endswith: "scalar", contains: "scalar",
  monotonically_increasing_id: "scalar", from_json: "scalar", to_json: "scalar", window: "scalar", session_window: "scalar",
  raise_error: "scalar",
});

export function functionKind(name: string): FunctionKind | undefined {
  return FUNCTION_KINDS[name];
}
