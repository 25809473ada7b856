/**
 * The contracts between the streaming engine (micro-batch executor, checkpoints, state) and the
 * things it reads from and writes to. A source turns an offset range into an ordinary batch plan,
 * so every batch is executed by the same backend compiler as a batch query and replays exactly
 * when given the same offsets. A sink writes one batch and is idempotent per batch id.
 *
 * Offsets are JSON values: they are written verbatim into the offsets write-ahead log
 * (`<checkpoint>/offsets/<batchId>`) before a batch runs and read back on restart.
 */
import type { PlanNode } from "../plan/visitor.js";
import type { StructType } from "../plan/types.js";
import type { DataFrame } from "../api/dataframe.js";
import type { Session } from "../session/session.js";

/** A JSON value, as offsets are stored in the checkpoint. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** What a source is given when a query starts. */
export interface SourceContext {
  readonly session: Session;
  /** Stable across restarts (from `<checkpoint>/metadata`). */
  readonly queryId: string;
  /** New on every start. */
  readonly runId: string;
  readonly queryName: string | null;
  /** A directory of this source's own (`<checkpoint>/sources/<n>`), for sources that keep a log (file source). */
  readonly sourceDir: string;
}

/** How far one trigger may read. `availableNow` fixes the end once, at query start. */
export interface ReadLimitContext {
  readonly trigger: "default" | "processingTime" | "availableNow";
}

/**
 * A replayable source. The engine calls, per trigger: `latestOffset(start)`; when it returns a new
 * offset, it writes the offsets log, then `getBatch(start, end)` and runs the batch; after the
 * sink and the commit log, `commit(end)`.
 */
export interface StreamSource {
  /** For progress (`sources[].description`), e.g. `KafkaV2[Subscribe[events]]`. */
  readonly description: string;
  /** The schema of the rows every batch yields. */
  readonly schema: StructType;
  /** The offset a query without a checkpoint starts after (e.g. Kafka's `startingOffsets`). */
  initialOffset(): Promise<JsonValue>;
  /**
   * The end offset of the next batch starting after `start`, honouring the source's rate limits
   * (`maxOffsetsPerTrigger`, `maxFilesPerTrigger`, `rowsPerSecond`); `null` when there is no new data.
   */
  latestOffset(start: JsonValue, limit: ReadLimitContext): Promise<JsonValue | null>;
  /** The rows after `start` up to and including `end`, as a batch plan. Same offsets, same rows. */
  getBatch(start: JsonValue, end: JsonValue): Promise<PlanNode>;
  /** The batch ending at `end` is committed; the source may forget what comes before it. */
  commit(end: JsonValue): Promise<void>;
  /**
   * Optional (Spark's `SupportsTriggerAvailableNow`): called once when an `availableNow` query
   * starts; from then on `latestOffset` never goes past the data available at that moment, still in
   * rate-limited steps. A source without it is read until `latestOffset` returns null.
   */
  prepareForTriggerAvailableNow?(): Promise<void>;
  /** Extra progress for `sources[].metrics`, e.g. consumer lag per partition. */
  metrics(end: JsonValue | null): Promise<Readonly<Record<string, string>>>;
  stop(): Promise<void>;
}

/** What a sink is told about the batch it writes. */
export interface SinkBatchContext {
  readonly batchId: number;
  readonly queryId: string;
  readonly queryName: string | null;
  readonly outputMode: "append" | "update" | "complete";
  /** The end offset of every source for this batch, in source order (Kafka sink commits them in its transaction). */
  readonly endOffsets: readonly JsonValue[];
  /** The descriptions of the sources, in the same order. */
  readonly sourceDescriptions: readonly string[];
}

/**
 * Writes the output of one micro-batch. Must be idempotent per batch id: a batch id the sink has
 * already committed is skipped (re-run after a crash between the sink commit and the commit log).
 */
export interface StreamSink {
  readonly description: string;
  addBatch(data: DataFrame, ctx: SinkBatchContext): Promise<void>;
  stop(): Promise<void>;
}
