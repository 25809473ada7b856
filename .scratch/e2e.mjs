import { Session, F } from "../dist/index.js";
import fs from "node:fs";
const spark = await Session.builder().getOrCreate();
const topic = "e2e_events_" + Date.now();
// produce events through the batch kafka writer
const t0 = Date.parse("2024-01-01T00:00:00Z");
const rows = [];
for (let i = 0; i < 1000; i++) rows.push({ value: JSON.stringify({ user: "u" + (i % 3), amount: i, ts: new Date(t0 + i * 1000).toISOString() }) });
await spark.createDataFrame(rows, "value STRING").write.format("kafka").option("kafka.bootstrap.servers", "127.0.0.1:9092").option("topic", topic).save();
const events = spark.readStream.format("kafka").option("kafka.bootstrap.servers", "127.0.0.1:9092").option("subscribe", topic).option("startingOffsets", "earliest").load();
const parsed = events.select(F.from_json(F.col("value").cast("string"), "user STRING, amount DOUBLE, ts TIMESTAMP").alias("e")).select("e.*");
fs.rmSync("/tmp/e2e-out", { recursive: true, force: true }); fs.rmSync("/tmp/e2e-chk", { recursive: true, force: true });
const q = await parsed.withWatermark("ts", "10 seconds").groupBy(F.window("ts", "1 minute"), "user").agg(F.sum("amount").alias("total"))
  .writeStream.outputMode("append").format("parquet").option("checkpointLocation", "/tmp/e2e-chk").trigger({ availableNow: true }).start("/tmp/e2e-out");
console.log(q.id, q.runId);
await q.awaitTermination(60000);
console.log("progress", q.recentProgress.length, JSON.stringify(q.lastProgress).slice(0, 400));
const out = await spark.read.parquet("/tmp/e2e-out").orderBy("window", "user").collect();
console.log(out.length, out.slice(0, 4));
await spark.stop();
