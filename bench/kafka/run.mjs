#!/usr/bin/env node
// Kafka throughput of the embedded engine against the local broker (scripts/kafka/server.mjs):
//   produce: 1M small JSON messages into a 4-partition topic through df.write.format("kafka"),
//            beside the raw client (@platformatic/kafka, pre-built buffers, same chunking) as anchor;
//   read:    spark.read.format("kafka") of the topic, fetched and loaded into DuckDB and aggregated
//            over value.cast("string"), beside a fetch-only pass (the same client fetch, records
//            dropped) as anchor; with --spark also the same read on the Spark Connect backend.
//
//   npm run build && npm run kafka:start
//   node bench/kafka/run.mjs [--rows 1000000] [--rounds 3] [--spark]
import path from "node:path";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Admin, Producer } from "@platformatic/kafka";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const { Session, F } = await import(path.join(root, "dist/index.js"));
const { KafkaReader } = await import(path.join(root, "dist/connectors/kafka/kafka-client.js"));
const { batchRanges } = await import(path.join(root, "dist/connectors/kafka/kafka-batch.js"));
const { parseSourceOptions } = await import(path.join(root, "dist/connectors/kafka/kafka-options.js"));

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : def; };
const N = Number(arg("rows", 1_000_000));
const rounds = Number(arg("rounds", 3));
const withSpark = process.argv.includes("--spark");
const servers = process.env.QUARRY_KAFKA_BOOTSTRAP ?? "127.0.0.1:9092";
const stamp = Date.now().toString(36);

async function createTopic(topic) {
  const admin = new Admin({ clientId: "bench", bootstrapBrokers: [servers] });
  try { await admin.createTopics({ topics: [topic], partitions: 4, replicas: 1 }); } finally { await admin.close(); }
}
const time = async (f) => { const t0 = process.hrtime.bigint(); const r = await f(); return { s: Number(process.hrtime.bigint() - t0) / 1e9, r }; };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The messages: {"user":"u<id % 1000>","amount":<id % 100 / 4>,"seq":<id>}, keyed by user.
const message = (i) => `{"user":"u${i % 1000}","amount":${(i % 100) / 4},"seq":${i}}`;

const spark = await Session.builder().appName("kafka-bench").getOrCreate();
const frame = spark.range(N).select(
  F.concat(F.lit("u"), F.col("id").mod(1000).cast("string")).alias("key"),
  F.concat(F.lit('{"user":"u'), F.col("id").mod(1000).cast("string"), F.lit('","amount":'), F.col("id").mod(100).divide(4).cast("string"), F.lit(',"seq":'), F.col("id").cast("string"), F.lit("}")).alias("value"));
const prebuilt = Array.from({ length: N }, (_, i) => ({ key: Buffer.from(`u${i % 1000}`), value: Buffer.from(message(i)) }));

const results = { quarryProduce: [], rawProduce: [], quarryRead: [], fetchOnly: [], sparkRead: [] };
let checksum = null;
for (let round = 0; round < rounds; round++) {
  const qTopic = `bench-q-${stamp}-${round}`;
  const rTopic = `bench-r-${stamp}-${round}`;
  await createTopic(qTopic);
  await createTopic(rTopic);
  results.quarryProduce.push((await time(() => frame.write.format("kafka").option("kafka.bootstrap.servers", servers).option("topic", qTopic).save())).s);
  const producer = new Producer({ clientId: "bench", bootstrapBrokers: [servers], idempotent: true });
  results.rawProduce.push((await time(async () => {
    for (let i = 0; i < N; i += 10_000) await producer.send({ messages: prebuilt.slice(i, i + 10_000).map((m) => ({ topic: rTopic, ...m })), acks: -1 });
  })).s);
  await producer.close();

  const read = (s) => s.read.format("kafka").option("kafka.bootstrap.servers", servers).option("subscribe", qTopic).load()
    .select(F.col("partition"), F.col("value").cast("string").alias("v"))
    .groupBy("partition").agg(F.count("*").alias("n"), F.sum(F.length(F.col("v"))).alias("bytes")).orderBy("partition");
  const q = await time(() => read(spark).collect());
  results.quarryRead.push(q.s);
  const n = q.r.reduce((a, r) => a + r.n, 0);
  const bytes = q.r.reduce((a, r) => a + r.bytes, 0);
  if (n !== N) throw new Error(`read ${n} rows, produced ${N}`);
  checksum = { rows: n, bytes };

  const o = parseSourceOptions({ "kafka.bootstrap.servers": servers, subscribe: qTopic }, false);
  const reader = new KafkaReader(o.bootstrapServers, null);
  results.fetchOnly.push((await time(async () => {
    let c = 0;
    await reader.fetchRanges(await batchRanges(reader, o), o, (_, cols) => { c += cols.length; });
    if (c !== N) throw new Error(`fetched ${c}`);
  })).s);
  await reader.close();

  if (withSpark) {
    const remote = await Session.builder().appName("kafka-bench").remote(process.env.QUARRY_SPARK_REMOTE ?? "sc://127.0.0.1:15002").create();
    const sres = await time(() => read(remote).collect());
    results.sparkRead.push(sres.s);
    const sn = sres.r.reduce((a, r) => a + r.n, 0);
    if (sn !== N) throw new Error(`Spark read ${sn} rows`);
    await remote.stop();
  }
  console.error(`round ${round + 1}/${rounds}: ${Object.entries(results).filter(([, v]) => v.length).map(([k, v]) => `${k} ${v.at(-1).toFixed(2)} s`).join(", ")}`);
}
await spark.stop();

const rate = (s) => Math.round(N / s).toLocaleString("en-US");
const rows = [
  ["produce", "Quarry df.write.format(\"kafka\")", median(results.quarryProduce), median(results.quarryProduce) / median(results.rawProduce)],
  ["produce", "raw @platformatic/kafka producer (anchor)", median(results.rawProduce), 1],
  ["read", "Quarry spark.read.format(\"kafka\") + aggregate (DuckDB)", median(results.quarryRead), median(results.quarryRead) / median(results.fetchOnly)],
  ["read", "fetch only, records dropped (anchor)", median(results.fetchOnly), 1],
  ...(withSpark ? [["read", "same read on Spark Connect (local[2], spark-sql-kafka)", median(results.sparkRead), median(results.sparkRead) / median(results.fetchOnly)]] : []),
];
console.log(`Kafka: ${N.toLocaleString("en-US")} JSON messages (~${Math.round(checksum.bytes / N)} B values), 4 partitions, ${rounds} round(s), median; ${os.availableParallelism()} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
console.log("| phase | engine | s (median) | messages/s | time ÷ anchor |\n| --- | --- | ---: | ---: | ---: |");
for (const [phase, engine, s, ratio] of rows) console.log(`| ${phase} | ${engine} | ${s.toFixed(2)} | ${rate(s)} | ${ratio.toFixed(2)}x |`);
