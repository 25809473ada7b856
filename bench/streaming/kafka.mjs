#!/usr/bin/env node
// Streaming over Kafka (issue 5), side by side: the same Quarry program on the embedded engine and
// on Spark Structured Streaming (the shared Spark Connect server, local[2], spark-sql-kafka),
// against the same broker (scripts/kafka/server.mjs, 127.0.0.1:9092) and the same topics.
//
// 1. Throughput: N JSON events {"user":"u<k>","amount":x,"ts":"<iso>"} (event times increasing,
//    5 ms apart; 1000 keys) are pre-produced to a fresh 4-partition topic; then the query
//      from_json(value) -> withWatermark(ts, 10 s) -> groupBy(window(ts, 1 minute), user)
//      .agg(sum(amount), count) -> Parquet, append, trigger availableNow
//    reads the topic from `earliest`; events/s = N / wall time from start() to termination.
//    Rounds alternate the engines; both outputs are read back (through _spark_metadata) and must
//    hold the same windows and totals.
// 2. Latency: a child process produces events at a fixed rate, each carrying its produce time
//    (`pt`, epoch ms, taken just before the send); the query parses them, applies the watermark and
//    writes every event to the Parquet sink (append, trigger processingTime 1 second). The same
//    child polls <out>/_spark_metadata every 10 ms and records when each batch's manifest appears
//    (that is when a reader of the directory can see the batch). Afterwards every row of every
//    batch is read back: latency(event) = visible(batch) - pt(event); p50/p99 over all events
//    produced after a 5 s warm-up.
//
//   npm run build && npm run kafka:start   (or reuse a running broker)
//   QUARRY_SPARK_CACHE=/work/main/.cache/spark node bench/streaming/kafka.mjs \
//     [--events 2000000] [--rounds 2] [--latency-seconds 20] [--rates 10000,half] [--no-spark] [--skip-latency]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Producer } from "@platformatic/kafka";
import { createTopic as createEventTopic, produceEvents } from "./kafka-events.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const servers = process.env.QUARRY_KAFKA_BOOTSTRAP ?? "127.0.0.1:9092";
const args = process.argv.slice(2);
const arg = (k, d) => { const i = args.indexOf(`--${k}`); return i >= 0 ? args[i + 1] : d; };

// ---------------------------------------------------------------- child: load generator + watcher
if (args[0] === "--child") {
  const [, topic, rate, seconds, outDir] = args;
  process.on("disconnect", () => process.exit(1));
  const producer = new Producer({ clientId: "bench-load", bootstrapBrokers: [servers], acks: 1 });
  const manifests = path.join(outDir, "_spark_metadata");
  const seen = new Map();
  const poll = setInterval(() => {
    let names = [];
    try { names = fs.readdirSync(manifests); } catch { return; }
    const now = Date.now();
    // The manifest's text is kept as first seen (a compaction may delete it later).
    for (const n of names) {
      if (!/^\d+(\.compact)?$/.test(n) || seen.has(n)) continue;
      try { seen.set(n, { at: now, text: fs.readFileSync(path.join(manifests, n), "utf8") }); } catch { /* gone already: listed by the next compaction */ }
    }
  }, 10);
  const tickMs = 10, perTick = Number(rate) * tickMs / 1000;
  const started = Date.now();
  let sent = 0, i = 0;
  while (Date.now() - started < Number(seconds) * 1000) {
    // Catch up to the schedule: events due by now are sent now (the rate stays fixed on average).
    const due = Math.floor(((Date.now() - started) / tickMs + 1) * perTick);
    if (due > sent) {
      const pt = Date.now();
      const ts = new Date(pt).toISOString();
      const messages = [];
      // At most 5000 per send: a producer that fell behind would otherwise send one batch over the
      // broker's message.max.bytes (1 MB).
      for (const upTo = Math.min(due, sent + 5000); sent < upTo; sent++, i++) {
        const user = `u${(i * 7919) % 1000}`;
        messages.push({ topic, key: Buffer.from(user), value: Buffer.from(`{"user":"${user}","amount":${(i % 1000) / 10},"ts":"${ts}","pt":${pt}}`) });
      }
      await producer.send({ messages });
    }
    await new Promise((r) => setTimeout(r, Math.max(0, started + Math.ceil(sent / perTick) * tickMs - Date.now())));
  }
  const producedFor = (Date.now() - started) / 1000;
  await producer.close();
  // Keep watching until the query has caught up (the parent stops us with a message).
  process.send({ produced: sent, producedFor });
  process.on("message", () => { clearInterval(poll); process.send({ visible: Object.fromEntries(seen) }); process.exit(0); });
} else {
  await main();
}

