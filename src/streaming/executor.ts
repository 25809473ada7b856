/**
 * The micro-batch engine. Per trigger it asks each source for its latest offset; when there is
 * new data (or the watermark moved so a stateful operator may emit: Spark's no-data batch) it
 * writes the offsets write-ahead log, turns the streaming plan into a batch plan by replacing each
 * stream leaf with the source's rows for the offset range, runs it on the session's engine, hands
 * the result to the sink, writes the commit log, and tells the sources. A restart re-runs a batch
 * that has offsets but no commit with exactly the same offsets, so a replayable source and an
 * idempotent sink give exactly-once output.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { AnalysisError, StreamingQueryException, UnsupportedOperationError } from "../errors.js";
import { DataFrame } from "../api/dataframe.js";
import type { StreamWriteSpec } from "../api/data-stream-writer.js";
import type { SourceProgress, StateOperatorProgress, StreamingQuery, StreamingQueryProgress, StreamingQueryStatus } from "../api/streaming-query.js";
import { AggregateNode, DropNode, FilterNode, LocalRelationNode, type WatermarkNode } from "../plan/nodes/index.js";
import { AliasExpr, CaseWhenExpr, ColumnExpr, FunctionExpr, LiteralExpr, SqlExpr, StarExpr, UnaryExpr, type Expr } from "../plan/expr/index.js";
import { substituteStreamSources, transformPlan } from "../plan/substitute.js";
import { explainPlan } from "../plan/explain.js";
import { planSome, type PlanNode } from "../plan/visitor.js";
import type { JsonValue, StreamSink, StreamSource } from "./contracts.js";
import { sinkFactory, sourceFactory } from "./formats.js";
import { Checkpoint, type OffsetEntry } from "./checkpoint.js";
import { eventTimeMsSql, lateRowCondition, planStreamingQuery, type QueryShape } from "./query-planner.js";
import { createStatefulOperator, type StatefulOperator, type StateStepResult } from "./state.js";
import { faultPoint } from "./fault-points.js";
import { flaggedWatermarkInput, fromJsonCalls, malformedFlag, type FlaggedInput } from "./batch-input.js";
import { EngineStreamingQuery } from "./engine-query.js";
import "./builtins.js";

const MAX_PROGRESS = 100;
/** How long the default trigger waits before polling idle sources again. */
const IDLE_POLL_MS = 100;

const same = (a: JsonValue, b: JsonValue) => JSON.stringify(a) === JSON.stringify(b);
const iso = (ms: number) => new Date(ms).toISOString();

/** What one pass over a batch's watermark input measures. */
interface InputMeasures { rows: number; malformed: number; max: number | null; min: number | null; avg: number | null; late: number }

/** The executor of one run of a streaming query. */
class MicroBatchExecution implements StreamingQuery {
  readonly id: string;
  readonly runId = randomUUID();
  readonly name: string | null;
  exception: Error | null = null;
  private active = true;
  private stopRequested = false;
  private statusNow: StreamingQueryStatus = { message: "Initializing sources", isDataAvailable: false, isTriggerActive: false };
  private readonly progress: StreamingQueryProgress[] = [];
  private readonly sources: StreamSource[] = [];
  private sink!: StreamSink;
  private stateful: StatefulOperator | null = null;
  private committed: JsonValue[] = [];
  private batchId = 0;
  /** The watermark the next batch uses, and the one the last batch used. */
  private watermarkMs = 0;
  private lastBatchWatermarkMs = 0;
  private pending: { batchId: number; entry: OffsetEntry } | null = null;
  private done!: Promise<void>;
  private wake: (() => void) | null = null;
  private triggerSeq = 0;
  private idleWaiters: { need: number; resolve: () => void }[] = [];
  private lastBatchPlan: PlanNode | null = null;
  private wasIdle = false;
  private retain = 100;
  /** The watermark input the batch materializes with its malformed-JSON flags, when the query allows. */
  private readonly flagged: FlaggedInput | null;

