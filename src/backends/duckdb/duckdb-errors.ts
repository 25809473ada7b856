/** Wraps DuckDB's errors into Quarry's hierarchy, keeping DuckDB's message and the SQL that failed. */
import { AnalysisError, ExecutionError, ParseError, QuarryError } from "../../errors.js";

function errorClass(msg: string): string {
  if (/DIVIDE_BY_ZERO/.test(msg)) return "DIVIDE_BY_ZERO";
  if (/Overflow|out of range/i.test(msg)) return "ARITHMETIC_OVERFLOW";
  if (/Could not convert|Conversion Error/i.test(msg)) return "CAST_INVALID_INPUT";
  if (/Out of Memory/i.test(msg)) return "OUT_OF_MEMORY";
  if (/INTERRUPT/i.test(msg)) return "OPERATION_CANCELED";
  if (/IO Error/i.test(msg)) return "IO_ERROR";
  return "EXECUTION_ERROR";
}

/** Turns an error thrown by DuckDB into a QuarryError that says what ran. */
export function wrapDuckError(e: unknown, sql: string, what: string, names?: ReadonlyMap<string, string>): QuarryError {
  if (e instanceof QuarryError) return e;
  let msg = e instanceof Error ? e.message : String(e);
  // DuckDB's sniffer appends a long list of generic fixes; the first lines say what went wrong.
  const fixes = msg.indexOf("\nPossible fixes:");
  if (fixes > 0) msg = msg.slice(0, fixes);
  const dump = msg.indexOf("\n  file = ");
  if (/CSV Error/.test(msg) && dump > 0) msg = msg.slice(0, dump).replace(/\n\nColumn [^]*$/, "");
  if (names) msg = msg.replace(/"?(_q\d+)"?/g, (m, id: string) => (names.has(id) ? "`" + names.get(id) + "`" : m));
  if (/must appear in the GROUP BY clause/.test(msg)) {
    return new AnalysisError(`[MISSING_AGGREGATION] ${msg.split("\n")[0]} Every selected column must be a grouping key or inside an aggregate (F.sum, F.max, F.first...); to keep per-row values next to aggregates use a window: F.sum(x).over(Window.partitionBy(...)).\n  while running ${what}`, "MISSING_AGGREGATION", { cause: e });
  }
  const shown = sql.length > 600 ? sql.slice(0, 600) + " ..." : sql;
  const detail = `${msg}\n  while running ${what}\n  DuckDB SQL: ${shown}`;
  if (/^(Binder|Catalog) Error/.test(msg)) {
    const m = /Referenced column "([^"]+)" not found[^]*?Candidate bindings: (.*)/.exec(msg);
    if (m) return new AnalysisError(`[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column with name \`${m[1]}\` cannot be resolved. Did you mean one of the following? [${m[2].split("\n")[0]}]\n  while running ${what}`, "UNRESOLVED_COLUMN", { cause: e });
    return new AnalysisError(detail, "ANALYSIS_ERROR", { cause: e });
  }
  if (/^Parser Error/.test(msg)) return new ParseError(detail, "PARSE_SYNTAX_ERROR", { cause: e });
  if (/^(Invalid Input Error|Not implemented Error)/.test(msg) && /DIVIDE_BY_ZERO/.test(msg) === false && /CSV/.test(msg) === false && /convert/i.test(msg) === false) {
    return new ExecutionError(detail, "INVALID_INPUT", { cause: e });
  }
  const cls = errorClass(msg);
  const lead: Record<string, string> = {
    ARITHMETIC_OVERFLOW: "[ARITHMETIC_OVERFLOW] Arithmetic overflow: the result does not fit its type. Cast an input to a wider type (bigint, double or decimal) first.\n",
    CAST_INVALID_INPUT: "[CAST_INVALID_INPUT] A value cannot be converted to the requested type. Use tryCast (or F.expr(\"TRY_CAST(...)\")) to get null instead, or fix the data.\n",
    OUT_OF_MEMORY: "[OUT_OF_MEMORY] The engine ran out of memory. Raise .config(\"memory_limit\", ...) or set .config(\"temp_directory\", ...) so it can spill to disk.\n",
  };
  return new ExecutionError((lead[cls] ?? "") + detail, cls, { cause: e });
}
