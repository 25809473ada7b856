/**
 * Turns a failed Spark Connect call into one of Quarry's errors, keeping Spark's message and error
 * class. The gRPC status carries an `ErrorInfo` (exception classes, error class, error id); the
 * error id fetches the whole exception chain, whose most specific Spark error is what the user
 * needs to read (a task failure wraps the ANSI overflow or cast error that caused it).
 */
import { fromBinary } from "@bufbuild/protobuf";
import type { ServiceError } from "@grpc/grpc-js";
import {
  AnalysisError, ExecutionError, IllegalArgumentError, ParseError, QuarryError, UnsupportedOperationError,
} from "../../errors.js";
import { StatusSchema } from "./gen/google/rpc/status_pb.js";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import type { FetchErrorDetailsResponse } from "./gen/spark/connect/base_pb.js";

/** What the status of a failed call says about the server-side exception. */
export interface SparkErrorInfo {
  /** Exception class names, most specific first (empty when the server sent none). */
  readonly classes: readonly string[];
  readonly errorClass: string | null;
  readonly sqlState: string | null;
  /** The key for FetchErrorDetails, when the server keeps the details. */
  readonly errorId: string | null;
}

/** gRPC status codes Quarry reacts to (the numbers of `grpc.status`). */
export const GrpcCode = {
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Reads the ErrorInfo detail from a failed call's trailers, if the server sent one. */
export function errorInfoOf(err: ServiceError): SparkErrorInfo | null {
  const raw = err.metadata?.get("grpc-status-details-bin")?.[0];
  if (!raw || typeof raw === "string") return null;
  let status;
  try {
    status = fromBinary(StatusSchema, raw);
  } catch {
    return null;
  }
  for (const d of status.details) {
    if (!d.typeUrl.endsWith("/google.rpc.ErrorInfo")) continue;
    const info = fromBinary(ErrorInfoSchema, d.value);
    let classes: string[] = [];
    try {
      const parsed = JSON.parse(info.metadata["classes"] ?? "[]");
      if (Array.isArray(parsed)) classes = parsed.map(String);
    } catch {
      classes = [];
    }
    if (classes.length === 0 && info.reason) classes = [info.reason];
    return {
      classes,
      errorClass: info.metadata["errorClass"] || null,
      sqlState: info.metadata["sqlState"] || null,
      errorId: info.metadata["errorId"] || null,
    };
  }
  return null;
}

const has = (classes: readonly string[], simpleName: string) => classes.some((c) => c === simpleName || c.endsWith("." + simpleName));

/** The error class at the start of a Spark message (`[DIVIDE_BY_ZERO] ...`), if any. */
function leadingErrorClass(message: string): string | null {
  return /^\[([A-Z][A-Z0-9_.]+)\]/.exec(message)?.[1] ?? null;
}

/** One server-side exception of a failure's chain. */
interface ChainLink {
  readonly classes: readonly string[];
  readonly message: string;
  readonly errorClass: string | null;
}

/** The exception chain from FetchErrorDetails, root first. */
export function chainOf(details: FetchErrorDetailsResponse): ChainLink[] {
  const out: ChainLink[] = [];
  let idx: number | undefined = details.rootErrorIdx ?? (details.errors.length ? 0 : undefined);
  const seen = new Set<number>();
  while (idx !== undefined && !seen.has(idx) && details.errors[idx]) {
    seen.add(idx);
    const e = details.errors[idx];
    out.push({ classes: e.errorTypeHierarchy, message: e.message, errorClass: e.sparkThrowable?.errorClass || leadingErrorClass(e.message) });
    idx = e.causeIdx;
  }
  return out;
}

/**
 * Builds the Quarry error for a failed call.
 * @param err the gRPC error.
 * @param info its ErrorInfo, if any.
 * @param chain the exception chain from FetchErrorDetails, if it could be fetched.
 * @param what the action that failed (`collect()`), for errors without a Spark message.
 * @returns AnalysisError (or ParseError) for plans Spark rejected, ExecutionError for failures
 *   while running, IllegalArgumentError and UnsupportedOperationError where Spark says so.
 */
export function sparkError(err: ServiceError, info: SparkErrorInfo | null, chain: readonly ChainLink[], what: string): QuarryError {
  const root: ChainLink = chain[0] ?? { classes: info?.classes ?? [], message: err.details || err.message, errorClass: info?.errorClass ?? leadingErrorClass(err.details ?? "") };
  // A job failure wraps the error that caused it: report the deepest Spark error of the chain.
  const specific = [...chain].reverse().find((l) => l.errorClass) ?? root;
  const classes = root.classes;
  let message = (specific.message || root.message || `${what} failed on the Spark Connect server (gRPC status ${err.code}).`).trim();
  const context = chain.filter((l) => l !== specific && l.errorClass && l.errorClass !== specific.errorClass && !/^\[?TASK_WRITE_FAILED/.test(l.message));
  if (context.length) message += "\n" + context.map((l) => `(while: ${l.message.split("\n")[0]})`).join("\n");
  const errorClass = specific.errorClass ?? info?.errorClass ?? "SPARK_ERROR";
  const options = { cause: err };
  if (has(classes, "ParseException")) return new ParseError(message, errorClass, options);
  if (has(classes, "AnalysisException")) return new AnalysisError(message, errorClass, options);
  if (has(classes, "SparkUnsupportedOperationException") || has(classes, "UnsupportedOperationException")) {
    return new UnsupportedOperationError(message, errorClass, options);
  }
  // Bad data (a malformed number in a cast) is an IllegalArgumentException in Java too: only a
  // rejected setting is the program's argument error.
  if (has(classes, "IllegalArgumentException") && /CONFIG|CONF_|INVALID_CONF/.test(errorClass)) {
    return new IllegalArgumentError(message, errorClass, options);
  }
  return new ExecutionError(message, errorClass, options);
}
