/**
 * The columnar record-batch decoder (src/connectors/kafka/kafka-records.ts) on batches the real
 * broker stored: one topic per compression codec the client library can produce on this Node.js,
 * written by the library's producer. Expected values are the messages each test produces: keys
 * and values null, empty, non-ASCII and longer than DuckDB's 12-byte inline strings, headers with
 * null values, explicit CreateTime timestamps, and exact sub-ranges cut inside a batch.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { Producer, compressionsAlgorithms, type MessageToProduce } from "@platformatic/kafka";
import { KafkaReader, type OffsetRange, type RecordColumns } from "#kafka";
import { createTopic, kafkaBootstrap, uniqueTopic } from "./kafka-server.js";

type Row = { offset: number; timestamp: number; timestampType: number; key: string | null; value: string | null; headers: [string | null, string | null][] };

const T0 = Date.UTC(2024, 4, 17, 10, 30, 0, 123);
const long = "ü".repeat(300) + "-end";
/** The messages every codec's topic gets, in order; `null` is a null key/value. */
const MESSAGES: { key: string | null; value: string | null; headers: [string, string | null][]; ts: number }[] = [
  { key: null, value: "a", headers: [], ts: T0 },
  { key: "", value: "", headers: [], ts: T0 + 1 },
  { key: "clé-✓", value: "värde 日本語", headers: [["h1", "v1"], ["ключ", null]], ts: T0 - 5000 },
  { key: "k3", value: null, headers: [["empty", ""]], ts: T0 + 2 },
  { key: "exactly12byt", value: "thirteen byte", headers: [], ts: T0 + 3 },
  { key: long, value: long + long, headers: [["big", long]], ts: T0 + 4 },
  ...Array.from({ length: 40 }, (_, i) => ({ key: `u${i % 7}`, value: `{"user":"u${i % 7}","amount":${i}.5}`, headers: [] as [string, string | null][], ts: T0 + 100 + i })),
];

const buf = (s: string | null) => (s === null ? null : Buffer.from(s, "utf8"));

function rowsOf(c: RecordColumns): Row[] {
  const out: Row[] = [];
  const text = (start: number, len: number) => (len < 0 ? null : c.data.subarray(start, start + len).toString("utf8"));
  for (let i = 0; i < c.length; i++) {
    out.push({
      offset: c.offsets[i], timestamp: c.timestamps[i], timestampType: c.timestampTypes[i],
      key: text(c.keyStarts[i], c.keyLengths[i]), value: text(c.valueStarts[i], c.valueLengths[i]),
      headers: (c.headers?.[i] ?? []).map(([k, v]) => [k?.toString("utf8") ?? null, v?.toString("utf8") ?? null]),
    });
  }
  return out;
}

async function read(servers: string, range: OffsetRange): Promise<Row[]> {
  const reader = new KafkaReader([servers], "quarry-test");
  const rows: Row[] = [];
  try {
    await reader.fetchRanges([range], { failOnDataLoss: true, isolationLevel: 1, fetchMaxBytes: 50 << 20, includeHeaders: true }, (r, c) => {
      assert.deepEqual(r, range);
      rows.push(...rowsOf(c));
    });
  } finally {
    await reader.close();
  }
  return rows;
}

const expected = (from: number, to: number): Row[] => MESSAGES.slice(from, to).map((m, i) => ({
  offset: from + i, timestamp: m.ts, timestampType: 0, key: m.key, value: m.value, headers: m.headers,
}));

const codecs = (Object.keys(compressionsAlgorithms) as (keyof typeof compressionsAlgorithms)[]).filter((c) => compressionsAlgorithms[c].available);

describe("Kafka record batches decoded into columns", () => {
  let servers: string;
  before(async () => { servers = await kafkaBootstrap(); });

  it("the library's producer supports at least none, gzip, snappy and lz4 here", () => {
    for (const c of ["none", "gzip", "snappy", "lz4"]) assert.ok(codecs.includes(c as never), c);
  });

  for (const codec of codecs) {
    it(`decodes what the producer wrote with compression ${codec}, and cuts exact ranges inside a batch`, async () => {
      const topic = uniqueTopic(`records-${codec}`);
      await createTopic(servers, topic, 1);
      const producer = new Producer({ clientId: "quarry-test", bootstrapBrokers: [servers], compression: codec, acks: -1 });
      try {
        // Two sends, so the partition holds two batches; each send is one batch.
        const msgs: MessageToProduce<Buffer | null, Buffer | null, Buffer, Buffer | null>[] = MESSAGES.map((m) => ({
          topic, partition: 0, key: buf(m.key), value: buf(m.value), timestamp: BigInt(m.ts),
          headers: new Map(m.headers.map(([k, v]) => [Buffer.from(k, "utf8"), buf(v)])),
        }));
        await producer.send({ messages: msgs.slice(0, 10) as MessageToProduce[] });
        await producer.send({ messages: msgs.slice(10) as MessageToProduce[] });
      } finally {
        await producer.close();
      }
      const n = MESSAGES.length;
      assert.deepEqual(await read(servers, { topic, partition: 0, start: 0, end: n }), expected(0, n));
      // Inside the first batch, across the batch boundary, inside the second.
      assert.deepEqual(await read(servers, { topic, partition: 0, start: 2, end: 5 }), expected(2, 5));
      assert.deepEqual(await read(servers, { topic, partition: 0, start: 8, end: 13 }), expected(8, 13));
      assert.deepEqual(await read(servers, { topic, partition: 0, start: n - 1, end: n }), expected(n - 1, n));
    });
  }
});
