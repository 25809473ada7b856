import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { F, AnalysisError, QuarryError } from "quarry";
import { conformance, assertRows, expectError, listFiles, utcDate, type Row, type Spark, simpleField } from "./harness.js";

const ROWS: Row[] = [
  { id: 1, name: "Ann", score: 1.5, day: utcDate(2024, 1, 2) },
  { id: 2, name: 'Bob "the, builder"', score: null, day: utcDate(2024, 2, 29) },
  { id: 3, name: null, score: -2.25, day: null },
  { id: 4, name: "Zoë 日本 😀 it's", score: 0, day: utcDate(1999, 12, 31) },
];
const SCHEMA = "id INT, name STRING, score DOUBLE, day DATE";
const frame = (s: Spark) => s.createDataFrame(ROWS, SCHEMA);

/**
 * A frame whose evaluation fails late: over 300k rows, the ANSI cast to INT fails on the last
 * row only ("boom299999"), so an engine that streams output has written part of it by then.
 */
const failingFrame = (s: Spark) =>
  s
    .range(300_000)
    .select(
      F.col("id"),
      F.when(F.col("id").eq(299_999), F.concat(F.lit("boom"), F.col("id").cast("string")))
        .otherwise(F.col("id").cast("string"))
        .alias("s"),
    )
    .select(F.col("id"), F.col("s").cast("int").alias("n"));

