// The Arrow IPC reader of Spark Connect results (src/backends/spark-connect/spark-connect-ipc.ts)
// against apache-arrow's own stream reader, the reference: the same bytes must give the same
// schema and the same values, for streams apache-arrow writes (every type the reader lays out
// itself, nulls, bodies at unaligned offsets, types it hands back to apache-arrow) and for the
// streams a real Spark Connect server sends.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { Session, F, type DataFrame } from "quarry";
import { ArrowResultReader, readBatchesWithArrow } from "#spark-connect-ipc";
import { sparkRemote, SPARK_SKIP } from "./spark-server.js";

/** Values of a batch list as JSON text (bigints as strings), for comparing two readers. */
function valuesOf(batches: arrow.RecordBatch[]): string {
  if (batches.length === 0) return "[]";
  return JSON.stringify(new arrow.Table(batches).toArray(), (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
}

/** The bytes of `ipc` copied to offset `shift` of a larger buffer (bodies then sit unaligned). */
function shifted(ipc: Uint8Array, shift: number): Uint8Array {
  const big = new Uint8Array(ipc.length + shift);
  big.set(ipc, shift);
  return big.subarray(shift);
}

function assertSameAsArrow(reader: ArrowResultReader, ipc: Uint8Array): arrow.RecordBatch[] {
  const ours = reader.read(ipc);
  const reference = readBatchesWithArrow(ipc);
  assert.equal(ours.schema.toString(), reference.schema.toString());
  assert.deepEqual(ours.batches.map((b) => b.numRows), reference.batches.map((b) => b.numRows));
  assert.equal(valuesOf(ours.batches), valuesOf(reference.batches));
  for (const [i, b] of ours.batches.entries()) {
    for (const [j, d] of b.data.children.entries()) assert.equal(d.nullCount, reference.batches[i].data.children[j].nullCount, `null count of column ${j}`);
  }
  return ours.batches;
}

/** A table with the column kinds Spark sends, nulls included. */
function mixedTable(n: number): arrow.Table {
  const ints = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : i * 1000003 - 5));
  return new arrow.Table({
    i64: arrow.vectorFromArray(ints.map((x) => (x === null ? null : BigInt(x) * 4096n)), new arrow.Int64()),
    i32: arrow.vectorFromArray(ints, new arrow.Int32()),
    i8: arrow.vectorFromArray(ints.map((x) => (x === null ? null : x % 100)), new arrow.Int8()),
    f64: arrow.vectorFromArray(ints.map((x) => (x === null ? null : x / 7)), new arrow.Float64()),
    f32: arrow.vectorFromArray(ints.map((x) => (x === null ? null : x / 3)), new arrow.Float32()),
    b: arrow.vectorFromArray(ints.map((x) => (x === null ? null : x % 2 === 0)), new arrow.Bool()),
    s: arrow.vectorFromArray(ints.map((x) => (x === null ? null : `v${x}é`)), new arrow.Utf8()),
    d: arrow.vectorFromArray(ints.map((x) => (x === null ? null : new Date(Date.UTC(2020, 0, 1 + (x % 1000))))), new arrow.DateDay()),
    ts: arrow.vectorFromArray(ints.map((x) => (x === null ? null : Date.UTC(2021, 5, 1) + x)), new arrow.TimestampMicrosecond("UTC")),
    list: arrow.vectorFromArray(ints.map((x) => (x === null ? null : [x, x + 1, null])), new arrow.List(new arrow.Field("element", new arrow.Int32(), true))),
    st: arrow.vectorFromArray(
      ints.map((x) => (x === null ? null : { a: x, b: `s${x}` })),
      new arrow.Struct([new arrow.Field("a", new arrow.Int32(), true), new arrow.Field("b", new arrow.Utf8(), true)]),
    ),
    allNull: arrow.vectorFromArray(ints.map(() => null), new arrow.Null()),
  });
}

