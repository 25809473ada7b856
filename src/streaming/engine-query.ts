/**
 * A streaming query that the engine runs itself (Spark Structured Streaming through Spark
 * Connect), seen through the same `StreamingQuery` interface: status and progress are fetched from
 * the engine after every request and polled while the query runs.
 */
import { StreamingQueryException } from "../errors.js";
import type { EngineStream } from "../backends/backend.js";
import type { Session } from "../session/session.js";
import type { SourceProgress, StateOperatorProgress, StreamingQuery, StreamingQueryProgress, StreamingQueryStatus } from "../api/streaming-query.js";

const POLL_MS = 1000;

const num = (v: unknown) => (typeof v === "number" ? v : v === null || v === undefined || v === "NaN" ? 0 : Number(v));

/** Spark's progress JSON as Quarry's progress object (the fields both have). */
export function progressFromJson(text: string): StreamingQueryProgress {
  const j = JSON.parse(text) as Record<string, unknown>;
  const d = (j["durationMs"] ?? {}) as Record<string, number>;
  const sources = ((j["sources"] ?? []) as Record<string, unknown>[]).map((s): SourceProgress => ({
    description: String(s["description"] ?? ""), startOffset: s["startOffset"] ?? null, endOffset: s["endOffset"] ?? null, latestOffset: s["latestOffset"] ?? null,
    numInputRows: num(s["numInputRows"]), inputRowsPerSecond: num(s["inputRowsPerSecond"]), processedRowsPerSecond: num(s["processedRowsPerSecond"]),
    metrics: Object.fromEntries(Object.entries((s["metrics"] ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
  }));
  const state = ((j["stateOperators"] ?? []) as Record<string, unknown>[]).map((o): StateOperatorProgress => ({
    operatorName: String(o["operatorName"] ?? ""), numRowsTotal: num(o["numRowsTotal"]), numRowsUpdated: num(o["numRowsUpdated"]), numRowsRemoved: num(o["numRowsRemoved"]),
    memoryUsedBytes: num(o["memoryUsedBytes"]), numRowsDroppedByWatermark: num(o["numRowsDroppedByWatermark"]),
  }));
  const sink = (j["sink"] ?? {}) as Record<string, unknown>;
  // Spark's JSON leaves out the totals its clients derive from the sources.
  const total = (k: "numInputRows" | "inputRowsPerSecond" | "processedRowsPerSecond") => (j[k] !== undefined ? num(j[k]) : sources.reduce((a, x) => a + x[k], 0));
  return Object.freeze({
    id: String(j["id"]), runId: String(j["runId"]), name: (j["name"] as string | null) ?? null, timestamp: String(j["timestamp"]), batchId: num(j["batchId"]),
    numInputRows: total("numInputRows"), inputRowsPerSecond: total("inputRowsPerSecond"), processedRowsPerSecond: total("processedRowsPerSecond"),
    durationMs: { triggerExecution: num(d["triggerExecution"]), latestOffset: num(d["latestOffset"]), getBatch: num(d["getBatch"]), queryPlanning: num(d["queryPlanning"]), walCommit: num(d["walCommit"]), addBatch: num(d["addBatch"]), commitOffsets: num(d["commitOffsets"]) },
    eventTime: Object.fromEntries(Object.entries((j["eventTime"] ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
    stateOperators: state, sources, sink: { description: String(sink["description"] ?? ""), numOutputRows: num(sink["numOutputRows"]) },
  });
}

export class EngineStreamingQuery implements StreamingQuery {
  exception: Error | null = null;
  private statusNow: StreamingQueryStatus & { isActive: boolean } = { message: "Initializing", isDataAvailable: false, isTriggerActive: false, isActive: true };
  private progress: StreamingQueryProgress[] = [];
  private readonly timer: NodeJS.Timeout;
  private seenBatches = new Set<string>();
  private ended = false;

  constructor(private readonly session: Session, private readonly stream: EngineStream) {
    this.timer = setInterval(() => { void this.refresh().catch(() => undefined); }, POLL_MS);
    this.timer.unref();
  }

  get id(): string { return this.stream.id; }
  get runId(): string { return this.stream.runId; }
  get name(): string | null { return this.stream.name; }
  get isActive(): boolean { return this.statusNow.isActive; }
  get status(): StreamingQueryStatus { const { message, isDataAvailable, isTriggerActive } = this.statusNow; return { message, isDataAvailable, isTriggerActive }; }
  get lastProgress(): StreamingQueryProgress | null { return this.progress[this.progress.length - 1] ?? null; }
  get recentProgress(): readonly StreamingQueryProgress[] { return [...this.progress]; }

  /** Fetches status and progress; reports new progress to listeners and the end of the query once. */
  async refresh(): Promise<void> {
    if (this.ended) return;
    const [status, progress] = await Promise.all([this.stream.status(), this.stream.recentProgress()]);
    this.statusNow = status;
    this.progress = progress.map(progressFromJson);
    for (const p of this.progress) {
      const key = `${p.runId}/${p.batchId}/${p.timestamp}`;
      if (this.seenBatches.has(key)) continue;
      this.seenBatches.add(key);
      this.session.streams.post("onQueryProgress", { progress: p });
    }
    if (!status.isActive) await this.finish();
  }

  private async finish(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    const msg = await this.stream.exception().catch(() => null);
    if (msg) this.exception = new StreamingQueryException(`Query ${this.name ?? ""} [id = ${this.id}, runId = ${this.runId}] terminated with exception: ${msg}`, this.id, this.runId, this.lastProgress ? this.lastProgress.batchId + 1 : null);
    this.session.streams.ended(this);
    this.session.streams.post("onQueryTerminated", { id: this.id, runId: this.runId, exception: this.exception?.message ?? null });
  }

  async awaitTermination(timeoutMs?: number): Promise<boolean> {
    const done = await this.stream.awaitTermination(timeoutMs).catch((e) => { throw e; });
    await this.refresh();
    if (!done) return false;
    if (this.exception) throw this.exception;
    return true;
  }
  async stop(): Promise<void> {
    if (!this.ended) await this.stream.stop();
    await this.refresh().catch(() => undefined);
    await this.finish();
  }
  async processAllAvailable(): Promise<void> {
    try {
      await this.stream.processAllAvailable();
    } finally {
      await this.refresh();
    }
    if (this.exception) throw this.exception;
  }
  async explain(extended = false): Promise<string> { return this.stream.explain(extended); }
}
