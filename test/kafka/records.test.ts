/**
 * The columnar record-batch decoder (src/connectors/kafka/kafka-records.ts) on batches the real
 * broker stored: one topic per compression codec the client library can produce on this Node.js,
 * written by the library's producer. Expected values are the messages each test produces: keys
 * and values null, empty, non-ASCII and longer than DuckDB's 12-byte inline strings, headers with
 * null values, explicit CreateTime timestamps, and exact sub-ranges cut inside a batch. Then the
 * same kind of records through the embedded engine's table (data chunks written vector by vector).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Producer, compressionsAlgorithms, type MessageToProduce } from "@platformatic/kafka";
import { Session, F } from "quarry";
import { KafkaReader, decodeRecords, readBatchHeaders, type OffsetRange, type RecordColumns } from "#kafka";
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

  describe("through the embedded engine", () => {
    let spark: Awaited<ReturnType<ReturnType<typeof Session.builder>["getOrCreate"]>>;
    before(async () => { spark = await Session.builder().appName("kafka-records").create(); });
    after(async () => { await spark.stop(); });

    it("5000 records across data chunks: null, empty, inline and long keys and values, offsets and timestamps", async () => {
      const topic = uniqueTopic("records-duckdb");
      await createTopic(servers, topic, 1);
      const n = 5000;
      // Keys of 0..16 bytes (DuckDB inlines up to 12), values up to 35 bytes, nulls at irregular rows.
      const key = (i: number) => (i % 7 === 0 ? null : "é".repeat(i % 9));
      const value = (i: number) => (i % 5 === 0 ? null : `v${i}` + "-".repeat(i % 30));
      // Within ±2^30 ms of the batch's first timestamp: the client's producer mis-encodes larger
      // timestamp deltas (its varlong writer), so larger ones are checked on hand-built bytes below.
      const ts = (i: number) => (i % 2 ? 1_500_000_000_000 + i * 1000 : 1_500_000_000_000 - i * 100_000);
      const producer = new Producer({ clientId: "quarry-test", bootstrapBrokers: [servers], compression: "lz4", acks: -1 });
      try {
        for (let from = 0; from < n; from += 1000) {
          const messages = Array.from({ length: 1000 }, (_, k) => from + k).map((i) => ({ topic, partition: 0, key: buf(key(i)), value: buf(value(i)), timestamp: BigInt(ts(i)) }));
          await producer.send({ messages: messages as MessageToProduce[] });
        }
      } finally {
        await producer.close();
      }
      const rows = await spark.read.format("kafka").option("kafka.bootstrap.servers", servers).option("subscribe", topic).load()
        .orderBy("offset").select(F.col("key").cast("string").alias("k"), F.col("value").cast("string").alias("v"), "offset", "timestamp", "timestampType", "partition").collect();
      assert.equal(rows.length, n);
      const got = rows.map((r) => ({ k: r["k"], v: r["v"], offset: Number(r["offset"]), ts: (r["timestamp"] as Date).getTime(), tt: r["timestampType"], p: r["partition"] }));
      assert.deepEqual(got, Array.from({ length: n }, (_, i) => ({ k: key(i), v: value(i), offset: i, ts: ts(i), tt: 0, p: 0 })));
    });
  });

  it("hand-built bytes: 64-bit timestamp deltas and offsets past 2^32, a LogAppendTime batch, a batch cut short", () => {
    // A reference encoder of the v2 layout, written from the format description.
    const zigzag = (v: bigint) => (v << 1n) ^ (v < 0n ? -1n : 0n);
    const varint = (v: number | bigint) => {
      let u = BigInt.asUintN(64, zigzag(BigInt(v)));
      const out: number[] = [];
      do { const b = Number(u & 0x7fn); u >>= 7n; out.push(u ? b | 0x80 : b); } while (u);
      return Buffer.from(out);
    };
    const bytes = (s: string | null) => (s === null ? varint(-1) : Buffer.concat([varint(Buffer.byteLength(s)), Buffer.from(s)]));
    const record = (tsDelta: bigint, offsetDelta: number, key: string | null, value: string | null) => {
      const body = Buffer.concat([Buffer.from([0]), varint(tsDelta), varint(offsetDelta), bytes(key), bytes(value), varint(0)]);
      return Buffer.concat([varint(body.length), body]);
    };
    const batch = (firstOffset: bigint, attributes: number, firstTs: bigint, maxTs: bigint, records: Buffer[], lastOffsetDelta: number) => {
      const head = Buffer.alloc(61);
      head.writeBigInt64BE(firstOffset, 0);
      head.writeInt32BE(61 - 12 + Buffer.concat(records).length, 8);
      head.writeInt8(2, 16);
      head.writeInt16BE(attributes, 21);
      head.writeInt32BE(lastOffsetDelta, 23);
      head.writeBigInt64BE(firstTs, 27);
      head.writeBigInt64BE(maxTs, 35);
      head.writeBigInt64BE(-1n, 43);
      head.writeInt32BE(records.length, 57);
      return Buffer.concat([head, ...records]);
    };
    const first = 5_000_000_000n;
    const b1 = batch(first, 0, 1_500_000_000_000n, 1_500_000_000_000n, [record(0n, 0, "a", "x"), record(-499_999_999_000n, 1, null, "y"), record(2n ** 40n, 2, "c", null)], 2);
    const b2 = batch(first + 3n, 0x08, 1n, 1_700_000_000_456n, [record(0n, 0, "d", "z")], 0);
    const cut = batch(first + 4n, 0, 1n, 1n, [record(0n, 0, "e", "w")], 0).subarray(0, 64);
    const all = Buffer.concat([b1, b2, cut]);
    const headers = readBatchHeaders(all, "t-0");
    assert.deepEqual(headers.map((h) => [h.firstOffset, h.lastOffsetDelta, h.recordCount]), [[5_000_000_000, 2, 3], [5_000_000_003, 0, 1]]);
    const c = decodeRecords(all, headers, 5_000_000_001, 5_000_000_004, false, "t-0");
    assert.deepEqual(rowsOf(c), [
      { offset: 5_000_000_001, timestamp: 1_000_000_001_000, timestampType: 0, key: null, value: "y", headers: [] },
      { offset: 5_000_000_002, timestamp: 1_500_000_000_000 + 2 ** 40, timestampType: 0, key: "c", value: null, headers: [] },
      { offset: 5_000_000_003, timestamp: 1_700_000_000_456, timestampType: 1, key: "d", value: "z", headers: [] },
    ]);
  });
});
