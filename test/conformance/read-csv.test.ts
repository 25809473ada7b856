import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { F, AnalysisError, QuarryError } from "quarry";
import { conformance, assertRows, expectError, fixture, utcDate, type Row, type DataFrame, simpleField } from "./harness.js";

const PEOPLE_TYPED: Row[] = [
  { name: "Ann", age: 34, country: "FR", income: 5200.5 },
  { name: "Bob", age: 28, country: "US", income: 4100.0 },
  { name: "Chen, Li", age: 45, country: "CN", income: 6100.25 },
  { name: "Dana", age: null, country: "US", income: 3900.75 },
  { name: "Émile", age: 52, country: "FR", income: null },
];

async function typesOf(df: DataFrame) {
  return Object.fromEntries((await df.schema()).fields.map(simpleField).map((f) => [f.name, f.type]));
}

conformance("read CSV", (ctx) => {
  ctx.it("header + inferSchema: names from the header, ints and doubles inferred, empty fields null", async () => {
    const df = ctx.spark.read.csv(fixture("people.csv"), { header: true, inferSchema: true });
    assert.deepEqual(await df.columns(), ["name", "age", "country", "income"]);
    assert.deepEqual(await typesOf(df), { name: "string", age: "int", country: "string", income: "double" });
    assertRows(await df.collect(), PEOPLE_TYPED);
  });

  ctx.it("the format/option/load form gives the same frame", async () => {
    const df = ctx.spark.read.format("csv").option("header", "true").option("inferSchema", "true").load(fixture("people.csv"));
    assertRows(await df.collect(), PEOPLE_TYPED);
    const df2 = ctx.spark.read.format("csv").options({ header: "true", inferSchema: "true" }).load(fixture("people.csv"));
    assertRows(await df2.collect(), PEOPLE_TYPED);
  });

  ctx.it("without inferSchema every column is a string", async () => {
    const df = ctx.spark.read.csv(fixture("people.csv"), { header: true });
    assert.deepEqual(await typesOf(df), { name: "string", age: "string", country: "string", income: "string" });
    assertRows(await df.collect(), [
      { name: "Ann", age: "34", country: "FR", income: "5200.5" },
      { name: "Bob", age: "28", country: "US", income: "4100.0" },
      { name: "Chen, Li", age: "45", country: "CN", income: "6100.25" },
      { name: "Dana", age: null, country: "US", income: "3900.75" },
      { name: "Émile", age: "52", country: "FR", income: null },
    ]);
  });

  ctx.it("without a header, columns are _c0, _c1, ...", async () => {
    const df = ctx.spark.read.csv(fixture("no-header.csv"), { inferSchema: true });
    assert.deepEqual(await df.columns(), ["_c0", "_c1", "_c2"]);
    assertRows(await df.collect(), [
      { _c0: 1, _c1: "alpha", _c2: 0.5 },
      { _c0: 2, _c1: "beta", _c2: 1.5 },
    ]);
    // header defaults to false: the header line of people.csv is a data row.
    assert.equal(await ctx.spark.read.csv(fixture("people.csv")).count(), 6);
  });

  ctx.it("an explicit DDL schema, sep and nullValue", async () => {
    const df = ctx.spark.read.csv(fixture("semicolon.csv"), {
      header: true,
      sep: ";",
      nullValue: "NA",
      schema: "id INT, label STRING, score DOUBLE",
    });
    assert.deepEqual(await typesOf(df), { id: "int", label: "string", score: "double" });
    assertRows(await df.collect(), [
      { id: 1, label: "alpha", score: 0.5 },
      { id: 2, label: null, score: 1.5 },
      { id: 3, label: "gamma", score: null },
    ]);
    const viaReader = ctx.spark.read
      .format("csv")
      .schema("id INT, label STRING, score DOUBLE")
      .option("header", "true")
      .option("sep", ";")
      .option("nullValue", "NA")
      .load(fixture("semicolon.csv"));
    assert.equal(await viaReader.filter("score > 1").count(), 1);
    const viaDelimiter = ctx.spark.read
      .format("csv")
      .options({ header: "true", delimiter: ";", nullValue: "NA", inferSchema: "true" })
      .load(fixture("semicolon.csv"));
    assert.deepEqual(await viaDelimiter.columns(), ["id", "label", "score"]);
    assert.equal(await viaDelimiter.filter(F.col("label").isNull()).count(), 1);
  });

  ctx.it("escape='\"' reads RFC 4180 doubled quotes", async () => {
    const df = ctx.spark.read.csv(fixture("quoted.csv"), { header: true, inferSchema: true, escape: '"' });
    assertRows(await df.collect(), [
      { id: 1, text: 'He said "hi"' },
      { id: 2, text: "a, b" },
      { id: 3, text: "plain" },
    ]);
  });

  ctx.it("quote=\"'\" uses single quotes", async () => {
    const df = ctx.spark.read.csv(fixture("single-quote.csv"), { header: true, quote: "'" });
    assertRows(await df.collect(), [
      { id: "1", text: "x, y" },
      { id: "2", text: "plain" },
    ]);
  });

  ctx.it("dateFormat and timestampFormat", async () => {
    const df = ctx.spark.read.csv(fixture("dates.csv"), {
      header: true,
      schema: "id INT, d DATE, ts TIMESTAMP",
      dateFormat: "dd/MM/yyyy",
      timestampFormat: "dd/MM/yyyy HH:mm",
    });
    assertRows(await df.collect(), [
      { id: 1, d: utcDate(2024, 2, 29), ts: new Date("2024-02-29T13:45:00Z") },
      { id: 2, d: utcDate(1999, 12, 1), ts: new Date("1999-12-01T00:05:00Z") },
    ]);
  });

  ctx.it("non-ASCII column names and values", async () => {
    const df = ctx.spark.read.csv(fixture("unicode.csv"), { header: true });
    assert.deepEqual(await df.columns(), ["prénom", "名前", "note"]);
    assertRows(await df.collect(), [
      { prénom: "Zoë", 名前: "日本", note: "😀 ok" },
      { prénom: "Ñandú", 名前: "中文", note: "quote ' and `tick`" },
    ]);
  });

  ctx.it("PERMISSIVE (the default) turns a malformed field into null", async () => {
    const rows = [
      { a: 1, b: "x" },
      { a: null, b: "y" },
      { a: 3, b: "z" },
    ];
    const schema = "a INT, b STRING";
    assertRows(await ctx.spark.read.csv(fixture("malformed.csv"), { header: true, schema }).collect(), rows);
    assertRows(await ctx.spark.read.csv(fixture("malformed.csv"), { header: true, schema, mode: "PERMISSIVE" }).collect(), rows);
  });

  ctx.it("PERMISSIVE with columnNameOfCorruptRecord keeps the raw line", { feature: "csv.corruptRecordColumn" }, async () => {
    const df = ctx.spark.read.csv(fixture("malformed.csv"), {
      header: true,
      schema: "a INT, b STRING, _corrupt STRING",
      mode: "PERMISSIVE",
      columnNameOfCorruptRecord: "_corrupt",
    });
    assertRows(await df.collect(), [
      { a: 1, b: "x", _corrupt: null },
      { a: null, b: "y", _corrupt: "oops,y" },
      { a: 3, b: "z", _corrupt: null },
    ]);
  });

  ctx.it("DROPMALFORMED drops malformed rows", async () => {
    const df = ctx.spark.read.csv(fixture("malformed.csv"), { header: true, schema: "a INT, b STRING", mode: "DROPMALFORMED" });
    assertRows(await df.collect(), [
      { a: 1, b: "x" },
      { a: 3, b: "z" },
    ]);
  });

  ctx.it("FAILFAST throws on the first malformed row", async () => {
    const df = ctx.spark.read.csv(fixture("malformed.csv"), { header: true, schema: "a INT, b STRING", mode: "FAILFAST" });
    await expectError(() => df.collect(), QuarryError);
  });

  ctx.it("FAILFAST's error names the file and the line", { feature: "csv.failfastLocation" }, async () => {
    const df = ctx.spark.read.csv(fixture("malformed.csv"), { header: true, schema: "a INT, b STRING", mode: "FAILFAST" });
    await expectError(() => df.collect(), QuarryError, "malformed.csv", /line\D{0,3}3\b/i);
  });

  ctx.it("inferSchema widens int+double to double and anything+text to string", async () => {
    const dir = ctx.tempDir();
    const p = path.join(dir, "mixed.csv");
    fs.writeFileSync(p, "i,d,s\n1,1,1\n2,2.5,x\n,3,\n");
    const df = ctx.spark.read.csv(p, { header: true, inferSchema: true });
    assert.deepEqual(await typesOf(df), { i: "int", d: "double", s: "string" });
    assertRows(await df.collect(), [
      { i: 1, d: 1, s: "1" },
      { i: 2, d: 2.5, s: "x" },
      { i: null, d: 3, s: null },
    ]);
  });

  ctx.it("CRLF line endings", async () => {
    const dir = ctx.tempDir();
    const p = path.join(dir, "crlf.csv");
    fs.writeFileSync(p, "k,v\r\na,1\r\nb,2\r\n");
    assertRows(await ctx.spark.read.csv(p, { header: true, inferSchema: true }).collect(), [
      { k: "a", v: 1 },
      { k: "b", v: 2 },
    ]);
  });

  ctx.it("a directory of CSV files reads them all; a glob selects some", async () => {
    const dir = ctx.tempDir();
    const all = path.join(dir, "all");
    fs.mkdirSync(all);
    fs.writeFileSync(path.join(all, "part-1.csv"), "k,v\na,1\nb,2\n");
    fs.writeFileSync(path.join(all, "part-2.csv"), "k,v\nc,3\n");
    const expected = [
      { k: "a", v: 1 },
      { k: "b", v: 2 },
      { k: "c", v: 3 },
    ];
    assertRows(await ctx.spark.read.csv(all, { header: true, inferSchema: true }).collect(), expected);

    const mixed = path.join(dir, "mixed");
    fs.mkdirSync(mixed);
    fs.writeFileSync(path.join(mixed, "a.csv"), "k,v\na,1\n");
    fs.writeFileSync(path.join(mixed, "b.csv"), "k,v\nb,2\n");
    fs.writeFileSync(path.join(mixed, "notes.txt"), "not,csv\nzzz,9\n");
    assertRows(await ctx.spark.read.csv(path.join(mixed, "*.csv"), { header: true, inferSchema: true }).collect(), [
      { k: "a", v: 1 },
      { k: "b", v: 2 },
    ]);
  });

  ctx.it("Hive-style partition directories add partition columns", async () => {
    const dir = ctx.tempDir();
    const write = (rel: string, body: string) => {
      fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), body);
    };
    write("country=FR/year=2023/part-0.csv", "name,age\nAnn,34\n");
    write("country=FR/year=2024/part-0.csv", "name,age\nÉmile,52\n");
    write("country=US/year=2024/part-0.csv", "name,age\nBob,28\nDana,41\n");
    const df = ctx.spark.read.csv(dir, { header: true, inferSchema: true });
    assert.deepEqual(await df.columns(), ["name", "age", "country", "year"]);
    assertRows(await df.collect(), [
      { name: "Ann", age: 34, country: "FR", year: 2023 },
      { name: "Émile", age: 52, country: "FR", year: 2024 },
      { name: "Bob", age: 28, country: "US", year: 2024 },
      { name: "Dana", age: 41, country: "US", year: 2024 },
    ]);
    assertRows(await df.filter("country = 'US'").select("name").collect(), [{ name: "Bob" }, { name: "Dana" }]);
  });

  ctx.it("a missing path is an AnalysisError naming it", async () => {
    const missing = path.join(ctx.tempDir(), "no-such-file.csv");
    await expectError(() => ctx.spark.read.csv(missing, { header: true }).collect(), AnalysisError, "no-such-file.csv");
  });
});