  constructor(private readonly df: DataFrame, private readonly spec: StreamWriteSpec, private readonly shape: QueryShape, private readonly chk: Checkpoint) {
    this.name = spec.queryName;
    this.flagged = flaggedWatermarkInput(df.plan, shape);
    this.chk.lock(this.runId);
    try {
      this.id = this.chk.queryId();
    } catch (e) {
      this.chk.unlock();
      throw e;
    }
  }

  private get session() { return this.df.session; }

  get isActive(): boolean { return this.active; }
  get status(): StreamingQueryStatus { return this.statusNow; }
  get lastProgress(): StreamingQueryProgress | null { return this.progress[this.progress.length - 1] ?? null; }
  get recentProgress(): readonly StreamingQueryProgress[] { return [...this.progress]; }

  /** Opens sources and sink and recovers from the checkpoint; a failure here fails `start()`. */
  async init(): Promise<void> {
    try {
      const retain = await this.session.conf.get("spark.sql.streaming.minBatchesToRetain");
      if (retain !== undefined) this.retain = Math.max(2, Number(retain) || 100);
      for (let i = 0; i < this.shape.sources.length; i++) {
        const node = this.shape.sources[i];
        fs.mkdirSync(this.chk.sourceDir(i), { recursive: true });
        this.sources.push(await sourceFactory(node.format)({ session: this.session, queryId: this.id, runId: this.runId, queryName: this.name, sourceDir: this.chk.sourceDir(i) }, node));
      }
      const sinkFormat = this.spec.foreachBatch ? "foreachbatch" : this.spec.format;
      this.sink = await sinkFactory(sinkFormat).create({ session: this.session, spec: this.spec, queryId: this.id, checkpointDir: this.chk.dir });
      if (this.shape.stateful) {
        this.stateful = createStatefulOperator(this.session, this.chk.stateDir(0), this.shape.stateful, this.shape.watermark, this.spec.outputMode);
        this.stateful.checkCompatible();
      }
      const lastOffsets = this.chk.latestOffsetsBatch();
      const lastCommit = this.chk.latestCommit();
      if (lastOffsets >= 0) {
        const entry = this.chk.readOffsets(lastOffsets)!;
        if (entry.sources.length !== this.sources.length) {
          throw new AnalysisError(`[STREAMING_SOURCES_CHANGED] The query reads ${this.sources.length} stream(s) but its checkpoint ${this.chk.dir} was written for ${entry.sources.length}. The number of streaming sources cannot change across restarts: restore the query or use a new checkpointLocation.`, "STREAMING_SOURCES_CHANGED");
        }
        if (lastCommit >= lastOffsets) {
          this.committed = entry.sources.map((s) => s.end);
          this.batchId = lastOffsets + 1;
          this.watermarkMs = this.chk.readCommit(lastCommit)?.nextBatchWatermarkMs ?? entry.batchWatermarkMs;
          this.lastBatchWatermarkMs = entry.batchWatermarkMs;
        } else {
          this.pending = { batchId: lastOffsets, entry };
          this.committed = entry.sources.map((s) => s.start);
          this.batchId = lastOffsets;
          this.watermarkMs = entry.batchWatermarkMs;
          const prev = lastOffsets > 0 ? this.chk.readOffsets(lastOffsets - 1) : null;
          this.lastBatchWatermarkMs = prev?.batchWatermarkMs ?? 0;
        }
      } else {
        this.committed = await Promise.all(this.sources.map((s) => s.initialOffset()));
      }
      if (this.spec.trigger.kind === "availableNow" || this.spec.trigger.kind === "once") {
        for (const s of this.sources) if (s.prepareForTriggerAvailableNow) await s.prepareForTriggerAvailableNow();
      }
    } catch (e) {
      await this.release();
      throw e;
    }
  }

