/**
 * Kafka batch reads and writes from the public API, on every backend against the same broker
 * (DuckDB fetches into the engine; Spark uses its own Kafka connector). Expected rows are the
 * hand-written messages each test writes.
 */
import assert from "node:assert/strict";
import { Producer, stringSerializers } from "@platformatic/kafka";
import { F } from "quarry";
import { conformance, type Spark } from "./harness.js";
import { createTopic, eventually, kafkaBootstrap, uniqueTopic } from "../kafka/kafka-server.js";

const EVENTS = [
  { key: "u1", value: '{"user":"ann","amount":1.5}', part: 0 },
  { key: "u2", value: '{"user":"bob","amount":2}', part: 1 },
  { key: null, value: '{"user":"ann","amount":4}', part: 0 },
  { key: "u3", value: "Zoë 日本 😀", part: 1 },
];

/** A two-partition topic holding EVENTS, written through the public API. */
async function eventsTopic(spark: Spark, backend: string): Promise<{ servers: string; topic: string }> {
  const servers = await kafkaBootstrap();
  const topic = uniqueTopic(`conf-${backend}`);
  await createTopic(servers, topic, 2);
  // One write per row: the order of rows within one write is the engine's (Spark's tasks run in
  // parallel), and the offsets below depend on it.
  for (const e of EVENTS) {
    await spark.createDataFrame([e], "key STRING, value STRING, part INT")
      .select("key", "value", F.col("part").alias("partition"))
      .write.format("kafka").option("kafka.bootstrap.servers", servers).option("topic", topic).save();
  }
  return { servers, topic };
}

const strings = (df: ReturnType<Spark["table"]>) =>
  df.select(F.col("key").cast("string").alias("k"), F.col("value").cast("string").alias("v"), "partition", "offset").orderBy("partition", "offset");

