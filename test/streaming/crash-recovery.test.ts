/**
 * Crash recovery: a child process runs a file -> window aggregation -> Parquet query and is
 * killed with SIGKILL at random points of the micro-batch protocol (after the offsets log, after
 * the state snapshot, between the sink's files and its manifest, after the sink, after the commit
 * log), then restarted each time. The Parquet output read back must hold exactly the window sums
 * computed here in plain JS from the events: nothing lost, nothing twice.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Session } from "quarry";
import { prng, randInt, pick } from "../conformance/harness.js";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "crash-child.js");
const PHASES = ["afterOffsetsWal", "afterStateWrite", "sinkBeforeManifest", "afterSink", "afterCommit"] as const;
const FILES = 8;
const T0 = Date.UTC(2024, 0, 1);

interface Event { user: string; amount: number; ts: number }

/** File f holds events of minute f (jitter up to 5 s back into minute f-1, never later than the 30 s watermark delay allows). */
function makeEvents(rnd: () => number): { files: string[][]; events: Event[]; malformed: number } {
  const files: string[][] = [];
  const events: Event[] = [];
  let malformed = 0;
  for (let f = 0; f < FILES; f++) {
    const lines: string[] = [];
    const n = randInt(rnd, 20, 40);
    for (let i = 0; i < n; i++) {
      const ts = T0 + f * 60000 + randInt(rnd, -5000, 59000);
      const e = { user: pick(rnd, ["ann", "bob", "cy", "dee"]), amount: randInt(rnd, 1, 100), ts };
      events.push(e);
      lines.push(JSON.stringify({ value: JSON.stringify({ user: e.user, amount: e.amount, ts: new Date(ts).toISOString() }) }));
      if (rnd() < 0.05) { lines.push(JSON.stringify({ value: "{not json" })); malformed++; }
    }
    files.push(lines);
  }
  return { files, events, malformed };
}

/** Window sums per (window start, user) for the windows the final watermark closed (append mode emits only those). */
function expected(events: Event[]): Map<string, { total: number; n: number }> {
  const maxTs = Math.max(...events.map((e) => e.ts));
  const watermark = maxTs - 30000;
  const out = new Map<string, { total: number; n: number }>();
  for (const e of events) {
    const start = e.ts - (((e.ts % 60000) + 60000) % 60000);
    if (start + 60000 > watermark) continue;
    const k = `${new Date(start).toISOString()}|${e.user}`;
    const cur = out.get(k) ?? { total: 0, n: 0 };
    out.set(k, { total: cur.total + e.amount, n: cur.n + 1 });
  }
  return out;
}

describe("streaming crash recovery [duckdb]", () => {
  it("SIGKILL at random points of the batch protocol, restarted each time: the Parquet sink holds each window sum exactly once", async () => {
    const seed = Number(process.env.QUARRY_CRASH_SEED ?? Date.now() % 100000);
    const rnd = prng(seed);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "quarry-crash-"));
    try {
      const { files, events } = makeEvents(prng(7));
      const inDir = path.join(dir, "in"), chk = path.join(dir, "chk"), out = path.join(dir, "out");
      fs.mkdirSync(inDir);
      // Files arrive in order of their modification times.
      files.forEach((lines, f) => {
        const p = path.join(inDir, `events-${f}.json`);
        fs.writeFileSync(p, lines.join("\n") + "\n");
        fs.utimesSync(p, new Date(T0 + f * 1000), new Date(T0 + f * 1000));
      });
      // Kill points in increasing batch order (a point of a batch already committed is never reached: that run ends normally).
      const kills: string[] = [];
      let batch = 0;
      while (batch <= FILES && kills.length < 6) {
        batch += randInt(rnd, 0, 2);
        if (batch > FILES) break;
        kills.push(`${pick(rnd, PHASES)}@${batch}`);
      }
      const runs: { kill: string | null; status: number | null; signal: string | null }[] = [];
      for (const kill of [...kills, null]) {
        const env = { ...process.env };
        if (kill) env["QUARRY_STREAMING_KILL_AT"] = kill; else delete env["QUARRY_STREAMING_KILL_AT"];
        const r = spawnSync(process.execPath, [CHILD, inDir, chk, out], { env, encoding: "utf8", timeout: 60000 });
        runs.push({ kill, status: r.status, signal: r.signal });
        if (kill === null) assert.equal(r.status, 0, `the final run must finish (seed ${seed}): ${r.stderr}`);
        else assert.ok(r.signal === "SIGKILL" || r.status === 0, `run with ${kill} ended with ${r.status}/${r.signal} (seed ${seed}): ${r.stderr}`);
      }
      assert.ok(runs.some((r) => r.signal === "SIGKILL"), `at least one run must have been killed (seed ${seed}, kills ${kills.join(", ")})`);

      const spark = await Session.builder().getOrCreate();
      try {
        const rows = await spark.read.parquet(out).collect();
        const got = new Map<string, { total: number; n: number }>();
        for (const r of rows) {
          const w = r["window"] as { start: Date };
          const k = `${w.start.toISOString()}|${r["user"]}`;
          assert.ok(!got.has(k), `window ${k} was written twice (seed ${seed}, kills ${kills.join(", ")})`);
          got.set(k, { total: r["total"] as number, n: r["n"] as number });
        }
        const want = expected(events);
        assert.deepEqual([...got.entries()].sort(), [...want.entries()].sort(), `seed ${seed}, kills ${kills.join(", ")}`);
        assert.ok(want.size >= 20, "the test data closes enough windows to be meaningful");
      } finally {
        await spark.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
