/**
 * Quarry's error hierarchy. Every failure a user can cause is one of these, with a message
 * that names the offending thing (file, line, option, column) and says what to do.
 */

/** Base class of every error Quarry raises on purpose. */
export class QuarryError extends Error {
  /** A stable machine-readable class, in Spark's style (e.g. `UNRESOLVED_COLUMN`). */
  readonly errorClass: string;
  constructor(message: string, errorClass = "QUARRY_ERROR", options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.errorClass = errorClass;
  }
}

/** The program refers to something that does not exist or is ambiguous (a column, a table, a path). */
export class AnalysisError extends QuarryError {
  constructor(message: string, errorClass = "ANALYSIS_ERROR", options?: { cause?: unknown }) {
    super(message, errorClass, options);
  }
}

/** A SQL text, DDL schema string or expression string could not be parsed. */
export class ParseError extends QuarryError {
  constructor(message: string, errorClass = "PARSE_SYNTAX_ERROR", options?: { cause?: unknown }) {
    super(message, errorClass, options);
  }
}

/** The feature exists in the API but the selected backend cannot run it. */
export class UnsupportedOperationError extends QuarryError {
  constructor(message: string, errorClass = "UNSUPPORTED_OPERATION", options?: { cause?: unknown }) {
    super(message, errorClass, options);
  }
}

/** The engine failed while running a valid plan (bad data, overflow, I/O, out of memory). */
export class ExecutionError extends QuarryError {
  constructor(message: string, errorClass = "EXECUTION_ERROR", options?: { cause?: unknown }) {
    super(message, errorClass, options);
  }
}

/** A parameter, option or argument value is invalid. */
export class IllegalArgumentError extends QuarryError {
  constructor(message: string, errorClass = "ILLEGAL_ARGUMENT", options?: { cause?: unknown }) {
    super(message, errorClass, options);
  }
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n];
}

/** The candidates closest to `name` (case-insensitive), best first, at most `max`. */
export function closest(name: string, candidates: readonly string[], max = 5): string[] {
  const lower = name.toLowerCase();
  return [...new Set(candidates)]
    .map((c) => ({ c, d: editDistance(lower, c.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, max)
    .map((x) => x.c);
}

/** Quotes a name for an error message the way Spark does: `name`. */
export function q(name: string): string {
  return "`" + name.replace(/`/g, "``") + "`";
}

/** A streaming query stopped because a micro-batch failed; `cause` holds the failure. */
export class StreamingQueryException extends QuarryError {
  constructor(message: string, readonly queryId: string, readonly runId: string, readonly batchId: number | null, options?: { cause?: unknown }) {
    super(message, "STREAM_FAILED", options);
  }
}
