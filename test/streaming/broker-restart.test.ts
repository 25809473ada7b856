/**
 * Broker restart mid-stream: a Kafka -> window sums -> Parquet query runs against a broker of its
 * own (another port and data dir, so other tests' broker is untouched); the broker is stopped while
 * the query runs and started again. The issue's rule: the query either retries and completes
 * correctly, or fails with a clear error (naming the broker) within a bounded time, after which a
 * restart from the checkpoint completes correctly. Either way the sink must end with each window
 * sum exactly once, computed here in plain JS.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Session, F, type StreamingQuery } from "quarry";
import { repoRoot } from "../backends/spark-connect/spark-server.js";
import { createTopic } from "../kafka/kafka-server.js";

const PORT = Number(process.env.QUARRY_KAFKA_RESTART_PORT ?? 19192);
const BOOTSTRAP = `127.0.0.1:${PORT}`;
const T0 = Date.UTC(2024, 0, 1);

function broker(cmd: "start" | "stop"): Promise<void> {
  const env = { ...process.env, QUARRY_KAFKA_PORT: String(PORT), QUARRY_KAFKA_CACHE: path.join(repoRoot(), ".cache", "kafka-restart-test") };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(repoRoot(), "scripts/kafka/server.mjs"), cmd], { env, maxBuffer: 16 << 20 }, (err, _out, stderr) => (err ? reject(new Error(`kafka ${cmd}: ${stderr || err.message}`)) : resolve()));
  });
}

/** Events of minute m: user u<m % 3>, amount m * 10 + i, 10 per minute. */
function events(fromMinute: number, toMinute: number): { value: string; user: string; amount: number; ts: number }[] {
  const out = [];
  for (let m = fromMinute; m < toMinute; m++) {
    for (let i = 0; i < 10; i++) {
      const ts = T0 + m * 60000 + i * 5000;
      const e = { user: `u${(m + i) % 3}`, amount: m * 10 + i, ts };
      out.push({ ...e, value: JSON.stringify({ user: e.user, amount: e.amount, ts: new Date(ts).toISOString() }) });
    }
  }
  return out;
}

describe("streaming: a Kafka broker restart mid-stream [duckdb]", () => {
  let dir = "";
  before(async () => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "quarry-broker-restart-")); await broker("start"); });
  after(async () => { await broker("stop").catch(() => undefined); fs.rmSync(dir, { recursive: true, force: true }); });

  it("the query retries or fails clearly within a bounded time; after the broker is back, each window sum is in the sink once", async (t) => {
    const spark = await Session.builder().getOrCreate();
    const topic = `restart-${Date.now().toString(36)}`;
    await createTopic(BOOTSTRAP, topic, 2);
    const produce = (rows: { value: string }[]) => spark.createDataFrame(rows.map((r) => ({ value: r.value })), "value STRING")
      .write.format("kafka").option("kafka.bootstrap.servers", BOOTSTRAP).option("topic", topic).save();
    const start = (): Promise<StreamingQuery> => spark.readStream.format("kafka").option("kafka.bootstrap.servers", BOOTSTRAP)
      .option("subscribe", topic).option("startingOffsets", "earliest").load()
      .select(F.from_json(F.col("value").cast("string"), "user STRING, amount DOUBLE, ts TIMESTAMP").alias("e")).select("e.*")
      .withWatermark("ts", "30 seconds").groupBy(F.window("ts", "1 minute"), "user").agg(F.sum("amount").alias("total"))
      .writeStream.outputMode("append").format("parquet").option("checkpointLocation", path.join(dir, "chk"))
      .trigger({ processingTime: "200 milliseconds" }).start(path.join(dir, "out"));
    const first = events(0, 5), second = events(5, 10);
    try {
      await produce(first);
      let q = await start();
      await q.processAllAvailable();
      await broker("stop");
      // The broker is gone for a while: the query must either keep retrying or fail clearly in bounded time.
      const t0 = Date.now();
      // Waits longer than the bound below, so a failure after the bound is caught, not timed out.
      const ended = await q.awaitTermination(30_000).then(() => "stopped", (e: unknown) => e);
      const failed = ended instanceof Error;
      t.diagnostic(failed ? `the query failed after ${Date.now() - t0} ms: ${(ended as Error).message}` : "the query kept running while the broker was down");
      if (failed) {
        assert.match((ended as Error).message, new RegExp(`Kafka .*${BOOTSTRAP.replace(/\./g, "\\.")}`), "the error names the broker");
        assert.ok(Date.now() - t0 < 20_000, "it failed within the bound");
      } else {
        assert.equal(q.isActive, true, "without a failure the query is still running (retrying)");
      }
      await broker("start");
      await produce(second);
      if (failed || !q.isActive) q = await start();   // a restart from the checkpoint
      await q.processAllAvailable();
      await q.stop();

      const all = [...first, ...second];
      const watermark = Math.max(...all.map((e) => e.ts)) - 30_000;
      const want = new Map<string, number>();
      for (const e of all) {
        const s = e.ts - (e.ts % 60000);
        if (s + 60000 > watermark) continue;
        const k = `${new Date(s).toISOString()}|${e.user}`;
        want.set(k, (want.get(k) ?? 0) + e.amount);
      }
      const got = new Map<string, number>();
      for (const r of await spark.read.parquet(path.join(dir, "out")).collect()) {
        const k = `${(r["window"] as { start: Date }).start.toISOString()}|${r["user"]}`;
        assert.ok(!got.has(k), `window ${k} written twice`);
        got.set(k, r["total"] as number);
      }
      assert.deepEqual([...got.entries()].sort(), [...want.entries()].sort());
      assert.ok(want.size >= 20);
    } finally {
      for (const q of spark.streams.active) await q.stop().catch(() => undefined);
      await spark.stop();
    }
  });
});