  /** Starts the trigger loop in the background. */
  launch(): void {
    this.session.streams.register(this);
    this.session.streams.post("onQueryStarted", { id: this.id, runId: this.runId, name: this.name, timestamp: new Date().toISOString() });
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      let batchesRun = 0;
      while (!this.stopRequested) {
        const t0 = Date.now();
        const seq = ++this.triggerSeq;
        const ran = await this.runTrigger();
        if (ran) batchesRun++;
        else {
          for (const w of this.idleWaiters.filter((x) => seq >= x.need)) w.resolve();
          this.idleWaiters = this.idleWaiters.filter((x) => seq < x.need);
        }
        const t = this.spec.trigger;
        if (t.kind === "once" && (batchesRun > 0 || !ran)) break;
        if (t.kind === "availableNow" && !ran) break;
        if (this.stopRequested) break;
        const wait = t.kind === "processingTime" ? Math.max(0, t0 + t.intervalMs - Date.now()) : ran ? 0 : IDLE_POLL_MS;
        if (wait > 0 && this.idleWaiters.length === 0) await this.sleep(wait);
      }
    } catch (e) {
      this.exception = e instanceof StreamingQueryException ? e : this.wrapError(e, null);
    } finally {
      await this.release();
      this.statusNow = { message: this.exception ? "Terminated with exception" : "Stopped", isDataAvailable: false, isTriggerActive: false };
      this.active = false;
      for (const w of this.idleWaiters) w.resolve();
      this.idleWaiters = [];
      this.session.streams.ended(this);
      this.session.streams.post("onQueryTerminated", { id: this.id, runId: this.runId, exception: this.exception ? this.exception.message : null });
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wake = null; resolve(); }, ms);
      this.wake = () => { clearTimeout(timer); this.wake = null; resolve(); };
    });
  }

  private async release(): Promise<void> {
    for (const s of this.sources) { try { await s.stop(); } catch { /* stopping anyway */ } }
    if (this.sink) { try { await this.sink.stop(); } catch { /* stopping anyway */ } }
    this.chk.unlock();
  }

  private wrapError(e: unknown, batchId: number | null): StreamingQueryException {
    const msg = e instanceof Error ? e.message : String(e);
    const where = batchId === null ? "" : `batch ${batchId} failed: `;
    return new StreamingQueryException(`Query ${this.name ?? ""} [id = ${this.id}, runId = ${this.runId}] terminated with exception: ${where}${msg}`, this.id, this.runId, batchId, { cause: e });
  }

  /** One trigger: runs a batch when there is one to run; false when idle. */
  private async runTrigger(): Promise<boolean> {
    const triggerStart = Date.now();
    if (this.pending) {
      const { batchId, entry } = this.pending;
      this.pending = null;
      await this.runBatch(batchId, entry, triggerStart, { latestOffset: 0, walCommit: 0 }, entry.sources.map((s) => s.end));
      return true;
    }
    this.statusNow = { message: "Getting offsets from sources", isDataAvailable: false, isTriggerActive: true };
    const l0 = Date.now();
    const limit = { trigger: this.spec.trigger.kind === "processingTime" ? "processingTime" as const : this.spec.trigger.kind === "default" ? "default" as const : "availableNow" as const };
    const latest: JsonValue[] = [];
    for (let i = 0; i < this.sources.length; i++) latest.push((await this.sources[i].latestOffset(this.committed[i], limit)) ?? this.committed[i]);
    const latestOffsetMs = Date.now() - l0;
    const hasData = latest.some((o, i) => !same(o, this.committed[i]));
    const noDataBatch = !hasData && this.stateful !== null && this.shape.watermark !== null && this.spec.outputMode !== "complete" && this.watermarkMs > this.lastBatchWatermarkMs;
    if (!hasData && !noDataBatch) {
      this.statusNow = { message: "Waiting for data to arrive", isDataAvailable: false, isTriggerActive: false };
      if (!this.wasIdle) this.session.streams.post("onQueryIdle", { id: this.id, runId: this.runId, timestamp: new Date().toISOString() });
      this.wasIdle = true;
      return false;
    }
    this.wasIdle = false;
    const entry: OffsetEntry = { batchWatermarkMs: this.watermarkMs, batchTimestampMs: Date.now(), sources: latest.map((end, i) => ({ start: this.committed[i], end })) };
    const w0 = Date.now();
    this.chk.writeOffsets(this.batchId, entry);
    const walCommit = Date.now() - w0;
    faultPoint("afterOffsetsWal", this.batchId);
    await this.runBatch(this.batchId, entry, triggerStart, { latestOffset: latestOffsetMs, walCommit }, latest);
    return true;
  }

  private async runBatch(batchId: number, entry: OffsetEntry, triggerStart: number, times: { latestOffset: number; walCommit: number }, latest: readonly JsonValue[]): Promise<void> {
    this.statusNow = { message: "Processing new data", isDataAvailable: true, isTriggerActive: true };
    const wm = entry.batchWatermarkMs;
    let step: StateStepResult | null = null;
    // The batch's rows (and, under a watermark, the rows it watches) are read once into DuckDB
    // tables: statistics, state and sink all scan those.
    const cached: DataFrame[] = [];
    const cache = (p: PlanNode): PlanNode => {
      if (p.kind === "LocalRelationNode") return p;
      const d = new DataFrame(this.session, p).cache();
      cached.push(d);
      return d.plan;
    };
    try {
      const g0 = Date.now();
      const batches: PlanNode[] = [];
      for (let i = 0; i < this.sources.length; i++) {
        const { start, end } = entry.sources[i];
        batches.push(same(start, end) ? LocalRelationNode.create([], this.sources[i].schema) : await this.sources[i].getBatch(start, end));
      }
      const getBatch = Date.now() - g0;
      const q0 = Date.now();
      const wmNode = this.shape.watermark;
      const wmMs = this.stateful ? wm : 0;
      let leaves: PlanNode[];
      let wmInput: PlanNode | null;
      let stats: InputMeasures;
      let rowsPerSource: number[];
      if (this.flagged && wmNode) {
        // One table holds the watermark's input and its malformed-JSON flags; one aggregate over
        // it counts the rows, the malformed documents and the event-time statistics.
        leaves = batches;
        const table = cache(substituteStreamSources(this.flagged.plan, (_n, i) => batches[i]));
        stats = await this.measureInput(table, wmNode, wmMs, this.flagged.flags);
        rowsPerSource = [stats.rows];
        wmInput = this.flagged.flags.length ? DropNode.create(table, this.flagged.flags) : table;
      } else {
        leaves = batches.map(cache);
        rowsPerSource = await Promise.all(leaves.map((p) => (p.kind === "LocalRelationNode" ? Promise.resolve(p.rows.length) : new DataFrame(this.session, p).count())));
        wmInput = wmNode ? cache(substituteStreamSources(wmNode.child, (_n, i) => leaves[i])) : null;
        stats = wmNode && wmInput ? await this.measureInput(wmInput, wmNode, wmMs, []) : { rows: 0, malformed: 0, max: null, min: null, avg: null, late: 0 };
      }
      const leafOf = (n: PlanNode) => leaves[this.shape.sources.indexOf(n as (typeof this.shape.sources)[number])];
      // Late rows are dropped before a stateful operator (as in Spark); stateless queries keep them.
      const substitute = (p: PlanNode, dropLate: boolean) => transformPlan(p, (n) => {
        if (n.kind === "StreamSourceNode") return leafOf(n);
        if (n.kind !== "WatermarkNode" || !wmInput) return undefined;
        return dropLate && this.stateful && wm > 0 ? FilterNode.create(wmInput, UnaryExpr.create("NOT", lateRowCondition(this.shape.stateful, n, wm))) : wmInput;
      });
      const malformed = stats.malformed + await this.malformedJsonRows((p) => substitute(p, false));
      let out: PlanNode;
      let stateProgress: StateOperatorProgress[] = [];
      if (this.stateful && this.shape.stateful) {
        step = await this.stateful.step(substitute(this.shape.stateful.node.child, true), batchId, wm);
        faultPoint("afterStateWrite", batchId);
        const statefulNode = this.shape.stateful.node;
        out = substitute(transformPlan(this.df.plan, (n) => (n === statefulNode ? step!.output : undefined)), true);
        stateProgress = [{ ...step.progress, numRowsDroppedByWatermark: stats.late }];
      } else {
        out = substitute(this.df.plan, true);
      }
      this.lastBatchPlan = out;
      const queryPlanning = Date.now() - q0;
      const a0 = Date.now();
      // Read once into the engine: the row count and the sink scan the same table (a query that
      // writes its watermark input as it is scans the batch's input table).
      const outDf = new DataFrame(this.session, out === wmInput ? out : cache(out));
      const numOutputRows = await outDf.count();
      await this.sink.addBatch(outDf, {
        batchId, queryId: this.id, queryName: this.name, outputMode: this.spec.outputMode,
        endOffsets: entry.sources.map((s) => s.end), sourceDescriptions: this.sources.map((s) => s.description),
      });
      const addBatch = Date.now() - a0;
      faultPoint("afterSink", batchId);
      const c0 = Date.now();
      const nextWm = wmNode && stats.max !== null ? Math.max(wm, stats.max - wmNode.delayMs) : wm;
      this.chk.writeCommit(batchId, { nextBatchWatermarkMs: nextWm });
      faultPoint("afterCommit", batchId);
      if (step) await step.commit();
      step = null;
      for (let i = 0; i < this.sources.length; i++) await this.sources[i].commit(entry.sources[i].end);
      this.chk.purge(batchId + 1 - this.retain);
      const commitOffsets = Date.now() - c0;
      this.committed = entry.sources.map((s) => s.end);
      this.batchId = batchId + 1;
      this.lastBatchWatermarkMs = wm;
      this.watermarkMs = nextWm;
      await this.report({
        batchId, triggerStart, wm, stats, stateProgress, rowsPerSource, entry, latest, numOutputRows, malformed,
        durations: { triggerExecution: Date.now() - triggerStart, latestOffset: times.latestOffset, getBatch, queryPlanning, walCommit: times.walCommit, addBatch, commitOffsets },
      });
    } catch (e) {
      if (step) { try { await step.abort(); } catch { /* the query stops anyway */ } }
      throw this.wrapError(e, batchId);
    } finally {
      for (const d of cached) await d.unpersist().catch(() => undefined);
    }
  }

  /**
   * One aggregate over the watermark's input: its rows, the sum of the malformed-JSON `flags`,
   * max/min/avg of the event time, and how many rows the watermark `wmMs` drops (0: none).
   */
  private async measureInput(input: PlanNode, wm: WatermarkNode, wmMs: number, flags: readonly string[]): Promise<InputMeasures> {
    const t = ColumnExpr.create(wm.column);
    const lateCond: Expr = lateRowCondition(this.shape.stateful, wm, wmMs);
    const [r] = await new DataFrame(this.session, AggregateNode.create(input, [], [
      AliasExpr.create(FunctionExpr.create("count", [StarExpr.create()]), "n"),
      AliasExpr.create(FunctionExpr.create("max", [t]), "mx"), AliasExpr.create(FunctionExpr.create("min", [t]), "mn"),
      AliasExpr.create(FunctionExpr.create("avg", [SqlExpr.create(eventTimeMsSql(wm.column))]), "av"),
      AliasExpr.create(FunctionExpr.create("count", [CaseWhenExpr.create([[lateCond, LiteralExpr.create(1)]], null)]), "late"),
      ...flags.map((f, i) => AliasExpr.create(FunctionExpr.create("sum", [ColumnExpr.create(f)]), `m${i}`)),
    ])).collect();
    const ms = (v: unknown) => (v instanceof Date ? v.getTime() : v === null || v === undefined ? null : Number(v));
    const malformed = flags.reduce((acc, _f, i) => acc + Number(r[`m${i}`] ?? 0), 0);
    return { rows: Number(r["n"]), malformed, max: ms(r["mx"]), min: ms(r["mn"]), avg: r["av"] === null ? null : Number(r["av"]), late: Number(r["late"] ?? 0) };
  }

  /**
   * Rows whose from_json input was a non-null string that did not parse (PERMISSIVE made them
   * null), in the nodes the flagged watermark input does not cover; `substitute` turns a streaming
   * plan into the batch's.
   */
  private async malformedJsonRows(substitute: (p: PlanNode) => PlanNode): Promise<number> {
    let total = 0;
    const seen: PlanNode[] = [];
    planSome(this.df.plan, (n) => {
      if (!this.flagged?.covered.has(n) && fromJsonCalls(n).length) seen.push(n);
      return false;
    });
    for (const n of seen) {
      const calls = fromJsonCalls(n);
      const child = substitute((n as { child: PlanNode }).child);
      const aggs = calls.map((c, i) => AliasExpr.create(FunctionExpr.create("sum", [malformedFlag(c)]), `m${i}`));
      const [r] = await new DataFrame(this.session, AggregateNode.create(child, [], aggs)).collect();
      for (let i = 0; i < calls.length; i++) total += Number(r[`m${i}`] ?? 0);
    }
    return total;
  }

  private async report(p: {
    batchId: number; triggerStart: number; wm: number; stats: { max: number | null; min: number | null; avg: number | null; late: number };
    stateProgress: StateOperatorProgress[]; rowsPerSource: number[]; entry: OffsetEntry; latest: readonly JsonValue[]; numOutputRows: number; malformed: number;
    durations: StreamingQueryProgress["durationMs"];
  }): Promise<void> {
    const numInputRows = p.rowsPerSource.reduce((a, b) => a + b, 0);
    const prev = this.lastProgress;
    const sinceLast = prev ? Math.max(1, p.triggerStart - Date.parse(prev.timestamp)) : Math.max(1, p.durations.triggerExecution);
    const inputRate = numInputRows / (sinceLast / 1000);
    const processedRate = numInputRows / (Math.max(1, p.durations.triggerExecution) / 1000);
    const sources: SourceProgress[] = [];
    for (let i = 0; i < this.sources.length; i++) {
      const n = p.rowsPerSource[i];
      sources.push({
        description: this.sources[i].description, startOffset: p.entry.sources[i].start, endOffset: p.entry.sources[i].end, latestOffset: p.latest[i], numInputRows: n,
        inputRowsPerSecond: n / (sinceLast / 1000), processedRowsPerSecond: n / (Math.max(1, p.durations.triggerExecution) / 1000),
        metrics: await this.sources[i].metrics(p.entry.sources[i].end),
      });
    }
    const eventTime: Record<string, string> = {};
    if (this.shape.watermark) {
      eventTime["watermark"] = iso(p.wm);
      if (p.stats.max !== null) eventTime["max"] = iso(p.stats.max);
      if (p.stats.min !== null) eventTime["min"] = iso(p.stats.min);
      if (p.stats.avg !== null) eventTime["avg"] = iso(Math.round(p.stats.avg));
    }
    const progress: StreamingQueryProgress = Object.freeze({
      id: this.id, runId: this.runId, name: this.name, timestamp: iso(p.triggerStart), batchId: p.batchId, numInputRows,
      inputRowsPerSecond: inputRate, processedRowsPerSecond: processedRate, durationMs: p.durations, eventTime,
      stateOperators: p.stateProgress, sources, sink: { description: this.sink.description, numOutputRows: p.numOutputRows },
      numMalformedJsonRows: p.malformed,
    });
    this.progress.push(progress);
    if (this.progress.length > MAX_PROGRESS) this.progress.shift();
    this.session.streams.post("onQueryProgress", { progress });
  }

  async awaitTermination(timeoutMs?: number): Promise<boolean> {
    if (timeoutMs === undefined) await this.done;
    else {
      const finished = await Promise.race([this.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
      if (!finished) return false;
    }
    if (this.exception) throw this.exception;
    return true;
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.wake?.();
    await this.done;
  }

  async processAllAvailable(): Promise<void> {
    if (this.active) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push({ need: this.triggerSeq + 1, resolve });
        this.wake?.();
      });
    }
    if (this.exception) throw this.exception;
  }

  async explain(extended = false): Promise<string> {
    const logical = `== Streaming Logical Plan ==\n${explainPlan(this.df.plan)}`;
    if (!this.lastBatchPlan) return `${logical}\n\n(No batch has run yet.)`;
    return `${logical}\n\n== Last batch (${this.batchId - 1}) ==\n${await new DataFrame(this.session, this.lastBatchPlan).explainString(extended)}`;
  }
}

