/**
 * The Kafka client (@platformatic/kafka 1.35.0) against the real broker: what the connector relies
 * on. Expected values are the hand-written messages each test produces.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Admin, Consumer, Producer, stringSerializers } from "@platformatic/kafka";
import { eventually, kafkaBootstrap, uniqueTopic } from "./kafka-server.js";

type Fetched = { partition: number; offset: number; key: string | null; value: string | null; headers: Record<string, string> };

/** Every record of a topic's partitions from offset 0, read with the given isolation level. */
async function readAll(c: Consumer, topic: string, partitions: number, isolationLevel: 0 | 1): Promise<Fetched[]> {
  const md = await c.metadata({ topics: [topic], forceUpdate: true });
  const t = md.topics.get(topic)!;
  const latest = await c.listOffsets({ topics: [topic], timestamp: -1n, isolationLevel });
  const out: Fetched[] = [];
  for (let p = 0; p < partitions; p++) {
    let next = 0n;
    const end = latest.get(topic)![p];
    while (next < end) {
      const r = await c.fetch({ node: t.partitions[p].leader, maxWaitTime: 100, isolationLevel, topics: [{ topicId: t.id, partitions: [{ partition: p, fetchOffset: next, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }] });
      for (const batch of r.responses[0].partitions[0].records ?? []) {
        next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
        if (batch.attributes & 0x20) continue;
        for (const rec of batch.records) {
          out.push({
            partition: p, offset: Number(batch.firstOffset) + rec.offsetDelta, key: rec.key?.toString() ?? null, value: rec.value?.toString() ?? null,
            headers: Object.fromEntries(rec.headers.map(([k, v]: [Buffer | null, Buffer | null]) => [k?.toString() ?? "", v?.toString() ?? ""])),
          });
        }
      }
    }
  }
  return out;
}

describe("Kafka client against a real broker", () => {
  let servers: string[];
  let admin: Admin;
  let reader: Consumer;
  before(async () => {
    servers = [await kafkaBootstrap()];
    admin = new Admin({ clientId: "quarry-test", bootstrapBrokers: servers });
    reader = new Consumer({ clientId: "quarry-test", groupId: uniqueTopic("reader"), bootstrapBrokers: servers });
  });
  after(async () => {
    await admin.close();
    await reader.close(true);
  });

  it("creates a topic with partitions (admin) and lists it", async () => {
    const topic = uniqueTopic("client-admin");
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    const md = await admin.metadata({ topics: [topic] });
    assert.equal(md.topics.get(topic)?.partitionsCount, 3);
    assert.ok((await admin.listTopics()).includes(topic));
  });

  it("an idempotent producer writes keys, values and headers that read back in order; list offsets earliest/latest", async () => {
    const topic = uniqueTopic("client-idem");
    await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
    const p = new Producer({ clientId: "quarry-test", bootstrapBrokers: servers, idempotent: true, serializers: stringSerializers });
    try {
      await p.send({ messages: [
        { topic, partition: 0, key: "a", value: "1", headers: { h: "x" } },
        { topic, partition: 0, key: "b", value: "2" },
        { topic, partition: 1, value: "3" },
      ] });
    } finally { await p.close(); }
    assert.deepEqual(await readAll(reader, topic, 2, 0), [
      { partition: 0, offset: 0, key: "a", value: "1", headers: { h: "x" } },
      { partition: 0, offset: 1, key: "b", value: "2", headers: {} },
      { partition: 1, offset: 0, key: null, value: "3", headers: {} },
    ]);
    assert.deepEqual((await reader.listOffsets({ topics: [topic], timestamp: -2n })).get(topic), [0n, 0n]);
    assert.deepEqual((await reader.listOffsets({ topics: [topic], timestamp: -1n })).get(topic), [2n, 1n]);
  });

  it("transactions: a read_committed reader sees committed messages only; read_uncommitted sees the aborted ones too; offsets commit with the transaction", async () => {
    const topic = uniqueTopic("client-tx");
    const group = uniqueTopic("client-tx-group");
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    const p = new Producer({ clientId: "quarry-test", bootstrapBrokers: servers, idempotent: true, transactionalId: uniqueTopic("tx"), serializers: stringSerializers });
    const g = new Consumer({ clientId: "quarry-test", groupId: group, bootstrapBrokers: servers });
    try {
      const coordinator = await g.findGroupCoordinator();
      let tx = await p.beginTransaction();
      await tx.send({ messages: [{ topic, value: "c1" }, { topic, value: "c2" }] });
      await tx.addConsumer(g);
      // "Consumed up to offset 41": the group's committed offset becomes 42.
      await tx.addOffset({ topic, partition: 0, offset: 41n, key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: 0n, headers: new Map(), metadata: { consumer: { groupId: group, generationId: -1, memberId: "", coordinatorId: coordinator } }, commit: () => undefined, toJSON: () => ({ key: null, value: null, headers: [], topic, partition: 0, timestamp: "0", offset: "41", metadata: {} }) });
      await tx.commit();
      tx = await p.beginTransaction();
      await tx.send({ messages: [{ topic, value: "a1" }] });
      await tx.abort();
      tx = await p.beginTransaction();
      await tx.send({ messages: [{ topic, value: "c3" }] });
      await tx.commit();
    } finally { await p.close(); }
    try {
      // A commit's markers reach the partition and the group a moment after commit() returns.
      await eventually(async () => (await readAll(reader, topic, 1, 1)).map((r) => r.value), ["c1", "c2", "c3"], "read_committed");
      assert.deepEqual((await readAll(reader, topic, 1, 0)).map((r) => r.value), ["c1", "c2", "a1", "c3"]);
      await eventually(async () => (await g.listCommittedOffsets({ topics: [{ topic, partitions: [0] }] })).get(topic), [42n], "committed offsets");
      const listed = await admin.listConsumerGroupOffsets({ groups: [group] });
      assert.equal(listed[0].topics[0].partitions[0].committedOffset, 42n);
    } finally { await g.close(true); }
  });
});
