/**
 * The one registry of streaming source and sink formats. `readStream.format(x)` and
 * `writeStream.format(x)` are looked up here when a query starts, so a connector (such as Kafka)
 * plugs in with one `registerSource` / `registerSink` call.
 * @example
 * registerSource("kafka", (ctx, node) => createKafkaSource(ctx, node.options));
 */
import { UnsupportedOperationError, closest, q } from "../errors.js";
import type { StreamSourceNode } from "../plan/nodes/stream-source-node.js";
import type { StreamWriteSpec } from "../api/data-stream-writer.js";
import type { Session } from "../session/session.js";
import type { SourceContext, StreamSink, StreamSource } from "./contracts.js";

/** Builds a source for one stream leaf of a query being started. */
export type SourceFactory = (ctx: SourceContext, node: StreamSourceNode) => StreamSource | Promise<StreamSource>;

/** What a sink factory is given. */
export interface SinkContext {
  readonly session: Session;
  readonly spec: StreamWriteSpec;
  readonly queryId: string;
  readonly checkpointDir: string;
}
/** Builds a sink, and says what the sink needs and allows. */
export interface SinkFactory {
  create(ctx: SinkContext): StreamSink | Promise<StreamSink>;
  /** Spark requires a checkpointLocation for sinks whose output outlives the process (files, Kafka). */
  readonly requiresCheckpoint: boolean;
  readonly outputModes: readonly ("append" | "update" | "complete")[];
}

const sources = new Map<string, SourceFactory>();
const sinks = new Map<string, SinkFactory>();

/** Makes `readStream.format(format)` use `factory`. */
export function registerSource(format: string, factory: SourceFactory): void { sources.set(format.toLowerCase(), factory); }
/** Makes `writeStream.format(format)` use `factory`. */
export function registerSink(format: string, factory: SinkFactory): void { sinks.set(format.toLowerCase(), factory); }


function unknown(kind: "source" | "sink", format: string, known: string[]): never {
  const sugg = closest(format, known, 3);
  throw new UnsupportedOperationError(`Unknown streaming ${kind} format ${q(format)}. Known: ${known.sort().join(", ")}.${sugg.length ? ` Did you mean ${q(sugg[0])}?` : ""}`, "UNSUPPORTED_DATA_SOURCE");
}

/** The factory for a source format (clear error when unknown). */
export function sourceFactory(format: string): SourceFactory {
  return sources.get(format) ?? unknown("source", format, [...sources.keys()]);
}
/** The factory for a sink format (clear error when unknown). */
export function sinkFactory(format: string): SinkFactory {
  return sinks.get(format) ?? unknown("sink", format, [...sinks.keys()]);
}