conformance("write", (ctx) => {
  ctx.it("Parquet: write then read gives the same rows and types", async () => {
    const p = path.join(ctx.tempDir(), "out.parquet");
    await frame(ctx.spark).write.parquet(p);
    const back = ctx.spark.read.parquet(p);
    assert.deepEqual((await back.schema()).fields.map(simpleField).map((f) => [f.name, f.type]), [
      ["id", "int"],
      ["name", "string"],
      ["score", "double"],
      ["day", "date"],
    ]);
    assertRows(await back.collect(), ROWS);
  });

  ctx.it("CSV with a header: commas, quotes and unicode survive the round trip; nulls read back as null", async () => {
    const p = path.join(ctx.tempDir(), "out.csv");
    await frame(ctx.spark).select("id", "name", "score").write.option("header", "true").csv(p);
    const back = ctx.spark.read.csv(p, { header: true, inferSchema: true });
    assert.deepEqual(await back.columns(), ["id", "name", "score"]);
    assertRows(
      await back.collect(),
      ROWS.map((r) => ({ id: r.id, name: r.name, score: r.score })),
    );
  });

  ctx.it("CSV without a header", async () => {
    const p = path.join(ctx.tempDir(), "nohdr");
    await frame(ctx.spark).select("id", "name").write.format("csv").save(p);
    const back = ctx.spark.read.csv(p, { schema: "id INT, name STRING" });
    assertRows(await back.collect(), ROWS.map((r) => ({ id: r.id, name: r.name })));
  });

  ctx.it("JSON: write then read back", async () => {
    const p = path.join(ctx.tempDir(), "out.json");
    await frame(ctx.spark).select("id", "name", "score").write.json(p);
    const back = ctx.spark.read.format("json").schema("id INT, name STRING, score DOUBLE").load(p);
    assertRows(await back.collect(), ROWS.map((r) => ({ id: r.id, name: r.name, score: r.score })));
  });

  ctx.it("partitionBy writes k=v directories and reading them back restores the column", async () => {
    const p = path.join(ctx.tempDir(), "by_country");
    const rows: Row[] = [
      { name: "Ann", country: "FR", n: 1 },
      { name: "Bob", country: "US", n: 2 },
      { name: "Cy", country: "US", n: 3 },
    ];
    await ctx.spark.createDataFrame(rows, "name STRING, country STRING, n INT").write.mode("overwrite").partitionBy("country").parquet(p);
    const dirs = fs.readdirSync(p).filter((e) => fs.statSync(path.join(p, e)).isDirectory()).sort();
    assert.deepEqual(dirs, ["country=FR", "country=US"]);
    assertRows(await ctx.spark.read.parquet(p).select("name", "country", "n").collect(), rows);
  });

  ctx.it("partitionBy with a null partition value reads back as null", async () => {
    const p = path.join(ctx.tempDir(), "nullpart");
    const rows: Row[] = [
      { name: "Ann", country: "FR" },
      { name: "Nobody", country: null },
    ];
    await ctx.spark.createDataFrame(rows, "name STRING, country STRING").write.partitionBy("country").parquet(p);
    assertRows(await ctx.spark.read.parquet(p).select("name", "country").collect(), rows);
  });

  ctx.it("the default mode (error) refuses an existing path with an AnalysisError", async () => {
    const p = path.join(ctx.tempDir(), "exists");
    await frame(ctx.spark).write.parquet(p);
    await expectError(() => frame(ctx.spark).write.parquet(p), AnalysisError, "exists");
    await expectError(() => frame(ctx.spark).write.mode("error").parquet(p), AnalysisError);
    await expectError(() => frame(ctx.spark).write.mode("errorifexists").format("parquet").save(p), AnalysisError);
    assert.equal(await ctx.spark.read.parquet(p).count(), ROWS.length);
  });

  ctx.it("mode ignore leaves existing data; append adds; overwrite replaces", async () => {
    const p = path.join(ctx.tempDir(), "modes");
    await frame(ctx.spark).write.mode("overwrite").parquet(p);
    await ctx.spark.range(100).write.mode("ignore").parquet(p);
    assertRows(await ctx.spark.read.parquet(p).collect(), ROWS);

    await frame(ctx.spark).filter(F.col("id").le(2)).write.mode("append").parquet(p);
    assert.equal(await ctx.spark.read.parquet(p).count(), ROWS.length + 2);
    assertRows(await ctx.spark.read.parquet(p).groupBy("id").count().collect(), [
      { id: 1, count: 2 },
      { id: 2, count: 2 },
      { id: 3, count: 1 },
      { id: 4, count: 1 },
    ]);

    await ctx.spark.createDataFrame([{ id: 9, name: "only", score: 9.5, day: null }], SCHEMA).write.mode("overwrite").parquet(p);
    assertRows(await ctx.spark.read.parquet(p).collect(), [{ id: 9, name: "only", score: 9.5, day: null }]);

    const fresh = path.join(ctx.tempDir(), "fresh");
    await frame(ctx.spark).write.mode("ignore").parquet(fresh);
    assert.equal(await ctx.spark.read.parquet(fresh).count(), ROWS.length, "ignore writes when the path is new");
    const fresh2 = path.join(ctx.tempDir(), "fresh2");
    await frame(ctx.spark).write.mode("append").parquet(fresh2);
    assert.equal(await ctx.spark.read.parquet(fresh2).count(), ROWS.length, "append creates a new path");
  });

  ctx.it("overwriting a path that is also the input never loses data", { feature: "write.atomic" }, async () => {
    // An engine may refuse this (AnalysisError) or, writing atomically, allow it. Spark 4.x local
    // deletes the input first and loses it, hence the write.atomic marker.
    // Either way the data must survive: old rows on refusal, new rows on success.
    const p = path.join(ctx.tempDir(), "self");
    await ctx.spark.range(10).write.parquet(p);
    const next = ctx.spark.read.parquet(p).select(F.col("id").plus(100).alias("id"));
    let refused = false;
    try {
      await next.write.mode("overwrite").parquet(p);
    } catch (e) {
      assert.ok(e instanceof AnalysisError, `expected success or AnalysisError, got ${String(e)}`);
      refused = true;
    }
    assertRows(
      await ctx.spark.read.parquet(p).collect(),
      Array.from({ length: 10 }, (_, i) => ({ id: refused ? i : i + 100 })),
    );
  });

  ctx.it("an unknown save mode is an error naming it", async () => {
    const p = path.join(ctx.tempDir(), "never");
    await expectError(() => frame(ctx.spark).write.mode("sometimes").parquet(p), QuarryError, "sometimes");
  });

  ctx.it("a failed overwrite leaves the previous output intact", { feature: "write.atomic" }, async () => {
    const root = ctx.tempDir();
    const p = path.join(root, "target");
    await frame(ctx.spark).write.mode("overwrite").parquet(p);
    const filesBefore = listFiles(p);
    await expectError(() => failingFrame(ctx.spark).write.mode("overwrite").parquet(p), QuarryError);
    assert.deepEqual(listFiles(p), filesBefore, "the target's files are unchanged");
    assert.deepEqual(fs.readdirSync(root), ["target"], "no temporary output is left beside the target");
    assertRows(await ctx.spark.read.parquet(p).collect(), ROWS);
  });

  ctx.it("a failed write to a new path leaves nothing behind", { feature: "write.atomic" }, async () => {
    const root = ctx.tempDir();
    const p = path.join(root, "new-target");
    await expectError(() => failingFrame(ctx.spark).write.format("csv").save(p), QuarryError);
    assert.equal(fs.existsSync(p), false, "no partial output at the target");
    assert.deepEqual(fs.readdirSync(root), [], "no temporary output left behind");
  });

  ctx.it("a failed partitioned overwrite leaves every partition intact", { feature: "write.atomic" }, async () => {
    const root = ctx.tempDir();
    const p = path.join(root, "parts");
    const good = ctx.spark.range(20).select(F.col("id"), F.col("id").mod(4).alias("part"));
    await good.write.mode("overwrite").partitionBy("part").parquet(p);
    const filesBefore = listFiles(p);
    const bad = failingFrame(ctx.spark).select(F.col("n"), F.col("id").mod(4).alias("part"));
    await expectError(() => bad.write.mode("overwrite").partitionBy("part").parquet(p), QuarryError);
    assert.deepEqual(listFiles(p), filesBefore);
    assert.equal(await ctx.spark.read.parquet(p).count(), 20);
  });
});
