import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { F, AnalysisError } from "quarry";
import { conformance, assertRows, expectError, fixture, utcDate, type Row, simpleField } from "./harness.js";

const JSON_ROWS: Row[] = [
  { active: true, address: { city: "Paris", zip: "75001" }, age: 34, name: "Ann", score: 1.5, tags: ["a", "b"] },
  { active: false, address: { city: "Austin", zip: "73301" }, age: 28, name: "Bob", score: 2, tags: [] },
  { active: null, address: null, age: null, name: 'Ché "Q"é\\', score: null, tags: null },
];

// Every simple type plus nested ones, with a null in every column.
const TYPED: Row[] = [
  {
    i: 1,
    l: 10_000_000_000,
    d: 1.25,
    s: "ünïcödé 'q' \"dq\" `bt`",
    b: true,
    dt: utcDate(2024, 2, 29),
    ts: new Date("2024-03-10T01:30:00.123Z"),
    arr: [1, null, 3],
    st: { a: 1, b: "x" },
  },
  { i: null, l: null, d: null, s: null, b: null, dt: null, ts: null, arr: null, st: null },
  { i: -7, l: -1, d: -0.5, s: "", b: false, dt: utcDate(1969, 12, 31), ts: new Date("1969-12-31T23:59:59Z"), arr: [], st: { a: null, b: null } },
];
const TYPED_SCHEMA =
  "i INT, l BIGINT, d DOUBLE, s STRING, b BOOLEAN, dt DATE, ts TIMESTAMP, arr ARRAY<INT>, st STRUCT<a: INT, b: STRING>";
const TYPED_TYPES = ["int", "bigint", "double", "string", "boolean", "date", "timestamp", "array<int>", "struct<a:int,b:string>"];

conformance("read JSON and Parquet", (ctx) => {
  ctx.it("newline-delimited JSON: inferred schema (fields sorted by name), nested values, missing fields", async () => {
    const df = ctx.spark.read.json(fixture("people.json"));
    assert.deepEqual(await df.columns(), ["active", "address", "age", "name", "score", "tags"]);
    const types = Object.fromEntries((await df.schema()).fields.map(simpleField).map((f) => [f.name, f.type]));
    assert.equal(types.active, "boolean");
    assert.equal(types.age, "bigint");
    assert.equal(types.name, "string");
    assert.equal(types.score, "double");
    assert.equal(types.tags, "array<string>");
    assert.equal(types.address, "struct<city:string,zip:string>");
    assertRows(await df.collect(), JSON_ROWS, { sortBy: ["name"] });
  });

  ctx.it("JSON: nested fields can be selected and filtered", async () => {
    const rows = await ctx.spark.read
      .json(fixture("people.json"))
      .filter(F.col("address.city").eq("Paris"))
      .select(F.col("name"), F.col("address.zip").alias("zip"))
      .collect();
    assert.deepEqual(rows, [{ name: "Ann", zip: "75001" }]);
  });

  ctx.it("JSON with an explicit schema keeps the schema's columns, order and types", async () => {
    const df = ctx.spark.read.format("json").schema("name STRING, age INT").load(fixture("people.json"));
    assert.deepEqual(await df.columns(), ["name", "age"]);
    assert.deepEqual((await df.schema()).fields.map(simpleField).map((f) => f.type), ["string", "int"]);
    assertRows(await df.collect(), [
      { name: "Ann", age: 34 },
      { name: "Bob", age: 28 },
      { name: 'Ché "Q"é\\', age: null },
    ]);
  });

  ctx.it("a JSON directory and glob", async () => {
    const dir = ctx.tempDir();
    fs.writeFileSync(path.join(dir, "a.json"), '{"k":"a","v":1}\n{"k":"b","v":2}\n');
    fs.writeFileSync(path.join(dir, "b.json"), '{"k":"c","v":3}\n');
    const expected = [
      { k: "a", v: 1 },
      { k: "b", v: 2 },
      { k: "c", v: 3 },
    ];
    assertRows(await ctx.spark.read.json(dir).collect(), expected);
    assertRows(await ctx.spark.read.json(path.join(dir, "a*.json")).collect(), expected.slice(0, 2));
  });

  ctx.it("Parquet round-trips every type, nulls included, and keeps the schema", async () => {
    const dir = path.join(ctx.tempDir(), "typed.parquet");
    await ctx.spark.createDataFrame(TYPED, TYPED_SCHEMA).write.parquet(dir);
    const back = ctx.spark.read.parquet(dir);
    assert.deepEqual(await back.columns(), ["i", "l", "d", "s", "b", "dt", "ts", "arr", "st"]);
    assert.deepEqual((await back.schema()).fields.map(simpleField).map((f) => f.type), TYPED_TYPES);
    assertRows(await back.collect(), TYPED, { sortBy: ["i"] });
  });

  ctx.it("Parquet via format().load(), and a glob over part files", async () => {
    const dir = path.join(ctx.tempDir(), "range.parquet");
    await ctx.spark.range(50).write.format("parquet").save(dir);
    assert.equal(await ctx.spark.read.format("parquet").load(dir).count(), 50);
    assert.equal(await ctx.spark.read.parquet(path.join(dir, "*.parquet")).count(), 50);
  });

  ctx.it("Parquet with Hive partitions written by partitionBy reads the partition column back", async () => {
    const dir = path.join(ctx.tempDir(), "parts");
    const rows: Row[] = [
      { name: "Ann", country: "FR" },
      { name: "Bob", country: "US" },
      { name: "Émile", country: "FR" },
    ];
    await ctx.spark.createDataFrame(rows, "name STRING, country STRING").write.partitionBy("country").parquet(dir);
    const back = ctx.spark.read.parquet(dir);
    assert.deepEqual((await back.columns()).sort(), ["country", "name"]);
    assertRows(await back.select("name", "country").collect(), rows);
    assertRows(await back.filter(F.col("country").eq("FR")).select("name").collect(), [{ name: "Ann" }, { name: "Émile" }]);
  });

  ctx.it("a missing Parquet path is an AnalysisError naming it", async () => {
    const missing = path.join(ctx.tempDir(), "nothing-here.parquet");
    await expectError(() => ctx.spark.read.parquet(missing).count(), AnalysisError, "nothing-here.parquet");
  });
});
