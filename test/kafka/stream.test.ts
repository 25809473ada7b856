/**
 * The Kafka streaming source and exactly-once sink, called directly as the streaming engine will
 * call them (src/streaming/contracts.ts), against the real broker. Expected offsets and rows are
 * worked out by hand from the messages each test produces.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { Admin, Producer, stringSerializers } from "@platformatic/kafka";
import { Session, DataFrame, F } from "quarry";
import { createKafkaSource, createKafkaSink, sinkTransactionalId } from "#kafka";
import { createTopic, kafkaBootstrap, uniqueTopic, eventually } from "./kafka-server.js";
import { SPARK_SKIP, sparkRemote } from "../backends/spark-connect/spark-server.js";

type Spark = Awaited<ReturnType<ReturnType<typeof Session.builder>["getOrCreate"]>>;

async function produce(servers: string, topic: string, messages: { partition: number; value: string }[]): Promise<void> {
  const p = new Producer({ clientId: "quarry-test", bootstrapBrokers: [servers], idempotent: true, serializers: stringSerializers });
  try { await p.send({ messages: messages.map((m) => ({ topic, ...m })) }); } finally { await p.close(); }
}

async function groupOffsets(servers: string, group: string): Promise<Record<string, number>> {
  const admin = new Admin({ clientId: "quarry-test", bootstrapBrokers: [servers] });
  try {
    const [g] = await admin.listConsumerGroupOffsets({ groups: [group] });
    const out: Record<string, number> = {};
    for (const t of g?.topics ?? []) for (const p of t.partitions) out[`${t.name}/${p.partitionIndex}`] = Number(p.committedOffset);
    return out;
  } finally { await admin.close(); }
}

describe("Kafka streaming source and sink", () => {
  let spark: Spark;
  let servers: string;
  const dirs: string[] = [];
  before(async () => {
    servers = await kafkaBootstrap();
    spark = await Session.builder().appName("kafka-stream").create();
  });
  after(async () => {
    await spark.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const context = (queryId: string, queryName: string | null = null) => {
    const sourceDir = fs.mkdtempSync(path.join(os.tmpdir(), "quarry-kafka-src-"));
    dirs.push(sourceDir);
    return { session: spark, queryId, runId: randomUUID(), queryName, sourceDir };
  };
  // The engine wraps a batch plan the same way: an ordinary DataFrame over it.
  const values = async (plan: unknown) =>
    (await new DataFrame(spark, plan as ConstructorParameters<typeof DataFrame>[1]).orderBy("partition", "offset").select("partition", F.col("value").cast("string").alias("v")).collect())
      .map((r) => `${r["partition"]}:${r["v"]}`);

  it("offsets: initial, maxOffsetsPerTrigger split by backlog, null when caught up; batches replay; commit to the query's group; lag metrics; new partitions start at earliest", async () => {
    const topic = uniqueTopic("stream-src");
    await createTopic(servers, topic, 2);
    await produce(servers, topic, [
      ...["a", "b", "c", "d", "e", "f"].map((v) => ({ partition: 0, value: v })),
      ...["x", "y"].map((v) => ({ partition: 1, value: v })),
    ]);
    const queryId = randomUUID();
    const src = await createKafkaSource(context(queryId, null), { "kafka.bootstrap.servers": servers, subscribe: topic, startingOffsets: "earliest", maxOffsetsPerTrigger: "4" });
    try {
      assert.equal(src.description, `KafkaV2[Subscribe[${topic}]]`);
      assert.deepEqual(src.schema.fields.map((f) => f.name), ["key", "value", "topic", "partition", "offset", "timestamp", "timestampType"]);
      const start = await src.initialOffset();
      assert.deepEqual(start, { [topic]: { 0: 0, 1: 0 } });
      // Backlog 6 + 2 = 8 > 4: partition 0 gets floor(4 * 6/8) = 3, partition 1 floor(4 * 2/8) = 1.
      const end1 = await src.latestOffset(start, { trigger: "default" });
      assert.deepEqual(end1, { [topic]: { 0: 3, 1: 1 } });
      const batch1 = await src.getBatch(start, end1!);
      assert.deepEqual(await values(batch1), ["0:a", "0:b", "0:c", "1:x"]);
      assert.deepEqual(await values(await src.getBatch(start, end1!)), ["0:a", "0:b", "0:c", "1:x"], "the same offsets give the same rows");
      assert.deepEqual(await src.metrics(end1), { avgOffsetsBehindLatest: "2", maxOffsetsBehindLatest: "3", minOffsetsBehindLatest: "1" });
      // Backlog 3 + 1 = 4 fits the budget: up to the latest offsets.
      const end2 = await src.latestOffset(end1!, { trigger: "default" });
      assert.deepEqual(end2, { [topic]: { 0: 6, 1: 2 } });
      assert.deepEqual(await values(await src.getBatch(end1!, end2!)), ["0:d", "0:e", "0:f", "1:y"]);
      assert.equal(await src.latestOffset(end2!, { trigger: "default" }), null);
      await src.commit(end2!);
      await eventually(() => groupOffsets(servers, `quarry-${queryId}`), { [`${topic}/0`]: 6, [`${topic}/1`]: 2 }, "the group's committed offsets");
      // A third partition appears: it is read from its earliest offset.
      const admin = new Admin({ clientId: "quarry-test", bootstrapBrokers: [servers] });
      try { await admin.createPartitions({ topics: [{ name: topic, count: 3 }] }); } finally { await admin.close(); }
      await produce(servers, topic, [{ partition: 2, value: "n" }]);
      const end3 = await src.latestOffset(end2!, { trigger: "default" });
      assert.deepEqual(end3, { [topic]: { 0: 6, 1: 2, 2: 1 } });
      assert.deepEqual(await values(await src.getBatch(end2!, end3!)), ["2:n"]);
    } finally {
      await src.stop();
    }
  });

  it("a batch plan runs on the Spark backend too (Spark's Kafka connector reads the same range)", { skip: SPARK_SKIP }, async () => {
    const topic = uniqueTopic("stream-spark");
    await createTopic(servers, topic, 2);
    await produce(servers, topic, [{ partition: 0, value: "a" }, { partition: 0, value: "b" }, { partition: 1, value: "x" }, { partition: 0, value: "c" }]);
    const src = await createKafkaSource(context(randomUUID()), { "kafka.bootstrap.servers": servers, subscribe: topic, startingOffsets: '{"' + topic + '":{"0":1}}' });
    const remote = await Session.builder().appName("kafka-stream-spark").remote(await sparkRemote()).create();
    try {
      const start = await src.initialOffset();
      assert.deepEqual(start, { [topic]: { 0: 1, 1: 0 } });
      const end = await src.latestOffset(start, { trigger: "default" });
      const plan = (await src.getBatch(start, end!)) as ConstructorParameters<typeof DataFrame>[1];
      const onSpark = (await new DataFrame(remote, plan).orderBy("partition", "offset").select("partition", F.col("value").cast("string").alias("v")).collect()).map((r) => `${r["partition"]}:${r["v"]}`);
      assert.deepEqual(onSpark, ["0:b", "0:c", "1:x"]);
      assert.deepEqual(await values(plan), onSpark);
    } finally {
      await remote.stop();
      await src.stop();
    }
  });

  it("availableNow fixes the end at the first call; startingOffsets latest skips what is there", async () => {
    const topic = uniqueTopic("stream-now");
    await createTopic(servers, topic, 1);
    await produce(servers, topic, [{ partition: 0, value: "old" }]);
    const name = uniqueTopic("named");
    const src = await createKafkaSource(context(randomUUID(), name), { "kafka.bootstrap.servers": servers, subscribe: topic });
    try {
      const start = await src.initialOffset();
      assert.deepEqual(start, { [topic]: { 0: 1 } });
      await produce(servers, topic, [{ partition: 0, value: "n1" }]);
      const end = await src.latestOffset(start, { trigger: "availableNow" });
      assert.deepEqual(end, { [topic]: { 0: 2 } });
      await produce(servers, topic, [{ partition: 0, value: "n2" }]);
      assert.equal(await src.latestOffset(end, { trigger: "availableNow" }), null, "messages after the availableNow end wait for another run");
      assert.deepEqual(await values(await src.getBatch(start, end!)), ["0:n1"]);
      await src.commit(end!);
      await eventually(() => groupOffsets(servers, `quarry-${name}`), { [`${topic}/0`]: 2 }, "the group's committed offsets");
    } finally {
      await src.stop();
    }
  });

  it("failOnDataLoss: a deleted partition range fails with a clear error, or is skipped", async () => {
    const topic = uniqueTopic("stream-loss");
    await createTopic(servers, topic, 1);
    await produce(servers, topic, ["p", "q", "r"].map((v) => ({ partition: 0, value: v })));
    const admin = new Admin({ clientId: "quarry-test", bootstrapBrokers: [servers] });
    try { await admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 2n }] }] }); } finally { await admin.close(); }
    for (const failOnDataLoss of ["true", "false"]) {
      const src = await createKafkaSource(context(randomUUID()), { "kafka.bootstrap.servers": servers, subscribe: topic, failOnDataLoss });
      try {
        const plan = await src.getBatch({ [topic]: { 0: 0 } }, { [topic]: { 0: 3 } });
        if (failOnDataLoss === "true") {
          await assert.rejects(values(plan), (e: Error) => /offsets 0\.\.1 of .* are no longer available/.test(e.message) && /failOnDataLoss/.test(e.message));
        } else {
          assert.deepEqual(await values(plan), ["0:r"]);
        }
      } finally { await src.stop(); }
    }
  });

  it("subscribePattern picks up a new matching topic from its earliest offset; a deleted topic fails with failOnDataLoss, or is dropped", async () => {
    const prefix = uniqueTopic("pat");
    const t1 = `${prefix}-a`;
    const t2 = `${prefix}-b`;
    await createTopic(servers, t1, 1);
    await produce(servers, t1, [{ partition: 0, value: "a1" }]);
    const opts = { "kafka.bootstrap.servers": servers, subscribePattern: `${prefix.replace(/[-]/g, "\\-")}-.*`, startingOffsets: "earliest" };
    const strict = await createKafkaSource(context(randomUUID()), opts);
    const lenient = await createKafkaSource(context(randomUUID()), { ...opts, failOnDataLoss: "false" });
    try {
      const start = await strict.initialOffset();
      assert.deepEqual(start, { [t1]: { 0: 0 } });
      await createTopic(servers, t2, 1);
      await produce(servers, t2, [{ partition: 0, value: "b1" }, { partition: 0, value: "b2" }]);
      const end = await strict.latestOffset(start, { trigger: "default" });
      assert.deepEqual(end, { [t1]: { 0: 1 }, [t2]: { 0: 2 } });
      const rows = (await new DataFrame(spark, await strict.getBatch(start, end!) as ConstructorParameters<typeof DataFrame>[1])
        .orderBy("topic", "offset").select("topic", F.col("value").cast("string").alias("v")).collect()).map((r) => `${r["topic"] === t1 ? "t1" : "t2"}:${r["v"]}`);
      assert.deepEqual(rows, ["t1:a1", "t2:b1", "t2:b2"]);
      const admin = new Admin({ clientId: "quarry-test", bootstrapBrokers: [servers] });
      try { await admin.deleteTopics({ topics: [t1] }); } finally { await admin.close(); }
      let afterDelete: unknown = "not yet";
      for (let i = 0; i < 50 && afterDelete === "not yet"; i++) {
        // Topic deletion reaches the metadata a little later.
        try {
          const v = await lenient.latestOffset(end!, { trigger: "default" });
          if (v === null || !JSON.stringify(v).includes(t1)) afterDelete = v; else await new Promise((r) => setTimeout(r, 200));
        } catch (e) { afterDelete = e; }
      }
      assert.equal(afterDelete, null, "the lenient source drops the deleted topic: nothing new");
      await assert.rejects(strict.latestOffset(end!, { trigger: "default" }), (e: Error) => e.message.includes(`Kafka partition ${t1}-0 is gone`) && /failOnDataLoss/.test(e.message));
    } finally {
      await strict.stop();
      await lenient.stop();
    }
  });

  it("sink: one transaction per batch with the source offsets; a re-run batch is skipped; a crashed run's open transaction is fenced and never visible", async () => {
    const srcTopic = uniqueTopic("sink-src");
    const out = uniqueTopic("sink-out");
    await createTopic(servers, srcTopic, 1);
    await createTopic(servers, out, 1);
    const queryId = randomUUID();
    const ctx = (batchId: number, end: number) => ({
      batchId, queryId, queryName: null, outputMode: "append" as const,
      endOffsets: [{ [srcTopic]: { 0: end } }], sourceDescriptions: [`KafkaV2[Subscribe[${srcTopic}]]`],
    });
    const frame = (vs: string[]) => spark.createDataFrame(vs.map((v) => ({ value: v })), "value STRING");
    const committed = async () => (await spark.read.format("kafka").options({ "kafka.bootstrap.servers": servers, subscribe: out, "kafka.isolation.level": "read_committed" }).load()
      .orderBy("offset").select(F.col("value").cast("string").alias("v")).collect()).map((r) => r["v"]);

    const sink = await createKafkaSink(spark, { "kafka.bootstrap.servers": servers, topic: out });
    try {
      await sink.addBatch(frame(["a", "b"]), ctx(0, 5));
      await eventually(() => groupOffsets(servers, `quarry-${queryId}`), { [`${srcTopic}/0`]: 5 }, "the group's committed offsets");
      // Batch 0 again (crash after the Kafka commit, before the engine's commit log): skipped.
      await sink.addBatch(frame(["a", "b"]), ctx(0, 5));
      await sink.addBatch(frame(["c"]), ctx(1, 7));
      await eventually(committed, ["a", "b", "c"], "the committed rows");
      await eventually(() => groupOffsets(servers, `quarry-${queryId}`), { [`${srcTopic}/0`]: 7 }, "the group's committed offsets");
    } finally { await sink.stop(); }

    // A run that crashed mid-batch: its transaction holds rows but was never committed.
    const zombie = new Producer({ clientId: "quarry-test", bootstrapBrokers: [servers], idempotent: true, transactionalId: sinkTransactionalId(queryId), producerId: -1n, producerEpoch: -1, serializers: stringSerializers });
    const tx = await zombie.beginTransaction();
    await tx.send({ messages: [{ topic: out, value: "zombie" }] });
    // The restarted query re-runs batch 2 with a new sink: its producer fences the zombie.
    const restarted = await createKafkaSink(spark, { "kafka.bootstrap.servers": servers, topic: out });
    try {
      await restarted.addBatch(frame(["d", "e"]), ctx(2, 9));
      await assert.rejects(tx.commit(), "the fenced zombie cannot commit");
      await restarted.addBatch(frame(["d", "e"]), ctx(2, 9));
    } finally {
      await restarted.stop();
      await zombie.close(true);
    }
    await eventually(committed, ["a", "b", "c", "d", "e"], "the committed rows");
    await eventually(() => groupOffsets(servers, `quarry-${queryId}`), { [`${srcTopic}/0`]: 9 }, "the group's committed offsets");
  });

  it("sink: rows route by a topic column; a frame without value is refused before anything is written", async () => {
    const t1 = uniqueTopic("sink-route-a");
    const t2 = uniqueTopic("sink-route-b");
    await createTopic(servers, t1, 1);
    await createTopic(servers, t2, 1);
    const sink = await createKafkaSink(spark, { "kafka.bootstrap.servers": servers });
    const queryId = randomUUID();
    const ctx = { batchId: 0, queryId, queryName: null, outputMode: "update" as const, endOffsets: [], sourceDescriptions: [] };
    try {
      await assert.rejects(sink.addBatch(spark.createDataFrame([{ topic: t1, body: "x" }], "topic STRING, body STRING"), ctx), /needs a `value` column/);
      await sink.addBatch(spark.createDataFrame([{ topic: t1, value: "1" }, { topic: t2, value: "2" }, { topic: t1, value: "3" }], "topic STRING, value STRING"), ctx);
    } finally { await sink.stop(); }
    const read = async (t: string) => (await spark.read.format("kafka").options({ "kafka.bootstrap.servers": servers, subscribe: t, "kafka.isolation.level": "read_committed" }).load()
      .orderBy("offset").select(F.col("value").cast("string").alias("v")).collect()).map((r) => r["v"]);
    assert.deepEqual(await read(t1), ["1", "3"]);
    assert.deepEqual(await read(t2), ["2"]);
  });
});
