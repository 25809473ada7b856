import assert from "node:assert/strict";
import { F, ExecutionError } from "quarry";
import { conformance, assertRows, utcDate, captureStdout, simpleField } from "./harness.js";

conformance("session", (ctx) => {
  ctx.it("range(n) gives a 64-bit id column 0..n-1", async () => {
    const df = ctx.spark.range(5);
    assert.deepEqual(await df.columns(), ["id"]);
    assert.deepEqual((await df.schema()).fields.map(simpleField), [{ name: "id", type: "bigint", nullable: false }]);
    assertRows(await df.collect(), [0, 1, 2, 3, 4].map((id) => ({ id })));
    for (const r of await df.collect()) assert.equal(typeof r.id, "number");
  });

  ctx.it("range(start, end, step) and empty ranges", async () => {
    assertRows(await ctx.spark.range(2, 11, 3).collect(), [{ id: 2 }, { id: 5 }, { id: 8 }]);
    assertRows(await ctx.spark.range(10, 0, -4).collect(), [{ id: 10 }, { id: 6 }, { id: 2 }]);
    assertRows(await ctx.spark.range(3, 6).collect(), [{ id: 3 }, { id: 4 }, { id: 5 }]);
    assert.equal(await ctx.spark.range(0).count(), 0);
    assert.deepEqual(await ctx.spark.range(0).collect(), []);
  });

  ctx.it("createDataFrame with a DDL schema keeps the schema's names, types and order", async () => {
    const df = ctx.spark.createDataFrame(
      [
        { age: 30, name: "Ann" },
        { name: "Bob", age: null },
      ],
      "name STRING, age INT",
    );
    assert.deepEqual(await df.columns(), ["name", "age"]);
    assert.deepEqual(
      (await df.schema()).fields.map(simpleField).map((f) => [f.name, f.type, f.nullable]),
      [
        ["name", "string", true],
        ["age", "int", true],
      ],
    );
    assertRows(await df.collect(), [
      { name: "Ann", age: 30 },
      { name: "Bob", age: null },
    ]);
  });

  ctx.it("createDataFrame without a schema infers strings, numbers, booleans and dates", async () => {
    const df = ctx.spark.createDataFrame([
      { s: "x", n: 1.5, b: true, d: utcDate(2024, 1, 2) },
      { s: "y", n: -2.25, b: false, d: utcDate(1999, 12, 31) },
    ]);
    assert.deepEqual(await df.columns(), ["s", "n", "b", "d"]);
    const types = Object.fromEntries((await df.schema()).fields.map(simpleField).map((f) => [f.name, f.type]));
    assert.equal(types.s, "string");
    assert.equal(types.n, "double");
    assert.equal(types.b, "boolean");
    assert.ok(types.d === "timestamp" || types.d === "date", `JS Date infers a datetime type, got ${types.d}`);
    const rows = await df.orderBy("s").collect();
    assert.equal(rows[0].s, "x");
    assert.equal(rows[0].n, 1.5);
    assert.equal(rows[0].b, true);
    assert.equal((rows[1].d as Date).getTime(), utcDate(1999, 12, 31).getTime());
  });

  // Large frames of plain values are loaded into an engine table once on the embedded engine
  // (instead of a VALUES list re-parsed by every action); the rows themselves are the expected
  // values, every type of that path with nulls, NaN, infinities, extremes and unicode.
  ctx.it("createDataFrame of thousands of rows returns them exactly, also when a value needs a conversion", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      i: i % 97 === 0 ? null : i - 1500,
      d: i === 1 ? NaN : i === 2 ? Infinity : i === 3 ? -Infinity : i % 89 === 0 ? null : i / 7,
      s: i % 83 === 0 ? null : `row ${i} ü 漢 '"`,
      b: i % 79 === 0 ? null : i % 2 === 0,
      l: i === 4 ? 9007199254740991 : i === 5 ? -9007199254740991 : i * 1000003,
      t: i % 3 - 1,
    }));
    const df = ctx.spark.createDataFrame(rows, "i INT, d DOUBLE, s STRING, b BOOLEAN, l BIGINT, t TINYINT").withColumn("n", F.monotonically_increasing_id());
    const got = await df.orderBy("n").drop("n").collect();
    assert.equal(got.length, rows.length);
    got.forEach((r, k) => {
      const e = rows[k];
      assert.deepEqual({ ...r, l: Number(r["l"]) }, e, `row ${k}`);
    });
    const [agg] = await df.agg(F.count("i").alias("ni"), F.sum("t").alias("st"), F.count("s").alias("ns")).collect();
    assert.deepEqual([Number(agg["ni"]), Number(agg["st"]), Number(agg["ns"])], [rows.filter((r) => r.i !== null).length, rows.reduce((a, r) => a + r.t, 0), rows.filter((r) => r.s !== null).length]);
    // A string holding a number in an int column converts as before (and an unconvertible one fails).
    const mixedRows = rows.map((r, k) => ({ i: k === 10 ? "12" : r.i, t: r.t }));
    const mixed = ctx.spark.createDataFrame(mixedRows, "i INT, t TINYINT");
    const expected = mixedRows.filter((r) => r.t === 0).reduce((a, r) => a + Number(r.i ?? 0), 0);
    assert.equal(Number((await mixed.filter(F.col("t").eq(0)).agg(F.sum("i").alias("s")).collect())[0]["s"]), expected);
  });

  ctx.it("count, first, take, collect", async () => {
    const df = ctx.spark.range(10).orderBy(F.col("id").desc());
    assert.equal(await df.count(), 10);
    assert.deepEqual(await df.first(), { id: 9 });
    assert.deepEqual(await df.take(3), [{ id: 9 }, { id: 8 }, { id: 7 }]);
    assert.equal((await df.collect()).length, 10);
    const none = await ctx.spark.range(0).first();
    assert.ok(none === undefined || none === null, "first() of an empty frame is empty");
    assert.deepEqual(await ctx.spark.range(0).take(5), []);
  });

  ctx.it("spark.sql runs a query", async () => {
    assert.deepEqual(await ctx.spark.sql("SELECT 1 + 1 AS two, 'a' AS s").collect(), [{ two: 2, s: "a" }]);
  });

  ctx.it("conf.set / conf.get round-trip a runtime setting", async () => {
    await ctx.spark.conf.set("quarry.conformance.key", "some value");
    assert.equal(await ctx.spark.conf.get("quarry.conformance.key"), "some value");
    await ctx.spark.conf.set("quarry.conformance.key", "other");
    assert.equal(await ctx.spark.conf.get("quarry.conformance.key"), "other");
  });

  ctx.it("the session time zone defaults to UTC", async () => {
    assert.equal(await ctx.spark.conf.get("spark.sql.session.timeZone"), "UTC");
  });

  ctx.it("frames are immutable: every verb returns a new frame", async () => {
    const base = ctx.spark.range(5);
    const filtered = base.filter(F.col("id").gt(2));
    const renamed = base.withColumnRenamed("id", "x");
    assert.equal(await base.count(), 5);
    assert.equal(await filtered.count(), 2);
    assert.deepEqual(await base.columns(), ["id"]);
    assert.deepEqual(await renamed.columns(), ["x"]);
  });

  ctx.it("getOrCreate returns the active session", async () => {
    const again = await ctx.backend.session();
    assert.equal(again, ctx.spark);
  });

  ctx.it("a stopped session can be replaced by a new one", { feature: "session.multiple" }, async () => {
    const s = await ctx.newSession();
    assert.equal(await s.range(3).count(), 3);
    await s.stop();
    const s2 = await ctx.newSession();
    assert.equal(await s2.range(4).count(), 4);
    await s2.stop();
    // The suite's own session is unaffected.
    assert.equal(await ctx.spark.range(2).count(), 2);
  });

  ctx.it("cache / persist / unpersist leave results unchanged", async () => {
    const df = ctx.spark.range(100).select(F.col("id"), F.col("id").mod(7).alias("m"));
    const expected = Array.from({ length: 100 }, (_, id) => ({ id, m: id % 7 }));
    const cached = await df.cache();
    assertRows(await cached.collect(), expected);
    assert.equal(await cached.filter(F.col("m").eq(0)).count(), 15);
    const again = await cached.unpersist();
    assertRows(await again.collect(), expected);
    const persisted = await df.persist();
    assert.equal(await persisted.count(), 100);
    assertRows(await persisted.groupBy("m").count().filter(F.col("m").eq(6)).collect(), [{ m: 6, count: 14 }]);
    await persisted.unpersist();
  });

  ctx.it("toArrow returns an Arrow table with the rows", async () => {
    const t = await ctx.spark.range(7).select(F.col("id"), F.col("id").multiply(2).alias("twice")).toArrow();
    assert.equal(t.numRows, 7);
    assert.equal(t.numCols, 2);
  });

  ctx.it("show prints a Spark-style table", async () => {
    const df = ctx.spark
      .createDataFrame(
        [
          { name: "Ann", n: 30, ok: true },
          { name: "Bartholomew-the-long-name", n: 4, ok: false },
        ],
        "name STRING, n INT, ok BOOLEAN",
      )
      .orderBy(F.col("n").desc());
    const out = await captureStdout(() => df.show());
    assert.deepEqual(out.split("\n").filter((l) => l.trim() !== ""), [
      "+--------------------+---+-----+",
      "|                name|  n|   ok|",
      "+--------------------+---+-----+",
      "|                 Ann| 30| true|",
      "|Bartholomew-the-l...|  4|false|",
      "+--------------------+---+-----+",
    ]);
  });

  ctx.it("show(n, false) does not truncate and left-aligns", async () => {
    const df = ctx.spark
      .createDataFrame(
        [
          { name: "Ann", n: 30, ok: true },
          { name: "Bartholomew-the-long-name", n: 4, ok: false },
        ],
        "name STRING, n INT, ok BOOLEAN",
      )
      .orderBy(F.col("n").desc());
    const out = await captureStdout(() => df.show(20, false));
    assert.deepEqual(out.split("\n").filter((l) => l.trim() !== ""), [
      "+-------------------------+---+-----+",
      "|name                     |n  |ok   |",
      "+-------------------------+---+-----+",
      "|Ann                      |30 |true |",
      "|Bartholomew-the-long-name|4  |false|",
      "+-------------------------+---+-----+",
    ]);
  });

  ctx.it("show(n) shows n rows and says so", async () => {
    const df = ctx.spark
      .createDataFrame(
        [
          { name: "Ann", n: 30, ok: true },
          { name: "Bartholomew-the-long-name", n: 4, ok: false },
        ],
        "name STRING, n INT, ok BOOLEAN",
      )
      .orderBy(F.col("n").desc());
    const out = await captureStdout(() => df.show(1));
    assert.deepEqual(out.split("\n").filter((l) => l.trim() !== ""), [
      "+----+---+----+",
      "|name|  n|  ok|",
      "+----+---+----+",
      "| Ann| 30|true|",
      "+----+---+----+",
      "only showing top 1 row",
    ]);
  });

  ctx.it("printSchema prints Spark's tree", async () => {
    const df = ctx.spark.createDataFrame([{ name: "a", n: 1, x: 1.5 }], "name STRING, n INT, x DOUBLE");
    const out = await captureStdout(() => df.printSchema());
    const lines = out.split("\n").filter((l) => l.trim() !== "");
    assert.equal(lines[0], "root");
    assert.equal(lines[1], " |-- name: string (nullable = true)");
    assert.match(lines[2], /^ \|-- n: (integer|int) \(nullable = true\)$/);
    assert.equal(lines[3], " |-- x: double (nullable = true)");
  });

  ctx.it("explain prints a plan", async () => {
    const df = ctx.spark.range(10).filter(F.col("id").gt(3)).select(F.col("id").alias("x"));
    const out = await captureStdout(() => df.explain());
    assert.ok(out.trim().length > 0, "explain printed nothing");
  });
});

conformance("session: interruptAll", (ctx) => {
  ctx.it("interruptAll() cancels a running action, which rejects with OPERATION_CANCELED; the session goes on", async () => {
    // 4e10 pairs: minutes on any engine of this machine unless interrupted.
    const a = ctx.spark.range(200_000).toDF("a");
    const b = ctx.spark.range(200_000).toDF("b");
    const running = a.crossJoin(b).agg(F.sum(F.col("a").multiply(F.col("b"))).alias("s")).collect();
    const outcome = running.then(() => "finished", (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    await ctx.spark.interruptAll();
    const e = await outcome;
    assert.ok(e instanceof ExecutionError, `expected an ExecutionError, got ${String(e)}`);
    assert.equal(e.errorClass, "OPERATION_CANCELED");
    assert.ok(Date.now() - t0 < 15_000, `the action ended ${Date.now() - t0} ms after interruptAll()`);
    assert.equal(await ctx.spark.range(5).count(), 5, "the session works afterwards");
  });
});