describe("Arrow IPC reader of Spark Connect results", () => {
  it("reads every column kind exactly as apache-arrow does, at every body alignment", () => {
    const ipc = arrow.tableToIPC(mixedTable(1000), "stream");
    for (let shift = 0; shift < 8; shift++) assertSameAsArrow(new ArrowResultReader(), shifted(ipc, shift));
  });

  it("reads maps, fixed-size lists and decimals exactly as apache-arrow does", () => {
    const rows = 50;
    const entries = new arrow.Struct([new arrow.Field("key", new arrow.Utf8(), false), new arrow.Field("value", new arrow.Int32(), true)]);
    const mapType = new arrow.Map_(new arrow.Field("entries", entries, false) as never);
    const map = arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : new Map([["k", i], ["z", i * 2]]))), mapType);
    const fsl = arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => [i, -i]), new arrow.FixedSizeList(2, new arrow.Field("x", new arrow.Float64(), true)));
    const words = new Uint32Array(rows * 4);
    for (let i = 0; i < rows; i++) { words[i * 4] = i * 12345; words[i * 4 + 1] = i; }
    const dec = arrow.makeVector(arrow.makeData({ type: new arrow.Decimal(2, 20, 128), length: rows, data: words }));
    const ipc = arrow.tableToIPC(new arrow.Table({ map, fsl, dec }), "stream");
    assertSameAsArrow(new ArrowResultReader(), shifted(ipc, 3));
  });

  it("hands dictionary-encoded columns to apache-arrow and gets the same values", () => {
    const dict = arrow.vectorFromArray(["a", "b", null, "a", "c"], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
    const ipc = arrow.tableToIPC(new arrow.Table({ dict, n: arrow.vectorFromArray([1, 2, 3, 4, 5], new arrow.Int32()) }), "stream");
    assertSameAsArrow(new ArrowResultReader(), shifted(ipc, 5));
  });

  it("reads a schema-only stream (an empty result) as no batches", () => {
    const ipc = arrow.tableToIPC(new arrow.Table(new arrow.Schema([new arrow.Field("x", new arrow.Float64(), true)])), "stream");
    const { schema, batches } = new ArrowResultReader().read(ipc);
    assert.equal(schema.fields[0].name, "x");
    assert.equal(batches.length, 0);
  });

  it("reuses one schema object while the messages of a result repeat the same schema", () => {
    const reader = new ArrowResultReader();
    const first = reader.read(shifted(arrow.tableToIPC(mixedTable(10), "stream"), 1));
    const second = reader.read(shifted(arrow.tableToIPC(mixedTable(20), "stream"), 6));
    assert.equal(second.schema, first.schema);
    const other = reader.read(arrow.tableToIPC(arrow.tableFromArrays({ y: Float64Array.of(1, 2) }), "stream"));
    assert.notEqual(other.schema, first.schema);
    assert.deepEqual(other.schema.fields.map((f) => f.name), ["y"]);
  });

  it("refuses a truncated stream with an error that says so", () => {
    const ipc = arrow.tableToIPC(mixedTable(100), "stream");
    assert.throws(() => new ArrowResultReader().read(ipc.subarray(0, ipc.length - 200)), /truncated/);
  });
});

describe("Arrow IPC reader on a Spark Connect server's results", { skip: SPARK_SKIP }, () => {
  let spark: Session;
  before(async () => { spark = await Session.builder().remote(await sparkRemote()).create(); });
  after(async () => { await spark.stop(); });

  /** Every arrow_batch payload of a query's result, as the server sent it. */
  async function payloads(df: DataFrame): Promise<Uint8Array[]> {
    // The backend's internals, reached on purpose: the test needs the bytes before any decoding.
    const backend = spark.backend as unknown as {
      client: { execute(plan: unknown, what: string): AsyncIterable<{ responseType: { case?: string; value?: unknown } }> };
      root(plan: unknown): unknown;
    };
    const out: Uint8Array[] = [];
    for await (const r of backend.client.execute(backend.root(df.plan), "ipc test")) {
      if (r.responseType.case === "arrowBatch") out.push((r.responseType.value as { data: Uint8Array }).data);
    }
    return out;
  }

  it("gives apache-arrow's batches for every message of a many-typed result", async () => {
    const df = spark.sql(`SELECT id, CAST(id AS INT) AS i, CAST(id % 100 AS TINYINT) AS t, id / 3 AS d, CAST(id / 3 AS FLOAT) AS f,
      IF(id % 3 = 0, NULL, CONCAT('s', id)) AS s, CAST(id AS DECIMAL(20, 2)) AS dec, DATE'2020-01-01' + CAST(id AS INT) AS dt,
      TIMESTAMP'2020-01-01 00:00:00' + make_interval(0, 0, 0, 0, 0, 0, id) AS ts, id % 2 = 0 AS b, ARRAY(id, NULL, id + 1) AS arr,
      NAMED_STRUCT('a', id, 'b', CAST(id AS STRING)) AS st, MAP('k', id) AS m, CAST(NULL AS STRING) AS n,
      CAST(CAST(id AS STRING) AS BINARY) AS bin, IF(id % 5 = 0, NULL, ARRAY(NAMED_STRUCT('x', 1.5))) AS nested, NULL AS nothing
      FROM range(0, 25000)`);
    const reader = new ArrowResultReader();
    let rows = 0;
    const schemas = new Set<arrow.Schema>();
    const messages = await payloads(df);
    for (const ipc of messages) {
      for (const b of assertSameAsArrow(reader, ipc)) rows += b.numRows;
      schemas.add(reader.read(ipc).schema);
    }
    assert.equal(rows, 25000);
    assert.ok(messages.length > 1, "the result spans several messages");
    assert.equal(schemas.size, 1, "the messages share one decoded schema");
  });

  it("gives the values toArrow() and collect() return for a double-column result", async () => {
    const df = spark.range(30000).select(F.col("id").divide(F.lit(7.0)).alias("x"), F.col("id").multiply(3).alias("y"));
    const table = await df.toArrow();
    assert.equal(table.numRows, 30000);
    const x = table.getChild("x")!;
    for (const i of [0, 1, 9999, 10000, 29999]) assert.equal(x.get(i), i / 7);
    const rows = await df.collect();
    assert.deepEqual(rows[29999], { x: 29999 / 7, y: 89997 });
  });
});
