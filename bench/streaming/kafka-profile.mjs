#!/usr/bin/env node
// Where the embedded engine's time goes on a Kafka topic (the throughput topic of kafka.mjs):
// the same records through successively longer pipelines, each timed on its own.
//   QUARRY_KAFKA_BOOTSTRAP=127.0.0.1:9092 node bench/streaming/kafka-profile.mjs <topic> [--produce N]
// --produce N first creates <topic> (4 partitions) with N events shaped as kafka.mjs produces them.
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { Session, F } = await import(path.join(root, "dist/index.js"));
const { KafkaReader } = await import(path.join(root, "dist/connectors/kafka/kafka-client.js"));
const { batchRanges } = await import(path.join(root, "dist/connectors/kafka/kafka-batch.js"));
const { parseSourceOptions } = await import(path.join(root, "dist/connectors/kafka/kafka-options.js"));
const servers = process.env.QUARRY_KAFKA_BOOTSTRAP ?? "127.0.0.1:9092";
const topic = process.argv[2];
const produce = process.argv.indexOf("--produce");
if (produce > 0) {
  const { createTopic, produceEvents } = await import("./kafka-events.mjs");
  await createTopic(servers, topic);
  await produceEvents(servers, topic, Number(process.argv[produce + 1]));
}
const time = async (label, f) => { const t0 = performance.now(); const r = await f(); console.log(`| ${label} | ${((performance.now() - t0) / 1000).toFixed(2)} | ${r} |`); };

console.log("| step (1M-event topic, batch read) | s | rows |\n| --- | ---: | ---: |");
const o = parseSourceOptions({ "kafka.bootstrap.servers": servers, subscribe: topic }, false);
const reader = new KafkaReader(o.bootstrapServers, null);
await time("Kafka fetch + record decode only (records dropped)", async () => { let c = 0; await reader.fetchRanges(await batchRanges(reader, o), o, (_, cols) => { c += cols.length; }); return c; });
await reader.close();
const spark = await Session.builder().appName("kafka-profile").master("local[2]").getOrCreate();
const src = () => spark.read.format("kafka").option("kafka.bootstrap.servers", servers).option("subscribe", topic).load();
await time("+ append into DuckDB, count(*)", async () => (await src().agg(F.count("*").alias("n")).collect())[0].n);
const parsed = () => src().select(F.from_json(F.col("value").cast("string"), "user STRING, amount DOUBLE, ts TIMESTAMP").alias("e")).select("e.*");
await time("+ from_json, sum(amount)", async () => (await parsed().agg(F.count("*").alias("n"), F.sum("amount").alias("s")).collect())[0].n);
await time("+ 1-minute window sums per user, count", async () => (await parsed().groupBy(F.window("ts", "1 minute"), "user").agg(F.sum("amount").alias("t")).agg(F.count("*").alias("n")).collect())[0].n);
await spark.stop();
