import assert from "node:assert/strict";
import { F, ExecutionError } from "quarry";
import { conformance, assertRows, assertApprox, expectError, utcDate, simpleField } from "./harness.js";

conformance("expressions and functions", (ctx) => {
  ctx.it("integer arithmetic; / always returns a double; % keeps the dividend's sign", async () => {
    const df = ctx.spark.createDataFrame(
      [
        { a: 7, b: 2 },
        { a: -7, b: 3 },
        { a: 0, b: 5 },
      ],
      "a INT, b INT",
    );
    const out = df.select(
      F.col("a"),
      F.col("a").plus(F.col("b")).alias("add"),
      F.col("a").minus(F.col("b")).alias("sub"),
      F.col("a").multiply(F.col("b")).alias("mul"),
      F.col("a").divide(F.col("b")).alias("div"),
      F.col("a").mod(F.col("b")).alias("mod"),
    );
    assertRows(
      await out.collect(),
      [
        { a: 7, add: 9, sub: 5, mul: 14, div: 3.5, mod: 1 },
        { a: -7, add: -4, sub: -10, mul: -21, div: -7 / 3, mod: -1 },
        { a: 0, add: 5, sub: -5, mul: 0, div: 0, mod: 0 },
      ],
      { relTol: 1e-15 },
    );
    const types = Object.fromEntries((await out.schema()).fields.map(simpleField).map((f) => [f.name, f.type]));
    assert.equal(types.add, "int");
    assert.equal(types.mul, "int");
    assert.equal(types.div, "double");
  });

  ctx.it("arithmetic with literals and doubles", async () => {
    const rows = await ctx.spark
      .createDataFrame([{ x: 1.5, i: 4 }], "x DOUBLE, i INT")
      .select(
        F.col("x").plus(1).alias("a"),
        F.col("x").multiply(F.col("i")).alias("b"),
        F.col("i").divide(8).alias("c"),
        F.lit(10).minus(F.col("i")).alias("d"),
        F.col("x").minus(0.25).alias("e"),
      )
      .collect();
    assert.deepEqual(rows, [{ a: 2.5, b: 6, c: 0.5, d: 6, e: 1.25 }]);
  });

  ctx.it("null propagates through arithmetic", async () => {
    const rows = await ctx.spark
      .createDataFrame([{ a: null, b: 2 }], "a INT, b INT")
      .select(F.col("a").plus(F.col("b")).alias("s"), F.col("b").multiply(F.col("a")).alias("m"))
      .collect();
    assert.deepEqual(rows, [{ s: null, m: null }]);
  });

  ctx.it("default output names follow Spark", async () => {
    const df = ctx.spark.createDataFrame([{ a: 1, s: "x" }], "a INT, s STRING");
    assert.deepEqual(await df.select(F.col("a").plus(1), F.upper(F.col("s"))).columns(), ["(a + 1)", "upper(s)"]);
    assert.deepEqual(await df.select(F.col("a").plus(1), F.upper(F.col("s"))).collect(), [
      { "(a + 1)": 2, "upper(s)": "X" },
    ]);
  });

  ctx.it("literals of each kind", async () => {
    const rows = await ctx.spark
      .range(1)
      .select(
        F.lit("s").alias("s"),
        F.lit(1.5).alias("d"),
        F.lit(7).alias("i"),
        F.lit(true).alias("b"),
        F.lit(null).alias("n"),
      )
      .collect();
    assert.deepEqual(rows, [{ s: "s", d: 1.5, i: 7, b: true, n: null }]);
  });

  ctx.it("when / otherwise, chained when, and when without otherwise", async () => {
    const df = ctx.spark.createDataFrame([{ a: 5 }, { a: 15 }, { a: 25 }, { a: null }], "a INT");
    const rows = await df
      .select(
        F.col("a"),
        F.when(F.col("a").lt(10), F.lit("low"))
          .when(F.col("a").lt(20), F.lit("mid"))
          .otherwise(F.lit("high"))
          .alias("band"),
        F.when(F.col("a").gt(10), F.col("a").multiply(10)).alias("big"),
      )
      .collect();
    assertRows(rows, [
      { a: 5, band: "low", big: null },
      { a: 15, band: "mid", big: 150 },
      { a: 25, band: "high", big: 250 },
      { a: null, band: "high", big: null },
    ]);
  });

  ctx.it("coalesce picks the first non-null", async () => {
    const df = ctx.spark.createDataFrame(
      [
        { a: null, b: null },
        { a: null, b: 2 },
        { a: 1, b: 2 },
      ],
      "a INT, b INT",
    );
    const rows = await df.select(F.col("a"), F.col("b"), F.coalesce(F.col("a"), F.col("b"), F.lit(0)).alias("c")).collect();
    assertRows(rows, [
      { a: null, b: null, c: 0 },
      { a: null, b: 2, c: 2 },
      { a: 1, b: 2, c: 1 },
    ]);
  });

  ctx.it("concat; any null argument gives null", async () => {
    const df = ctx.spark.createDataFrame(
      [
        { a: "ab", b: "cd" },
        { a: "x", b: null },
        { a: "日本", b: "語" },
      ],
      "a STRING, b STRING",
    );
    const rows = await df.select(F.col("a"), F.concat(F.col("a"), F.lit("-"), F.col("b")).alias("c")).collect();
    assertRows(rows, [
      { a: "ab", c: "ab-cd" },
      { a: "x", c: null },
      { a: "日本", c: "日本-語" },
    ]);
  });

  ctx.it("upper, lower and length on unicode strings (length counts characters)", async () => {
    const input = ["héllo", "émile", "ÇA VA", "日本語", "😀", "", null];
    const df = ctx.spark.createDataFrame(input.map((s) => ({ s })), "s STRING");
    const rows = await df
      .select(F.col("s"), F.upper(F.col("s")).alias("u"), F.lower(F.col("s")).alias("l"), F.length(F.col("s")).alias("n"))
      .collect();
    assertRows(
      rows,
      input.map((s) => ({
        s,
        u: s === null ? null : s.toUpperCase(),
        l: s === null ? null : s.toLowerCase(),
        n: s === null ? null : [...s].length,
      })),
    );
  });

  ctx.it("substring is 1-based; 0 means 1; negative counts from the end", async () => {
    const df = ctx.spark.createDataFrame([{ s: "hello" }], "s STRING");
    const rows = await df
      .select(
        F.substring(F.col("s"), 2, 3).alias("a"),
        F.substring(F.col("s"), 1, 100).alias("b"),
        F.substring(F.col("s"), 0, 3).alias("c"),
        F.substring(F.col("s"), -3, 2).alias("d"),
        F.substring(F.col("s"), 10, 2).alias("e"),
        F.substring(F.col("s"), -10, 3).alias("f"),
      )
      .collect();
    assert.deepEqual(rows, [{ a: "ell", b: "hello", c: "hel", d: "ll", e: "", f: "" }]);
    const u = await ctx.spark
      .createDataFrame([{ s: "日本語テキスト" }, { s: "😀ab" }], "s STRING")
      .select(F.col("s"), F.substring(F.col("s"), 2, 2).alias("t"))
      .collect();
    assertRows(u, [
      { s: "日本語テキスト", t: "本語" },
      { s: "😀ab", t: "ab" },
    ]);
  });

  ctx.it("round is HALF_UP (away from zero on ties)", async () => {
    const xs = [2.5, -2.5, 0.5, -0.5, 1.25, 3.14159, 1.5];
    const df = ctx.spark.createDataFrame(xs.map((x) => ({ x })), "x DOUBLE");
    const rows = await df
      .select(F.col("x"), F.round(F.col("x")).alias("r0"), F.round(F.col("x"), 1).alias("r1"), F.round(F.col("x"), 2).alias("r2"))
      .collect();
    assertRows(
      rows,
      [
        { x: 2.5, r0: 3, r1: 2.5, r2: 2.5 },
        { x: -2.5, r0: -3, r1: -2.5, r2: -2.5 },
        { x: 0.5, r0: 1, r1: 0.5, r2: 0.5 },
        { x: -0.5, r0: -1, r1: -0.5, r2: -0.5 },
        { x: 1.25, r0: 1, r1: 1.3, r2: 1.25 },
        { x: 3.14159, r0: 3, r1: 3.1, r2: 3.14 },
        { x: 1.5, r0: 2, r1: 1.5, r2: 1.5 },
      ],
      { relTol: 1e-15 },
    );
    const ints = await ctx.spark.createDataFrame([{ i: 7 }], "i INT").select(F.round(F.col("i")).alias("r")).collect();
    assert.deepEqual(ints, [{ r: 7 }]);
  });

  ctx.it("round rounds the decimal a double prints as (2.675 -> 2.68, like Spark)", async () => {
    const rows = await ctx.spark
      .createDataFrame([{ x: 2.675 }, { x: 1.005 }], "x DOUBLE")
      .select(F.col("x"), F.round(F.col("x"), 2).alias("r"))
      .collect();
    assertRows(rows, [
      { x: 1.005, r: 1.01 },
      { x: 2.675, r: 2.68 },
    ]);
  });

  ctx.it("abs, sqrt, exp, log, pow", async () => {
    const rows = await ctx.spark
      .createDataFrame([{ x: -2.5, y: 16.0, z: 0.0 }], "x DOUBLE, y DOUBLE, z DOUBLE")
      .select(
        F.abs(F.col("x")).alias("abs"),
        F.sqrt(F.col("y")).alias("sqrt"),
        F.exp(F.col("z")).alias("exp0"),
        F.exp(F.lit(1.0)).alias("exp1"),
        F.log(F.lit(Math.E)).alias("lnE"),
        F.log(F.col("y")).alias("ln16"),
        F.pow(F.lit(2.0), F.lit(10.0)).alias("pow"),
        F.pow(F.col("y"), F.lit(0.5)).alias("pow2"),
      )
      .collect();
    const r = rows[0];
    assert.equal(r.abs, 2.5);
    assert.equal(r.sqrt, 4);
    assert.equal(r.exp0, 1);
    assertApprox(r.exp1, Math.E, 1e-15);
    assertApprox(r.lnE, 1, 1e-15);
    assertApprox(r.ln16, Math.log(16), 1e-15);
    assert.equal(r.pow, 1024);
    assert.equal(r.pow2, 4);
  });

  ctx.it("log of zero or a negative is null; sqrt of a negative is NaN", async () => {
    const rows = await ctx.spark
      .createDataFrame([{ x: 0.0 }, { x: -1.0 }], "x DOUBLE")
      .select(F.col("x"), F.log(F.col("x")).alias("ln"), F.sqrt(F.col("x")).alias("sq"))
      .orderBy("x")
      .collect();
    assert.equal(rows.length, 2);
    assert.equal(rows[0].ln, null);
    assert.equal(rows[1].ln, null);
    assert.ok(Number.isNaN(rows[0].sq), `sqrt(-1) should be NaN, got ${String(rows[0].sq)}`);
    assert.equal(rows[1].sq, 0);
  });

  ctx.it("cast between strings, numbers, booleans and dates", async () => {
    const rows = await ctx.spark
      .createDataFrame(
        [{ s: "123", d: "12.5", f: 3.7, g: -3.7, i: 42, b: true, dt: utcDate(2024, 2, 29), ds: "2024-02-29", one: 1.0, t: "true" }],
        "s STRING, d STRING, f DOUBLE, g DOUBLE, i INT, b BOOLEAN, dt DATE, ds STRING, one DOUBLE, t STRING",
      )
      .select(
        F.col("s").cast("int").alias("s_int"),
        F.col("d").cast("double").alias("d_double"),
        F.col("f").cast("int").alias("f_int"),
        F.col("g").cast("int").alias("g_int"),
        F.col("i").cast("string").alias("i_str"),
        F.col("i").cast("double").alias("i_double"),
        F.col("b").cast("string").alias("b_str"),
        F.col("dt").cast("string").alias("dt_str"),
        F.col("ds").cast("date").alias("ds_date"),
        F.col("one").cast("string").alias("one_str"),
        F.col("t").cast("boolean").alias("t_bool"),
        F.col("i").cast("bigint").alias("i_long"),
      )
      .collect();
    assert.deepEqual(rows, [
      {
        s_int: 123,
        d_double: 12.5,
        f_int: 3,
        g_int: -3,
        i_str: "42",
        i_double: 42,
        b_str: "true",
        dt_str: "2024-02-29",
        ds_date: utcDate(2024, 2, 29),
        one_str: "1.0",
        t_bool: true,
        i_long: 42,
      },
    ]);
  });

  ctx.it("cast types show in the schema", async () => {
    const df = ctx.spark
      .createDataFrame([{ i: 1 }], "i INT")
      .select(
        F.col("i").cast("string").alias("a"),
        F.col("i").cast("double").alias("b"),
        F.col("i").cast("bigint").alias("c"),
        F.col("i").cast("boolean").alias("d"),
        F.lit("2024-01-01").cast("date").alias("e"),
        F.lit("2024-01-01 00:00:00").cast("timestamp").alias("f"),
      );
    assert.deepEqual(
      (await df.schema()).fields.map(simpleField).map((f) => f.type),
      ["string", "double", "bigint", "boolean", "date", "timestamp"],
    );
  });

  ctx.it("casting an invalid string to int fails (ANSI)", async () => {
    const df = ctx.spark.createDataFrame([{ s: "12" }, { s: "abc" }], "s STRING").select(F.col("s").cast("int").alias("n"));
    await expectError(() => df.collect(), ExecutionError, "abc");
  });

  ctx.it("casting an out-of-range double to int fails (ANSI)", async () => {
    const df = ctx.spark.createDataFrame([{ x: 1e10 }], "x DOUBLE").select(F.col("x").cast("int").alias("n"));
    await expectError(() => df.collect(), ExecutionError);
  });

  ctx.it("F.raise_error fails the query with its message only when a row reaches it", async () => {
    const df = ctx.spark.createDataFrame([{ v: 1 }, { v: 5 }], "v INT");
    const checked = (limit: number) => df.select(F.when(F.col("v").gt(limit), F.raise_error(`v above ${limit}: it's "too big"; lower it`)).otherwise(F.col("v")).alias("v"));
    assertRows(await checked(10).collect(), [{ v: 1 }, { v: 5 }]);
    await expectError(() => checked(3).collect(), ExecutionError, `v above 3: it's "too big"; lower it`);
  });

  ctx.it("F.expr and selectExpr accept SQL expressions", async () => {
    const df = ctx.spark.createDataFrame([{ a: 3 }, { a: -2 }], "a INT");
    const rows = await df
      .select(
        F.col("a"),
        F.expr("a * 2 + 1").alias("e"),
        F.expr("CASE WHEN a > 0 THEN 'pos' ELSE 'neg' END").alias("sign"),
      )
      .collect();
    assertRows(rows, [
      { a: 3, e: 7, sign: "pos" },
      { a: -2, e: -3, sign: "neg" },
    ]);
    assertRows(await df.selectExpr("a", "abs(a) AS m", "a % 2 = 0 AS even").collect(), [
      { a: 3, m: 3, even: false },
      { a: -2, m: 2, even: true },
    ]);
  });

  ctx.it("year, month, dayofmonth; to_date and to_timestamp with and without formats", async () => {
    const df = ctx.spark.createDataFrame(
      [{ d: utcDate(2024, 2, 29), s: "2024-02-29", f: "29/02/2024", ts: "2024-03-10 01:30:00", tf: "29/02/2024 13:45" }],
      "d DATE, s STRING, f STRING, ts STRING, tf STRING",
    );
    const rows = await df
      .select(
        F.year(F.col("d")).alias("y"),
        F.month(F.col("d")).alias("m"),
        F.dayofmonth(F.col("d")).alias("dom"),
        F.to_date(F.col("s")).alias("d1"),
        F.to_date(F.col("f"), "dd/MM/yyyy").alias("d2"),
        F.to_timestamp(F.col("ts")).alias("t1"),
        F.to_timestamp(F.col("tf"), "dd/MM/yyyy HH:mm").alias("t2"),
        F.year(F.to_date(F.col("f"), "dd/MM/yyyy")).alias("y2"),
      )
      .collect();
    assert.deepEqual(rows, [
      {
        y: 2024,
        m: 2,
        dom: 29,
        d1: utcDate(2024, 2, 29),
        d2: utcDate(2024, 2, 29),
        t1: new Date("2024-03-10T01:30:00Z"),
        t2: new Date("2024-02-29T13:45:00Z"),
        y2: 2024,
      },
    ]);
    const types = (await df.select(F.to_date(F.col("s")), F.to_timestamp(F.col("ts"))).schema()).fields.map(simpleField).map((f) => f.type);
    assert.deepEqual(types, ["date", "timestamp"]);
  });

  ctx.it("date parts of timestamps and pre-1970 dates", async () => {
    const rows = await ctx.spark
      .createDataFrame(
        [
          { d: utcDate(1969, 12, 31), t: new Date("1900-01-01T00:00:00Z") },
          { d: utcDate(2100, 12, 31), t: new Date("2024-12-31T23:59:59.999Z") },
        ],
        "d DATE, t TIMESTAMP",
      )
      .select(
        F.year(F.col("d")).alias("dy"),
        F.month(F.col("d")).alias("dm"),
        F.dayofmonth(F.col("d")).alias("dd"),
        F.year(F.col("t")).alias("ty"),
        F.month(F.col("t")).alias("tm"),
        F.dayofmonth(F.col("t")).alias("td"),
      )
      .collect();
    assertRows(rows, [
      { dy: 1969, dm: 12, dd: 31, ty: 1900, tm: 1, td: 1 },
      { dy: 2100, dm: 12, dd: 31, ty: 2024, tm: 12, td: 31 },
    ]);
  });

  ctx.it("current_timestamp is now", async () => {
    const before = Date.now();
    const rows = await ctx.spark.range(1).select(F.current_timestamp().alias("now")).collect();
    const after = Date.now();
    const now = rows[0].now;
    assert.ok(now instanceof Date, "current_timestamp returns a Date");
    assert.ok(now.getTime() >= before - 60_000 && now.getTime() <= after + 60_000, `current_timestamp ${now.toISOString()}`);
  });
});