async function main() {
  const { Session, F } = await import(path.join(root, "dist/index.js"));
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const N = Number(arg("events", 2_000_000));
  const rounds = Number(arg("rounds", 2));
  const latencySeconds = Number(arg("latency-seconds", 20));
  const rates = String(arg("rates", "10000,half")).split(",");
  const remote = args.includes("--no-spark") ? null : arg("spark", "sc://127.0.0.1:15002");
  const stamp = Date.now().toString(36);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "qkbench-"));
  const engines = [["Quarry (embedded, DuckDB)", null], ...(remote ? [["Spark Structured Streaming (Connect, local[2])", remote]] : [])];
  const session = async (r) => { const b = Session.builder().appName("bench-kafka-stream"); return (r ? b.remote(r) : b.master("local[2]")).getOrCreate(); };

  const createTopic = (topic) => createEventTopic(servers, topic);
  const source = (spark, topic) => spark.readStream.format("kafka").option("kafka.bootstrap.servers", servers)
    .option("subscribe", topic).option("startingOffsets", "earliest").load()
    .select(F.from_json(F.col("value").cast("string"), "user STRING, amount DOUBLE, ts TIMESTAMP, pt BIGINT").alias("e")).select("e.*")
    .withWatermark("ts", "10 seconds");

  // ---- 1. throughput
  const topic = `sbench-${stamp}`;
  await createTopic(topic);
  {
    const t = performance.now();
    await produceEvents(servers, topic, N);
    console.error(`produced ${N} events to ${topic} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const through = Object.fromEntries(engines.map(([name]) => [name, []]));
  const checks = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, r] of round % 2 ? [...engines].reverse() : engines) {
      const spark = await session(r);
      const out = path.join(work, `tp-${round}-${r ? "spark" : "quarry"}`);
      const started = performance.now();
      const q = await source(spark, topic).groupBy(F.window("ts", "1 minute"), "user").agg(F.sum("amount").alias("total"), F.count("*").alias("n"))
        .writeStream.outputMode("append").format("parquet").option("checkpointLocation", path.join(out, "chk"))
        .trigger({ availableNow: true }).start(path.join(out, "out"));
      await q.awaitTermination();
      const secs = (performance.now() - started) / 1000;
      const progress = r ? [] : q.recentProgress;
      await spark.stop();
      through[name].push({ secs, batches: progress.length, progress });
      // Read back through the manifest (Quarry's reader honours _spark_metadata, Spark's and its own).
      const local = await session(null);
      const [c] = await local.read.parquet(path.join(out, "out")).agg(F.count("*").alias("windows"), F.sum("n").alias("events"), F.round(F.sum("total"), 2).alias("total")).collect();
      await local.stop();
      checks[name] = { windows: Number(c.windows), events: Number(c.events), total: Number(c.total) };
      console.error(`round ${round + 1}: ${name}: ${secs.toFixed(2)} s, ${Math.round(N / secs)} events/s; ${JSON.stringify(checks[name])}`);
    }
  }
  const vals = Object.values(checks).map((c) => JSON.stringify(c));
  const same = vals.every((v) => v === vals[0]);

  // Where Quarry's time goes: its per-batch progress (durationMs) of the last round.
  const qRuns = through[engines[0][0]];
  const lastQ = qRuns.at(-1).progress;
  const sumMs = (k) => lastQ.reduce((a, p) => a + (p.durationMs?.[k] ?? 0), 0);
  const phases = lastQ.length ? Object.keys(lastQ[0].durationMs).map((k) => `${k} ${Math.round(sumMs(k))} ms`).join(", ") : "";

  // ---- 2. latency
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const maxRate = Object.fromEntries(engines.map(([name]) => [name, N / median(through[name].map((x) => x.secs))]));
  const latency = [];
  if (!args.includes("--skip-latency")) {
    const db = await DuckDBInstance.create(":memory:", { threads: "1" });
    const c = await db.connect();
    for (const [name, r] of engines) {
      for (const rs of rates) {
        const rate = rs === "half" ? Math.round(maxRate[name] / 2 / 1000) * 1000 : Number(rs);
        const ltopic = `sbench-lat-${stamp}-${r ? "s" : "q"}-${rate}`;
        await createTopic(ltopic);
        const out = path.join(work, `lat-${r ? "spark" : "quarry"}-${rate}`);
        fs.mkdirSync(path.join(out, "out"), { recursive: true });
        const spark = await session(r);
        const q = await source(spark, ltopic).select("user", "amount", "ts", "pt")
          .writeStream.outputMode("append").format("parquet").option("checkpointLocation", path.join(out, "chk"))
          .trigger({ processingTime: "1 second" }).start(path.join(out, "out"));
        await new Promise((res) => setTimeout(res, 3000)); // the query is up and has run its first empty trigger
        const child = fork(fileURLToPath(import.meta.url), ["--child", ltopic, String(rate), String(latencySeconds), path.join(out, "out")]);
        const msgs = [];
        const next = () => new Promise((res) => child.once("message", (m) => { msgs.push(m); res(m); }));
        const { produced, producedFor } = await next();
        // Wait until the sink holds every produced event (or 30 s), then collect visibility times.
        // Only files a manifest lists are complete (Spark writes its part files in place).
        const listedFiles = (id, manifest) => {
          let text;
          try { text = (manifest ?? fs.readFileSync(path.join(out, "out", "_spark_metadata", id), "utf8")).trim().split("\n").slice(1); } catch { return []; }
          return text.map((l) => JSON.parse(l)).filter((e) => e.action !== "delete").map((e) => String(e.path).replace(/^file:\/\//, ""))
            .map((p) => (path.isAbsolute(p) ? p : path.join(out, "out", p))).filter((p) => p.endsWith(".parquet"));
        };
        const allListed = () => [...new Set(fs.readdirSync(path.join(out, "out", "_spark_metadata")).filter((n) => /^\d+(\.compact)?$/.test(n)).flatMap((n) => listedFiles(n)))];
        const countRows = async () => {
          const files = allListed();
          if (!files.length) return 0;
          return Number((await c.runAndReadAll(`SELECT count(*) AS n FROM read_parquet([${files.map((p) => `'${p}'`).join(", ")}])`)).getRowObjectsJS()[0].n);
        };
        const deadline = Date.now() + 30_000;
        while ((await countRows()) < produced && Date.now() < deadline) await new Promise((res) => setTimeout(res, 500));
        child.send("stop");
        const { visible } = await next();
        await q.stop();
        await spark.stop();
        // Per event: visibility of the first manifest listing its file.
        const rows = [];
        const t0 = Number((await c.runAndReadAll(`SELECT min(pt) AS m FROM read_parquet([${allListed().map((p) => `'${p}'`).join(", ")}])`)).getRowObjectsJS()[0].m);
        // A compacted manifest (every 10th batch: "<id>.compact") lists earlier batches' files too;
        // each file counts at the first manifest that listed it.
        const assigned = new Set();
        for (const [id, { at, text }] of Object.entries(visible).sort((a, b) => parseInt(a[0]) - parseInt(b[0]))) {
          const listed = listedFiles(id, text).filter((p) => !assigned.has(p));
          for (const p of listed) assigned.add(p);
          if (!listed.length) continue;
          const list = listed.map((p) => `'${p}'`).join(", ");
          const res = await c.runAndReadAll(`SELECT ${at} - pt AS lat FROM read_parquet([${list}]) WHERE pt >= ${t0 + 5000}`);
          for (const x of res.getRowObjectsJS()) rows.push(Number(x.lat));
        }
        rows.sort((a, b) => a - b);
        const pct = (p) => rows[Math.min(rows.length - 1, Math.floor(p * rows.length))];
        latency.push({ name, rate, achieved: produced / producedFor, produced, measured: rows.length, p50: pct(0.5), p99: pct(0.99), max: rows.at(-1), batches: Object.keys(visible).length });
        console.error(`latency ${name} @ ${rate}/s: ${JSON.stringify(latency.at(-1))}`);
      }
    }
    c.closeSync(); db.closeSync();
  }
  fs.rmSync(work, { recursive: true, force: true });

  // ---- report
  console.log(`- Command: \`QUARRY_SPARK_CACHE=/work/main/.cache/spark node bench/streaming/kafka.mjs ${args.join(" ")}\``);
  console.log(`- ${N.toLocaleString("en-US")} events, 4 partitions, ${rounds} alternating round(s); ${os.availableParallelism()} cores; load average at end ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  console.log(`- Output check (windows, events, Σ amount read back through _spark_metadata): ${Object.entries(checks).map(([k, v]) => `${k}: ${v.windows} / ${v.events} / ${v.total}`).join("; ")} — ${same ? "identical" : "DIFFERENT"}`);
  if (phases) console.log(`- Quarry's last run, ${lastQ.length} batches, summed durationMs: ${phases}`);
  console.log("\n| engine | runs (s) | median s | events/s | Quarry ÷ engine (rate) |\n| --- | --- | ---: | ---: | ---: |");
  const qRate = maxRate[engines[0][0]];
  for (const [name] of engines) {
    const s = median(through[name].map((x) => x.secs));
    console.log(`| ${name} | ${through[name].map((x) => x.secs.toFixed(2)).join(", ")} | ${s.toFixed(2)} | ${Math.round(N / s).toLocaleString("en-US")} | ${(qRate / maxRate[name]).toFixed(2)}x |`);
  }
  if (latency.length) {
    console.log("\n| engine | target rate/s | achieved rate/s | events measured | batches | p50 ms | p99 ms | max ms |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const l of latency) console.log(`| ${l.name} | ${l.rate.toLocaleString("en-US")} | ${Math.round(l.achieved).toLocaleString("en-US")} | ${l.measured} | ${l.batches} | ${l.p50} | ${l.p99} | ${l.max} |`);
  }
}
