/**
 * The checkpoint directory of a streaming query, in Spark's layout:
 * `metadata` (the query id), `offsets/<N>` (write-ahead: written before batch N runs, with the
 * watermark and each source's start and end offsets), `commits/<N>` (after the sink committed
 * batch N), `state/<op>/<N>/` (state snapshots), `sources/<i>/` (sources' own logs). A lock file
 * keeps a second run off the same checkpoint.
 */
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { AnalysisError, IllegalArgumentError } from "../errors.js";
import type { JsonValue } from "./contracts.js";
import { listBatchIds, readFileOrNull, writeFileAtomic } from "./files.js";

/** What the offsets log holds for one batch. */
export interface OffsetEntry {
  readonly batchWatermarkMs: number;
  readonly batchTimestampMs: number;
  readonly sources: readonly { readonly start: JsonValue; readonly end: JsonValue }[];
}

/** What the commit log holds for one batch. */
export interface CommitEntry { readonly nextBatchWatermarkMs: number }

/** Checkpoints in use by a run in this process. */
const IN_USE = new Set<string>();

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
}

export class Checkpoint {
  readonly dir: string;
  private locked = false;

  constructor(dir: string, readonly temporary: boolean) { this.dir = path.resolve(dir); }

  /** Takes the checkpoint for this run, or fails naming the run that holds it. */
  lock(runId: string): void {
    if (IN_USE.has(this.dir)) {
      throw new IllegalArgumentError(`[CONCURRENT_QUERY] Another run of this query is active in this process on the checkpoint ${this.dir}. Stop it (query.stop()) before starting again, or use another checkpointLocation.`, "CONCURRENT_QUERY");
    }
    fs.mkdirSync(this.dir, { recursive: true });
    const lockFile = path.join(this.dir, ".lock");
    const held = readFileOrNull(lockFile);
    if (held) {
      const pid = Number(JSON.parse(held).pid);
      if (pid !== process.pid && pidAlive(pid)) {
        throw new IllegalArgumentError(`[CONCURRENT_QUERY] The checkpoint ${this.dir} is in use by process ${pid}. Only one run may use a checkpoint at a time: stop that query, or use another checkpointLocation.`, "CONCURRENT_QUERY");
      }
    }
    writeFileAtomic(lockFile, JSON.stringify({ pid: process.pid, runId }));
    IN_USE.add(this.dir);
    this.locked = true;
  }
  /** Releases the lock; a temporary checkpoint is deleted. */
  unlock(): void {
    if (!this.locked) return;
    this.locked = false;
    IN_USE.delete(this.dir);
    fs.rmSync(path.join(this.dir, ".lock"), { force: true });
    if (this.temporary) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The query id: read from `metadata`, or created there on the first start. */
  queryId(): string {
    const file = path.join(this.dir, "metadata");
    const text = readFileOrNull(file);
    if (text !== null) {
      try { return String(JSON.parse(text).id); } catch {
        throw new AnalysisError(`The checkpoint metadata ${file} is not valid JSON; the checkpoint is damaged. Start from a new checkpointLocation.`, "CHECKPOINT_DAMAGED");
      }
    }
    const id = randomUUID();
    writeFileAtomic(file, JSON.stringify({ id }) + "\n");
    return id;
  }

  private logFile(kind: "offsets" | "commits", n: number): string { return path.join(this.dir, kind, String(n)); }

  /** The last batch id in the offsets log, or -1. */
  latestOffsetsBatch(): number { const ids = listBatchIds(path.join(this.dir, "offsets")); return ids.length ? ids[ids.length - 1] : -1; }
  /** The last batch id in the commit log, or -1. */
  latestCommit(): number { const ids = listBatchIds(path.join(this.dir, "commits")); return ids.length ? ids[ids.length - 1] : -1; }

  readOffsets(n: number): OffsetEntry | null {
    const text = readFileOrNull(this.logFile("offsets", n));
    if (text === null) return null;
    const [version, meta, ...sources] = text.split("\n").filter((l) => l.length > 0);
    if (version !== "v1") throw new AnalysisError(`Unknown offsets log version ${JSON.stringify(version)} in ${this.logFile("offsets", n)}.`, "CHECKPOINT_DAMAGED");
    const m = JSON.parse(meta) as { batchWatermarkMs: number; batchTimestampMs: number };
    return { batchWatermarkMs: m.batchWatermarkMs, batchTimestampMs: m.batchTimestampMs, sources: sources.map((l) => JSON.parse(l)) };
  }
  /** Writes `offsets/<n>` atomically, before batch n runs. */
  writeOffsets(n: number, e: OffsetEntry): void {
    const lines = ["v1", JSON.stringify({ batchWatermarkMs: e.batchWatermarkMs, batchTimestampMs: e.batchTimestampMs }), ...e.sources.map((s) => JSON.stringify(s))];
    writeFileAtomic(this.logFile("offsets", n), lines.join("\n") + "\n");
  }
  readCommit(n: number): CommitEntry | null {
    const text = readFileOrNull(this.logFile("commits", n));
    if (text === null) return null;
    const [, meta] = text.split("\n");
    return JSON.parse(meta) as CommitEntry;
  }
  /** Writes `commits/<n>` atomically, after the sink committed batch n. */
  writeCommit(n: number, e: CommitEntry): void {
    writeFileAtomic(this.logFile("commits", n), "v1\n" + JSON.stringify(e) + "\n");
  }

  /** A stateful operator's directory. */
  stateDir(op: number): string { return path.join(this.dir, "state", String(op)); }
  /** A source's directory. */
  sourceDir(i: number): string { return path.join(this.dir, "sources", String(i)); }

  /** Removes log entries and state versions older than `minBatch` (keeps what a restart needs). */
  purge(minBatch: number): void {
    if (minBatch <= 0) return;
    for (const kind of ["offsets", "commits"] as const) {
      for (const id of listBatchIds(path.join(this.dir, kind))) if (id < minBatch) fs.rmSync(this.logFile(kind, id), { force: true });
    }
    const stateRoot = path.join(this.dir, "state");
    let ops: string[] = [];
    try { ops = fs.readdirSync(stateRoot); } catch { /* no state */ }
    for (const op of ops) {
      for (const v of listBatchIds(path.join(stateRoot, op))) if (v < minBatch) fs.rmSync(path.join(stateRoot, op, String(v)), { recursive: true, force: true });
    }
  }
}
