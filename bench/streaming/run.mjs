#!/usr/bin/env node
// Streaming throughput, side by side: the same Quarry program (JSON event files -> from_json ->
// watermark -> 1-minute tumbling window sums per user -> Parquet, append mode, availableNow) on
// the embedded engine and on Spark Structured Streaming through the Spark Connect server
// (scripts/spark, local[2]), over the same files; plus raw DuckDB doing the same aggregation in
// one SQL statement (the floor: no micro-batches, no state). Prints a Markdown table.
//   node bench/streaming/run.mjs [--files 20] [--events 50000] [--batches-of 1] [--spark sc://127.0.0.1:15002] [--no-spark]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { Session, F } from "../../dist/index.js";

const args = process.argv.slice(2);
const arg = (k, d) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
const FILES = Number(arg("--files", 20));
const EVENTS = Number(arg("--events", 50000));
const PER_BATCH = Number(arg("--batches-of", 1));
const SPARK = args.includes("--no-spark") ? null : arg("--spark", "sc://127.0.0.1:15002");
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../data/streaming");
const inDir = path.join(root, `in-${FILES}x${EVENTS}`);

function generate() {
  if (fs.existsSync(path.join(inDir, "_DONE"))) return;
  fs.rmSync(inDir, { recursive: true, force: true });
  fs.mkdirSync(inDir, { recursive: true });
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const t0 = Date.UTC(2024, 0, 1);
  for (let f = 0; f < FILES; f++) {
    const lines = [];
    for (let i = 0; i < EVENTS; i++) {
      const ts = t0 + f * 60000 + Math.floor(rnd() * 60000);
      const v = JSON.stringify({ user: `u${Math.floor(rnd() * 1000)}`, amount: Math.floor(rnd() * 10000) / 100, ts: new Date(ts).toISOString() });
      lines.push(JSON.stringify({ value: v }));
    }
    const p = path.join(inDir, `events-${String(f).padStart(4, "0")}.json`);
    fs.writeFileSync(p, lines.join("\n") + "\n");
    fs.utimesSync(p, new Date(t0 + f * 1000), new Date(t0 + f * 1000));
  }
  fs.writeFileSync(path.join(inDir, "_DONE"), "");
}

/** CPU seconds (user + system, every thread of this process) since `start`: the embedded engines' work, whatever the machine's load. */
const cpuSeconds = (start) => { const c = process.cpuUsage(start); return (c.user + c.system) / 1e6; };

async function quarry(remote) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "qbench-"));
  const b = Session.builder().appName("bench-streaming");
  const spark = await (remote ? b.remote(remote) : b.master("local[2]")).getOrCreate();
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const events = spark.readStream.format("json").schema("value STRING").option("maxFilesPerTrigger", PER_BATCH).load(inDir);
  const parsed = events.select(F.from_json(F.col("value"), "user STRING, amount DOUBLE, ts TIMESTAMP").alias("e")).select("e.*");
  const q = await parsed.withWatermark("ts", "10 seconds").groupBy(F.window("ts", "1 minute"), "user").agg(F.sum("amount").alias("total"))
    .writeStream.outputMode("append").format("parquet").option("checkpointLocation", path.join(out, "chk")).trigger({ availableNow: true }).start(path.join(out, "out"));
  await q.awaitTermination();
  const secs = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(cpu0);
  const progress = q.recentProgress;
  const [check] = await spark.read.parquet(path.join(out, "out")).agg(F.count("*").alias("n"), F.sum("total").alias("s")).collect();
  await spark.stop();
  fs.rmSync(out, { recursive: true, force: true });
  const trig = progress.map((p) => p.durationMs.triggerExecution).sort((a, b) => a - b);
  return { secs, cpu: remote ? null : cpu, batches: progress.length, medianBatchMs: trig[Math.floor(trig.length / 2)] ?? 0, rows: Number(check.n), sum: Number(check.s) };
}

async function rawDuckdb() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "qbench-"));
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const db = await DuckDBInstance.create(":memory:", { threads: "2" });
  const c = await db.connect();
  // Every window but the last one (the watermark never passes it), as the streaming query emits.
  await c.run(`COPY (WITH e AS (SELECT from_json(value, '{"user":"VARCHAR","amount":"DOUBLE","ts":"TIMESTAMPTZ"}') AS e FROM read_json('${inDir}/*.json', columns = {value: 'VARCHAR'})),
    w AS (SELECT e.user AS user, e.amount AS amount, time_bucket(INTERVAL 1 MINUTE, e.ts, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS start FROM e)
    SELECT start, user, sum(amount) AS total FROM w WHERE start < (SELECT max(start) FROM w) GROUP BY ALL) TO '${out}/out.parquet' (FORMAT parquet)`);
  const r = (await c.runAndReadAll(`SELECT count(*) AS n, sum(total) AS s FROM '${out}/out.parquet'`)).getRowObjectsJS()[0];
  const secs = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(cpu0);
  c.closeSync(); db.closeSync();
  fs.rmSync(out, { recursive: true, force: true });
  return { secs, cpu, batches: 1, medianBatchMs: secs * 1000, rows: Number(r.n), sum: Number(r.s) };
}

generate();
const total = FILES * EVENTS;
const rows = [];
const add = (engine, r) => rows.push({ engine, ...r });
add("raw DuckDB, one SQL statement (floor)", await rawDuckdb());
add("Quarry, embedded micro-batch engine", await quarry(null));
if (SPARK) add("Spark Structured Streaming (Spark Connect, local[2])", await quarry(SPARK));
const base = rows.find((r) => r.engine.startsWith("Quarry"));
console.log(`- Command: \`node bench/streaming/run.mjs ${args.join(" ")}\`; ${FILES} files x ${EVENTS} events = ${total} events, maxFilesPerTrigger ${PER_BATCH}`);
console.log(`- Load average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}; ${os.cpus().length} cores\n`);
console.log("| engine | seconds | events/s | CPU s (in-process engines) | batches | median batch ms | windows written | Σ total | Quarry ÷ engine (time) |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(`| ${r.engine} | ${r.secs.toFixed(2)} | ${Math.round(total / r.secs)} | ${r.cpu === null ? "—" : r.cpu.toFixed(2)} | ${r.batches} | ${Math.round(r.medianBatchMs)} | ${r.rows} | ${r.sum.toFixed(2)} | ${(base.secs / r.secs).toFixed(2)}x |`);
}