/**
 * Starts a streaming query (the engine behind `writeStream.start()` / `toTable()`): checks the
 * plan and sink, recovers from the checkpoint, and runs triggers in the background.
 * @throws AnalysisError for queries micro-batches cannot run, bad sink options, or a checkpoint in use.
 */
export async function startStreamingQuery(df: DataFrame, spec: StreamWriteSpec): Promise<StreamingQuery> {
  const session = df.session;
  session.checkOpen();
  if (session.backend.startStream) {
    // The engine runs streams itself (Spark Structured Streaming): it applies its own rules.
    if (spec.foreachBatch) throw new UnsupportedOperationError("foreachBatch runs a JavaScript function per batch, which a Spark server cannot call; use a file, memory or console sink on the Spark backend.", "UNSUPPORTED_STREAMING");
    await session.beforeAction();
    const stream = await session.wrapAction("writeStream.start()", () => session.backend.startStream!(df.plan, spec));
    const q = new EngineStreamingQuery(session, stream);
    session.streams.register(q);
    session.streams.post("onQueryStarted", { id: q.id, runId: q.runId, name: q.name, timestamp: new Date().toISOString() });
    await q.refresh();
    return q;
  }
  const shape = planStreamingQuery(df.plan, spec.outputMode);
  const sinkFormat = spec.foreachBatch ? "foreachbatch" : spec.format;
  const sink = sinkFactory(sinkFormat);
  if (!sink.outputModes.includes(spec.outputMode)) {
    throw new AnalysisError(`Data source ${sinkFormat} does not support ${spec.outputMode[0].toUpperCase() + spec.outputMode.slice(1)} output mode. It supports: ${sink.outputModes.join(", ")}.`, "STREAMING_OUTPUT_MODE_UNSUPPORTED");
  }
  // Resolve every name and type now, so a wrong column fails start(), not batch 0.
  if (shape.sources.every((s) => s.schema !== null)) await df.schema();
  for (const p of spec.partitionBy) if (typeof p !== "string" || !p) throw new AnalysisError("partitionBy(): give column names.", "INVALID_PARTITION");
  let dir = spec.options["checkpointLocation"] ?? null;
  if (!dir) {
    const base = await session.conf.get("spark.sql.streaming.checkpointLocation");
    if (base) dir = path.join(base, spec.queryName ?? randomUUID());
  }
  if (!dir && sink.requiresCheckpoint) {
    throw new AnalysisError(`checkpointLocation must be specified either through option("checkpointLocation", ...) or spark.conf.set("spark.sql.streaming.checkpointLocation", ...): the ${sinkFormat} sink's output outlives this process, so its progress must too.`, "CHECKPOINT_LOCATION_REQUIRED");
  }
  const temporary = dir === null;
  const chk = new Checkpoint(dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "quarry-checkpoint-")), temporary);
  const exec = new MicroBatchExecution(df, spec, shape, chk);
  await exec.init();
  exec.launch();
  return exec;
}
