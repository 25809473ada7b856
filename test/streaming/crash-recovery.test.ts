/**
 * Crash recovery: a child process runs a window aggregation over a stream and is killed with
 * SIGKILL at random points of the micro-batch protocol (after the offsets log, after the state
 * snapshot, between the sink's data and its commit (file manifest, Kafka transaction), after the
 * sink, after the commit log), then restarted each time. The output read back must hold exactly the
 * window sums computed here in plain JS from the events: nothing lost, nothing twice.
 * 1. JSON files -> Parquet.
 * 2. A 4-partition Kafka topic -> Parquet and -> a Kafka topic (exactly-once sink), read back with
 *    read_committed, against the real broker.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Session, F } from "quarry";
import { createTopic, eventually, kafkaBootstrap, uniqueTopic } from "../kafka/kafka-server.js";
import { prng, randInt, pick } from "../conformance/harness.js";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "crash-child.js");
const KAFKA_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "crash-child-kafka.js");
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


/**
 * Runs the child once per kill point (in increasing batch order), then once to the end; returns
 * the kill points. A point of a batch already committed is never reached: that run ends normally.
 */
function runWithKills(child: string, args: string[], rnd: () => number, seed: number, maxBatch: number, phases: readonly string[]): string[] {
  const kills: string[] = [];
  let batch = 0;
  while (batch <= maxBatch && kills.length < 6) {
    batch += randInt(rnd, 0, 2);
    if (batch > maxBatch) break;
    kills.push(`${pick(rnd, phases)}@${batch}`);
  }
  const runs: { kill: string | null; status: number | null; signal: string | null }[] = [];
  for (const kill of [...kills, null]) {
    const env = { ...process.env };
    if (kill) env["QUARRY_STREAMING_KILL_AT"] = kill; else delete env["QUARRY_STREAMING_KILL_AT"];
    const r = spawnSync(process.execPath, [child, ...args], { env, encoding: "utf8", timeout: 90000 });
    runs.push({ kill, status: r.status, signal: r.signal });
    if (kill === null) assert.equal(r.status, 0, `the final run must finish (seed ${seed}): ${r.stderr}`);
    else assert.ok(r.signal === "SIGKILL" || r.status === 0, `run with ${kill} ended with ${r.status}/${r.signal} (seed ${seed}): ${r.stderr}`);
  }
  assert.ok(runs.some((r) => r.signal === "SIGKILL"), `at least one run must have been killed (seed ${seed}, kills ${kills.join(", ")})`);
  return kills;
}

/** Window sums keyed `start|user`, each key once (a second row for a key fails the test). */
function windowSums(rows: readonly { start: Date | string; user: unknown; total: unknown; n: unknown }[], what: string): Map<string, { total: number; n: number }> {
  const got = new Map<string, { total: number; n: number }>();
  for (const r of rows) {
    const k = `${new Date(r.start).toISOString()}|${r.user}`;
    assert.ok(!got.has(k), `window ${k} was written twice to ${what}`);
    got.set(k, { total: Number(r.total), n: Number(r.n) });
  }
  return got;
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
      const kills = runWithKills(CHILD, [inDir, chk, out], rnd, seed, FILES, PHASES);
      const spark = await Session.builder().getOrCreate();
      try {
        const rows = await spark.read.parquet(out).collect();
        const got = windowSums(rows.map((r) => ({ start: (r["window"] as { start: Date }).start, user: r["user"], total: r["total"], n: r["n"] })), `the Parquet sink (seed ${seed}, kills ${kills.join(", ")})`);
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

describe("streaming crash recovery with Kafka [duckdb]", () => {
  it("SIGKILL at random points, restarted each time: the Parquet sink and the Kafka sink (read_committed) hold each window sum exactly once", async () => {
    const seed = Number(process.env.QUARRY_CRASH_SEED ?? Date.now() % 100000);
    const rnd = prng(seed);
    const bootstrap = await kafkaBootstrap();
    const inTopic = uniqueTopic("crash-in"), outTopic = uniqueTopic("crash-out");
    await createTopic(bootstrap, inTopic, 4);
    await createTopic(bootstrap, outTopic, 1);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "quarry-crash-kafka-"));
    const spark = await Session.builder().getOrCreate();
    try {
      // The events in time order, dealt round-robin to the 4 partitions: every partition moves
      // through event time at the same pace, so no row falls behind the 30 s watermark.
      const { files, events } = makeEvents(prng(11));
      const values = files.flat().map((l) => (JSON.parse(l) as { value: string }).value);
      const timeOf = (v: string) => { try { return Date.parse((JSON.parse(v) as { ts: string }).ts); } catch { return -1; } };
      const ordered = values.map((v, i) => ({ v, t: timeOf(v) >= 0 ? timeOf(v) : timeOf(values[i - 1] ?? "") })).sort((a, b) => a.t - b.t);
      await spark.createDataFrame(ordered.map((o, i) => ({ value: o.v, partition: i % 4 })), "value STRING, partition INT")
        .write.format("kafka").option("kafka.bootstrap.servers", bootstrap).option("topic", inTopic).save();
      const batches = Math.ceil(ordered.length / 40);
      const kills = runWithKills(KAFKA_CHILD, [bootstrap, inTopic, outTopic, dir], rnd, seed, batches, [...PHASES, "sinkBeforeCommit"]);
      const where = `(seed ${seed}, kills ${kills.join(", ")})`;
      const want = [...expected(events).entries()].sort();
      assert.ok(want.length >= 20, "the test data closes enough windows to be meaningful");

      const parquet = await spark.read.parquet(path.join(dir, "out")).collect();
      const fromParquet = windowSums(parquet.map((r) => ({ start: (r["window"] as { start: Date }).start, user: r["user"], total: r["total"], n: r["n"] })), `the Parquet sink ${where}`);
      assert.deepEqual([...fromParquet.entries()].sort(), want, `Parquet sink ${where}`);

      const fromKafka = async () => {
        const committed = await spark.read.format("kafka").option("kafka.bootstrap.servers", bootstrap).option("subscribe", outTopic)
          .option("kafka.isolation.level", "read_committed")
          .load().select(F.from_json(F.col("value").cast("string"), "start TIMESTAMP, user STRING, total DOUBLE, n BIGINT").alias("r")).select("r.*").collect();
        return [...windowSums(committed.map((r) => ({ start: r["start"] as Date, user: r["user"], total: r["total"], n: r["n"] })), `the Kafka sink ${where}`).entries()].sort();
      };
      // The last transaction's markers may reach the partition a moment after the run exits.
      await eventually(fromKafka, want, `Kafka sink ${where}`);
    } finally {
      await spark.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