conformance("kafka batch", (ctx) => {
  ctx.it("writes rows (value, key, partition) and reads them back with the Kafka row schema", async () => {
    const { servers, topic } = await eventsTopic(ctx.spark, ctx.backend.name);
    const df = ctx.spark.read.format("kafka").option("kafka.bootstrap.servers", servers).option("subscribe", topic).load();
    assert.deepEqual((await df.schema()).fields.map((f) => [f.name, f.type]), [
      ["key", "binary"], ["value", "binary"], ["topic", "string"], ["partition", "int"], ["offset", "bigint"], ["timestamp", "timestamp"], ["timestampType", "int"],
    ]);
    const rows = await df.select(F.col("key").cast("string").alias("k"), F.col("value").cast("string").alias("v"), "topic", "partition", "offset", "timestampType")
      .orderBy("partition", "offset").collect();
    assert.deepEqual(rows, [
      { k: "u1", v: '{"user":"ann","amount":1.5}', topic, partition: 0, offset: 0, timestampType: 0 },
      { k: null, v: '{"user":"ann","amount":4}', topic, partition: 0, offset: 1, timestampType: 0 },
      { k: "u2", v: '{"user":"bob","amount":2}', topic, partition: 1, offset: 0, timestampType: 0 },
      { k: "u3", v: "Zoë 日本 😀", topic, partition: 1, offset: 1, timestampType: 0 },
    ]);
    const ts = (await df.select("timestamp").collect()).map((r) => r["timestamp"]);
    assert.ok(ts.every((t) => t instanceof Date && Math.abs(t.getTime() - Date.now()) < 10 * 60_000), `timestamps are recent instants: ${ts.join(", ")}`);
    assert.equal(await df.count(), 4);
  });

  ctx.it("startingOffsets / endingOffsets as JSON (-2 = earliest) read exactly that range; assign and subscribePattern", async () => {
    const { servers, topic } = await eventsTopic(ctx.spark, ctx.backend.name);
    const base = { "kafka.bootstrap.servers": servers };
    const ranged = ctx.spark.read.format("kafka").options({ ...base, subscribe: topic,
      startingOffsets: JSON.stringify({ [topic]: { 0: 1, 1: -2 } }), endingOffsets: JSON.stringify({ [topic]: { 0: 2, 1: 1 } }) }).load();
    assert.deepEqual(await strings(ranged).collect(), [
      { k: null, v: '{"user":"ann","amount":4}', partition: 0, offset: 1 },
      { k: "u2", v: '{"user":"bob","amount":2}', partition: 1, offset: 0 },
    ]);
    const assigned = ctx.spark.read.format("kafka").options({ ...base, assign: JSON.stringify({ [topic]: [1] }) }).load();
    assert.deepEqual((await strings(assigned).collect()).map((r) => r["k"]), ["u2", "u3"]);
    const pattern = ctx.spark.read.format("kafka").options({ ...base, subscribePattern: `${topic.replace(/[-]/g, "\\-")}|no-such-topic-.*` }).load();
    assert.equal(await pattern.count(), 4);
  });

  ctx.it("the value cast to string parses and aggregates; a topic column routes rows", async () => {
    const { servers, topic } = await eventsTopic(ctx.spark, ctx.backend.name);
    const other = uniqueTopic(`conf-${ctx.backend.name}-routed`);
    await ctx.spark.createDataFrame([{ t: topic, v: "r1" }, { t: other, v: "r2" }], "t STRING, v STRING")
      .select(F.col("t").alias("topic"), F.col("v").alias("value"))
      .write.format("kafka").option("kafka.bootstrap.servers", servers).save();
    const df = ctx.spark.read.format("kafka").option("kafka.bootstrap.servers", servers).option("subscribe", `${topic},${other}`).load();
    const byTopic = await df.groupBy("topic").agg(F.count("*").alias("n")).orderBy("n").collect();
    assert.deepEqual(byTopic, [{ topic: other, n: 1 }, { topic, n: 5 }]);
    const amounts = await df.filter(F.col("topic").eq(topic))
      .select(F.col("value").cast("string").alias("v"))
      .filter(F.col("v").like('{"user"%'))
      .select(F.substring(F.col("v"), 10, 3).alias("user"))
      .groupBy("user").agg(F.count("*").alias("n")).orderBy("user").collect();
    assert.deepEqual(amounts, [{ user: "ann", n: 2 }, { user: "bob", n: 1 }]);
  });

  ctx.it("SQL text casts: selectExpr CAST(value AS STRING) and spark.sql over a view decode UTF-8", async () => {
    const { servers, topic } = await eventsTopic(ctx.spark, ctx.backend.name);
    const df = ctx.spark.read.format("kafka").option("kafka.bootstrap.servers", servers).option("subscribe", topic).load();
    const viaExpr = await df.orderBy("partition", "offset").selectExpr("CAST(key AS STRING) AS k", "CAST(value AS STRING) AS v").collect();
    assert.deepEqual(viaExpr.map((r) => r["v"]), ['{"user":"ann","amount":1.5}', '{"user":"ann","amount":4}', '{"user":"bob","amount":2}', "Zoë 日本 😀"]);
    assert.deepEqual(viaExpr.map((r) => r["k"]), ["u1", null, "u2", "u3"]);
    const view = `kafka_${ctx.backend.name}_${topic.replace(/[^a-z0-9]/gi, "_")}`;
    df.createOrReplaceTempView(view);
    const rows = await ctx.spark.sql(`SELECT CAST(value AS STRING) AS v, CAST(\`partition\` AS STRING) AS p FROM ${view} WHERE CAST(key AS STRING) = 'u3'`).collect();
    assert.deepEqual(rows, [{ v: "Zoë 日本 😀", p: "1" }]);
  });

  ctx.it("read_committed skips every aborted transaction, also several of one transactional id across producer restarts (read_uncommitted sees them)", async () => {
    const servers = await kafkaBootstrap();
    const topic = uniqueTopic(`conf-${ctx.backend.name}-tx`);
    await createTopic(servers, topic, 1);
    const txId = uniqueTopic("conf-tx");
    // A streaming sink's pattern: one transactional id, a new producer after each crash (it
    // fences the old epoch), transactions committed and aborted in turn.
    const plan: [string[], "commit" | "abort"][][] = [
      [[["c1", "c2"], "commit"], [["a1", "a2"], "abort"], [["c3"], "commit"], [["a3"], "abort"]],
      [[["a4", "a5"], "abort"], [["c4"], "commit"]],
      [[["a6"], "abort"], [["a7"], "abort"], [["c5", "c6"], "commit"]],
    ];
    for (const run of plan) {
      const p = new Producer({ clientId: "quarry-test", bootstrapBrokers: [servers], idempotent: true, transactionalId: txId, producerId: -1n, producerEpoch: -1, serializers: stringSerializers });
      try {
        for (const [values, end] of run) {
          const tx = await p.beginTransaction();
          await tx.send({ messages: values.map((value) => ({ topic, partition: 0, value })) });
          if (end === "commit") await tx.commit(); else await tx.abort();
        }
      } finally { await p.close(); }
    }
    const read = async (isolation: string) => (await ctx.spark.read.format("kafka")
      .options({ "kafka.bootstrap.servers": servers, subscribe: topic, "kafka.isolation.level": isolation }).load()
      .orderBy("offset").select(F.col("value").cast("string").alias("v")).collect()).map((r) => r["v"]);
    // The last commit's markers reach the partition a moment after commit() returns.
    await eventually(() => read("read_committed"), ["c1", "c2", "c3", "c4", "c5", "c6"], "read_committed");
    await eventually(() => read("read_uncommitted"), ["c1", "c2", "a1", "a2", "c3", "a3", "a4", "a5", "c4", "a6", "a7", "c5", "c6"], "read_uncommitted");
  });
});
