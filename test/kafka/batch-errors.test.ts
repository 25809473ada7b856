/** Bad Kafka reads and writes on the embedded engine: clear errors naming the option, column or topic. */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Session, F, AnalysisError, IllegalArgumentError } from "quarry";
import { Producer, stringSerializers } from "@platformatic/kafka";
import { createTopic, kafkaBootstrap, uniqueTopic } from "./kafka-server.js";

describe("Kafka batch reads and writes on the embedded engine", () => {
  let spark: Awaited<ReturnType<ReturnType<typeof Session.builder>["getOrCreate"]>>;
  let servers: string;
  before(async () => {
    servers = await kafkaBootstrap();
    spark = await Session.builder().appName("kafka-errors").create();
  });
  after(async () => { await spark.stop(); });

  it("a write without a value column names the column and what the frame has", async () => {
    const df = spark.createDataFrame([{ body: "x" }], "body STRING");
    await assert.rejects(df.write.format("kafka").option("kafka.bootstrap.servers", servers).option("topic", uniqueTopic("err")).save(),
      (e: Error) => e instanceof AnalysisError && /needs a `value` column/.test(e.message) && /`body`/.test(e.message));
  });

  it("a value column of the wrong type, and rows without a topic", async () => {
    const df = spark.createDataFrame([{ value: 1 }], "value INT");
    await assert.rejects(df.write.format("kafka").option("kafka.bootstrap.servers", servers).option("topic", "t").save(),
      (e: Error) => e instanceof AnalysisError && /`value` column must be string or binary, but it is int/.test(e.message));
    const noTopic = spark.createDataFrame([{ value: "v" }], "value STRING");
    await assert.rejects(noTopic.write.format("kafka").option("kafka.bootstrap.servers", servers).save(),
      (e: Error) => e instanceof AnalysisError && /needs a `topic` column/.test(e.message));
    await assert.rejects(noTopic.write.format("kafka").mode("overwrite").option("kafka.bootstrap.servers", servers).option("topic", "t").save(),
      (e: Error) => e instanceof AnalysisError && /Save mode overwrite is not allowed for Kafka/.test(e.message));
  });

  it("reads: a missing topic, a refused option, two subscriptions", async () => {
    const missing = uniqueTopic("missing");
    await assert.rejects(spark.read.format("kafka").option("kafka.bootstrap.servers", servers).option("subscribe", missing).load().collect(),
      (e: Error) => e instanceof AnalysisError && e.message.includes(`Kafka topic "${missing}" does not exist`));
    await assert.rejects(spark.read.format("kafka").options({ "kafka.bootstrap.servers": servers, subscribe: "a", "kafka.group.id": "g" }).load().collect(),
      (e: Error) => e instanceof IllegalArgumentError && /'kafka.group.id' is not supported/.test(e.message));
    await assert.rejects(spark.read.format("kafka").options({ "kafka.bootstrap.servers": servers, subscribe: "a", assign: '{"a":[0]}' }).load().count(),
      (e: Error) => e instanceof IllegalArgumentError && /Only one of/.test(e.message));
  });

  it("binary values round-trip byte for byte; string casts decode UTF-8", async () => {
    const topic = uniqueTopic("bytes");
    await spark.createDataFrame([{ s: "héllo \"q\" \\x" }], "s STRING").select(F.col("s").cast("binary").alias("value"))
      .write.format("kafka").option("kafka.bootstrap.servers", servers).option("topic", topic).save();
    const [row] = await spark.read.format("kafka").option("kafka.bootstrap.servers", servers).option("subscribe", topic).load()
      .select("value", F.col("value").cast("string").alias("s")).collect();
    assert.deepEqual(Buffer.from(row["value"] as Uint8Array), Buffer.from("héllo \"q\" \\x", "utf8"));
    assert.equal(row["s"], "héllo \"q\" \\x");
  });

  it("includeHeaders adds the headers column (key string, value binary); timestamps in the session time zone stay instants", async () => {
    const topic = uniqueTopic("headers");
    await createTopic(servers, topic, 1);
    const p = new Producer({ clientId: "quarry-test", bootstrapBrokers: [servers], idempotent: true, serializers: stringSerializers });
    try {
      await p.send({ messages: [{ topic, value: "v1", headers: { trace: "t-1", lang: "fr" }, timestamp: 1_700_000_000_123n }, { topic, value: "v2" }] });
    } finally { await p.close(); }
    const df = spark.read.format("kafka").options({ "kafka.bootstrap.servers": servers, subscribe: topic, includeHeaders: "true" }).load();
    const fields = (await df.schema()).fields;
    assert.deepEqual(fields.map((f) => f.name), ["key", "value", "topic", "partition", "offset", "timestamp", "timestampType", "headers"]);
    const rows = await df.orderBy("offset").select("headers", "timestamp").collect();
    const h = (rows[0]["headers"] as { key: string; value: Uint8Array }[]).map((x) => [x.key, Buffer.from(x.value).toString()]);
    assert.deepEqual(h, [["trace", "t-1"], ["lang", "fr"]]);
    assert.deepEqual(rows[1]["headers"], []);
    assert.equal((rows[0]["timestamp"] as Date).toISOString(), "2023-11-14T22:13:20.123Z");
    await spark.conf.set("spark.sql.session.timeZone", "America/New_York");
    try {
      const [r] = await df.filter(F.col("offset").eq(0)).select("timestamp").collect();
      assert.equal((r["timestamp"] as Date).toISOString(), "2023-11-14T22:13:20.123Z");
    } finally { await spark.conf.set("spark.sql.session.timeZone", "UTC"); }
  });
});
