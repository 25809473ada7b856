/**
 * The handles of a running streaming query (`StreamingQuery`), its progress reports, and the
 * per-session registry of queries (`spark.streams`), shaped like Spark Structured Streaming's.
 */
import { IllegalArgumentError } from "../errors.js";

/** Durations of one trigger's phases, in milliseconds. */
export interface StreamingDurations {
  readonly triggerExecution: number;
  readonly latestOffset: number;
  readonly getBatch: number;
  readonly queryPlanning: number;
  readonly walCommit: number;
  readonly addBatch: number;
  readonly commitOffsets: number;
}

/** One stateful operator's state after a batch. */
export interface StateOperatorProgress {
  readonly operatorName: string;
  readonly numRowsTotal: number;
  readonly numRowsUpdated: number;
  readonly numRowsRemoved: number;
  readonly memoryUsedBytes: number;
  readonly numRowsDroppedByWatermark: number;
}

/** One source's part of a batch. */
export interface SourceProgress {
  readonly description: string;
  readonly startOffset: unknown;
  readonly endOffset: unknown;
  readonly latestOffset: unknown;
  readonly numInputRows: number;
  readonly inputRowsPerSecond: number;
  readonly processedRowsPerSecond: number;
  readonly metrics: Readonly<Record<string, string>>;
}

/**
 * What one micro-batch did (`query.lastProgress`), as Spark's `StreamingQueryProgress`.
 * @example
 * const p = query.lastProgress; // { batchId: 3, numInputRows: 1200, durationMs: { addBatch: 41, ... }, ... }
 */
export interface StreamingQueryProgress {
  readonly id: string;
  readonly runId: string;
  readonly name: string | null;
  /** When the trigger started (ISO 8601). */
  readonly timestamp: string;
  readonly batchId: number;
  readonly numInputRows: number;
  readonly inputRowsPerSecond: number;
  readonly processedRowsPerSecond: number;
  readonly durationMs: StreamingDurations;
  /** ISO 8601 times: `watermark` (used by this batch), and `max`/`min`/`avg` of the batch's event times. */
  readonly eventTime: Readonly<Record<string, string>>;
  readonly stateOperators: readonly StateOperatorProgress[];
  readonly sources: readonly SourceProgress[];
  readonly sink: { readonly description: string; readonly numOutputRows: number };
  /**
   * Rows whose JSON did not parse (from_json in PERMISSIVE mode made them null): counted, never lost
   * silently. Absent when the engine runs the query itself (Spark backend), which does not count them.
   */
  readonly numMalformedJsonRows?: number;
}

/** What the query is doing now (`query.status`). */
export interface StreamingQueryStatus {
  readonly message: string;
  readonly isDataAvailable: boolean;
  readonly isTriggerActive: boolean;
}

/**
 * A running (or finished) streaming query.
 * @example
 * const q = await df.writeStream.format("memory").queryName("t").start();
 * await q.processAllAvailable(); await q.stop();
 */
export interface StreamingQuery {
  /** Stable across restarts from the same checkpoint. */
  readonly id: string;
  /** New on every start. */
  readonly runId: string;
  readonly name: string | null;
  readonly isActive: boolean;
  readonly status: StreamingQueryStatus;
  readonly lastProgress: StreamingQueryProgress | null;
  /** The most recent progress reports, oldest first (at most 100). */
  readonly recentProgress: readonly StreamingQueryProgress[];
  /** The error that stopped the query, or null. */
  readonly exception: Error | null;
  /**
   * Waits for the query to end: resolves `true` when it stopped, `false` when `timeoutMs` passed
   * first; rejects with the query's exception when it failed.
   */
  awaitTermination(timeoutMs?: number): Promise<boolean>;
  /** Stops the query after the current batch and releases its checkpoint. */
  stop(): Promise<void>;
  /** Waits until every input available now has been processed and committed (for tests). */
  processAllAvailable(): Promise<void>;
  /** The logical plan and the physical plan of the last batch, for people. */
  explain(extended?: boolean): Promise<string>;
}

/** Events of queries on a session (`spark.streams.addListener`). */
export interface StreamingQueryListener {
  onQueryStarted?(event: { id: string; runId: string; name: string | null; timestamp: string }): void;
  onQueryProgress?(event: { progress: StreamingQueryProgress }): void;
  onQueryIdle?(event: { id: string; runId: string; timestamp: string }): void;
  onQueryTerminated?(event: { id: string; runId: string; exception: string | null }): void;
}

/**
 * The streaming queries of one session (`spark.streams`).
 * @example
 * spark.streams.active.length; await spark.streams.awaitAnyTermination();
 */
export class StreamingQueryManager {
  private readonly queries = new Map<string, StreamingQuery>();
  private readonly listeners = new Set<StreamingQueryListener>();
  private terminated: { query: StreamingQuery } | null = null;
  private waiters: (() => void)[] = [];

  /** The queries running now. */
  get active(): StreamingQuery[] { return [...this.queries.values()].filter((q) => q.isActive); }
  /** An active query by id, or null. */
  get(id: string): StreamingQuery | null { return this.active.find((q) => q.id === id) ?? null; }

  /**
   * Waits until any query of this session ends (since the last `resetTerminated`): resolves `true`,
   * or `false` after `timeoutMs`; rejects with the exception of a query that failed.
   */
  async awaitAnyTermination(timeoutMs?: number): Promise<boolean> {
    if (timeoutMs !== undefined && !(timeoutMs >= 0)) throw new IllegalArgumentError(`awaitAnyTermination(${timeoutMs}): the timeout must be a number of milliseconds >= 0.`);
    if (!this.terminated) {
      const done = await new Promise<boolean>((resolve) => {
        const w = () => resolve(true);
        this.waiters.push(w);
        if (timeoutMs !== undefined) setTimeout(() => { this.waiters = this.waiters.filter((x) => x !== w); resolve(false); }, timeoutMs);
      });
      if (!done) return false;
    }
    const ex = this.terminated?.query.exception;
    if (ex) throw ex;
    return true;
  }
  /** Forgets queries that ended, so `awaitAnyTermination` waits for a new one. */
  resetTerminated(): void { this.terminated = null; }
  /** Adds a listener for query events. */
  addListener(listener: StreamingQueryListener): void { this.listeners.add(listener); }
  /** Removes a listener. */
  removeListener(listener: StreamingQueryListener): void { this.listeners.delete(listener); }

  /** @internal The engine registers a query when it starts. */
  register(q: StreamingQuery): void { this.queries.set(q.runId, q); }
  /** @internal The engine reports a query's end. */
  ended(q: StreamingQuery): void {
    this.queries.delete(q.runId);
    this.terminated = { query: q };
    const ws = this.waiters; this.waiters = [];
    for (const w of ws) w();
  }
  /** @internal Sends an event to every listener; a listener that throws is reported, not fatal. */
  post<K extends keyof StreamingQueryListener>(kind: K, event: Parameters<NonNullable<StreamingQueryListener[K]>>[0]): void {
    for (const l of this.listeners) {
      const f = l[kind] as ((e: unknown) => void) | undefined;
      if (!f) continue;
      try { f.call(l, event); } catch (e) { process.emitWarning(`A StreamingQueryListener.${kind} threw: ${(e as Error).message}`); }
    }
  }
  /** @internal Stops every active query (session stop). */
  async stopAll(): Promise<void> { await Promise.allSettled(this.active.map((q) => q.stop())); }
}
