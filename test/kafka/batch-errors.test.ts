/** Bad Kafka reads and writes on the embedded engine: clear errors naming the option, column or topic. */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Session, F, AnalysisError, IllegalArgumentError } from "quarry";
import { kafkaBootstrap, uniqueTopic } from "./kafka-server.js";

describe("Kafka batch errors (DuckDB)", () => {
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
});
