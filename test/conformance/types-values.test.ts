import assert from "node:assert/strict";
import path from "node:path";
import { F, ExecutionError } from "quarry";
import { conformance, assertRows, expectError, utcDate, type Row, simpleField } from "./harness.js";

const NASTY_STRINGS = [
  "x'; DROP TABLE t; --",
  'say "hi"',
  "it's",
  "back`tick",
  "back\\slash \\' \\\"",
  "tab\there\nnew line\r\n",
  "naïve café",
  "日本語テキスト",
  "😀👍🏽",
  "$1 ? :name @p %s {0}",
  "",
  "   ",
];

const NASTY_NAMES = ["first name", "it's", 'say "hi"', "back`tick", "naïve", "名前", "x'; DROP TABLE t; --", "a.b", "UPPER lower"];

/** Spark's quoted identifier form: `...` with backticks doubled. */
const quoteIdent = (n: string) => "`" + n.replace(/`/g, "``") + "`";

conformance("types and values", (ctx) => {
  ctx.it("every simple type, arrays and structs round-trip through createDataFrame/collect", async () => {
    const rows: Row[] = [
      {
        i: 2147483647,
        l: 9007199254740991,
        d: 1.5e-300,
        s: "text",
        b: true,
        dt: utcDate(2024, 2, 29),
        ts: new Date("2024-03-10T01:30:00.123Z"),
        arr: ["a", null, "c"],
        st: { a: 1, b: "x" },
      },
      { i: -2147483648, l: -9007199254740991, d: -0.0, s: "", b: false, dt: utcDate(1, 1, 1), ts: new Date(0), arr: [], st: { a: null, b: null } },
      { i: null, l: null, d: null, s: null, b: null, dt: null, ts: null, arr: null, st: null },
    ];
    const df = ctx.spark.createDataFrame(
      rows,
      "i INT, l BIGINT, d DOUBLE, s STRING, b BOOLEAN, dt DATE, ts TIMESTAMP, arr ARRAY<STRING>, st STRUCT<a: INT, b: STRING>",
    );
    assert.deepEqual((await df.schema()).fields.map(simpleField).map((f) => f.type), [
      "int",
      "bigint",
      "double",
      "string",
      "boolean",
      "date",
      "timestamp",
      "array<string>",
      "struct<a:int,b:string>",
    ]);
    const back = await df.collect();
    assertRows(back, rows, { sortBy: ["i"] });
    for (const r of back) {
      if (r.ts !== null) assert.ok(r.ts instanceof Date, "timestamps are Dates");
      if (r.dt !== null) assert.ok(r.dt instanceof Date, "dates are Dates");
      if (r.l !== null) assert.equal(typeof r.l, "number", "exact 64-bit values are numbers by default");
    }
  });

  ctx.it("NaN and infinities round-trip", async () => {
    const rows = await ctx.spark
      .createDataFrame([{ x: NaN }, { x: Infinity }, { x: -Infinity }], "x DOUBLE")
      .collect();
    const xs = rows.map((r) => r.x as number);
    assert.equal(xs.filter((x) => Number.isNaN(x)).length, 1);
    assert.ok(xs.includes(Infinity));
    assert.ok(xs.includes(-Infinity));
  });

  ctx.it("nested fields of structs and elements of arrays are selectable", async () => {
    const df = ctx.spark.createDataFrame(
      [{ st: { a: 5, b: "five" }, arr: [10, 20, 30] }],
      "st STRUCT<a: INT, b: STRING>, arr ARRAY<INT>",
    );
    const rows = await df
      .select(F.col("st.a").alias("a"), F.col("st.b").alias("b"), F.expr("arr[1]").alias("second"), F.expr("st.b").alias("b2"))
      .collect();
    // Spark's array subscript is 0-based.
    assert.deepEqual(rows, [{ a: 5, b: "five", second: 20, b2: "five" }]);
  });

  ctx.it("a 64-bit value beyond 2^53 is an ExecutionError by default, never a rounded number", async () => {
    const df = ctx.spark.range(1).select(F.expr("CAST(9007199254740993 AS BIGINT)").alias("big"));
    await expectError(() => df.collect(), ExecutionError, "big", "quarry.int64");
    const neg = ctx.spark.range(1).select(F.expr("CAST(-9007199254740993 AS BIGINT)").alias("neg"));
    await expectError(() => neg.collect(), ExecutionError, "neg");
    // The largest exact value is fine.
    const ok = ctx.spark.range(1).select(F.expr("CAST(9007199254740991 AS BIGINT)").alias("m"));
    assert.deepEqual(await ok.collect(), [{ m: 9007199254740991 }]);
    // Counting and filtering on big values works; only the big value leaving the engine is refused.
    assert.equal(await df.count(), 1);
    assert.deepEqual(await df.select(F.col("big").minus(F.expr("CAST(9007199254740000 AS BIGINT)")).alias("d")).collect(), [{ d: 993 }]);
  });

  ctx.it("with quarry.int64=bigint, 64-bit columns come back as bigint, exactly", { feature: "int64.bigint" }, async () => {
    const s = await ctx.newSession({ "quarry.int64": "bigint" });
    const rows = await s
      .range(1)
      .select(
        F.expr("CAST(9007199254740993 AS BIGINT)").alias("big"),
        F.expr("CAST(-9223372036854775808 AS BIGINT)").alias("min"),
        F.lit(1).cast("int").alias("small_int"),
        F.lit(1.5).alias("dbl"),
      )
      .collect();
    assert.deepEqual(rows, [{ big: 9007199254740993n, min: -9223372036854775808n, small_int: 1, dbl: 1.5 }]);
    assert.deepEqual(await s.range(3).orderBy("id").collect(), [{ id: 0n }, { id: 1n }, { id: 2n }]);
    const back = await s.createDataFrame([{ l: 9007199254740993n }], "l BIGINT").collect();
    assert.deepEqual(back, [{ l: 9007199254740993n }]);
    await s.stop();
  });

  ctx.it("strings with quotes, backslashes, control characters, unicode and SQL syntax round-trip as data", async () => {
    const df = ctx.spark.createDataFrame(NASTY_STRINGS.map((s, i) => ({ i, s })), "i INT, s STRING");
    assertRows(await df.collect(), NASTY_STRINGS.map((s, i) => ({ i, s })));
    for (const s of NASTY_STRINGS) {
      const rows = await df.filter(F.col("s").eq(s)).select("i").collect();
      assert.deepEqual(rows, [{ i: NASTY_STRINGS.indexOf(s) }], `filter on ${JSON.stringify(s)}`);
    }
    const lits = await ctx.spark.range(1).select(...NASTY_STRINGS.map((s, i) => F.lit(s).alias(`c${i}`))).collect();
    assert.deepEqual(lits, [Object.fromEntries(NASTY_STRINGS.map((s, i) => [`c${i}`, s]))]);
  });

  ctx.it("a SQL-injection-looking literal is only data: the table it names survives", async () => {
    await ctx.spark.createDataFrame([{ v: 1 }, { v: 2 }], "v INT").createOrReplaceTempView("t");
    const evil = "x'; DROP TABLE t; --";
    const rows = await ctx.spark
      .table("t")
      .select(F.col("v"), F.lit(evil).alias("s"), F.concat(F.lit(evil), F.col("v").cast("string")).alias("c"))
      .filter(F.col("s").eq(evil))
      .collect();
    assertRows(rows, [
      { v: 1, s: evil, c: evil + "1" },
      { v: 2, s: evil, c: evil + "2" },
    ]);
    assert.equal((await ctx.spark.sql("SELECT count(*) AS n FROM t").first())?.n, 2);
    assert.equal(await ctx.spark.table("t").select(F.lit(evil).alias("s")).filter(F.col("s").isin(evil, "other")).count(), 2);
    assert.equal(await ctx.spark.table("t").filter(F.col("v").cast("string").like(evil)).count(), 0);
  });

  ctx.it("column names with spaces, quotes, backticks, dots, unicode and SQL syntax", async () => {
    const row = Object.fromEntries(NASTY_NAMES.map((n, i) => [n, i]));
    const df = ctx.spark.createDataFrame([row]);
    assert.deepEqual(await df.columns(), NASTY_NAMES);
    assert.deepEqual(await df.collect(), [row]);
    for (const [i, n] of NASTY_NAMES.entries()) {
      assert.deepEqual(await df.select(F.col(quoteIdent(n)).alias("v")).collect(), [{ v: i }], `F.col of ${n}`);
      assert.deepEqual(await df.selectExpr(`${quoteIdent(n)} AS v`).collect(), [{ v: i }], `selectExpr of ${n}`);
    }
    // Names without dots or backticks need no quoting in the DataFrame API.
    assert.deepEqual(await df.select("first name", "it's", 'say "hi"', "名前").collect(), [
      { "first name": 0, "it's": 1, 'say "hi"': 2, 名前: 5 },
    ]);
    assert.deepEqual(await df.select(F.col("x'; DROP TABLE t; --")).collect(), [{ "x'; DROP TABLE t; --": 6 }]);
  });

  ctx.it("nasty column names through withColumn, withColumnRenamed, groupBy, SQL and Parquet", async () => {
    const df = ctx.spark.createDataFrame(
      [
        { k: "a", v: 1 },
        { k: "a", v: 2 },
        { k: "b", v: 3 },
      ],
      "k STRING, v INT",
    );
    const odd = df
      .withColumnRenamed("k", "it's `key`")
      .withColumn('say "v"', F.col("v").multiply(10))
      .withColumn("x'; DROP TABLE t; --", F.lit(1));
    assert.deepEqual(await odd.columns(), ["it's `key`", "v", 'say "v"', "x'; DROP TABLE t; --"]);
    assertRows(await odd.groupBy(F.col(quoteIdent("it's `key`"))).agg(F.sum('say "v"').alias("s")).collect(), [
      { "it's `key`": "a", s: 30 },
      { "it's `key`": "b", s: 30 },
    ]);
    await odd.createOrReplaceTempView("odd_names");
    assertRows(await ctx.spark.sql("SELECT `it's ``key```, `say \"v\"` FROM odd_names WHERE v = 3").collect(), [
      { "it's `key`": "b", 'say "v"': 30 },
    ]);
    const p = path.join(ctx.tempDir(), "odd.parquet");
    await odd.write.parquet(p);
    const back = ctx.spark.read.parquet(p);
    assert.deepEqual(await back.columns(), ["it's `key`", "v", 'say "v"', "x'; DROP TABLE t; --"]);
    assert.equal(await back.count(), 3);
  });

  ctx.it("empty string and null are different", async () => {
    const df = ctx.spark.createDataFrame([{ s: "" }, { s: null }, { s: " " }], "s STRING");
    assert.equal(await df.filter(F.col("s").isNull()).count(), 1);
    assert.equal(await df.filter(F.col("s").eq("")).count(), 1);
    assert.deepEqual(
      (await df.select(F.length(F.col("s")).alias("n")).collect()).map((r) => r.n).sort(),
      [0, 1, null],
    );
  });

  ctx.it("empty frames keep their schema", async () => {
    const df = ctx.spark.createDataFrame([], "a INT, b STRING");
    assert.equal(await df.count(), 0);
    assert.deepEqual(await df.collect(), []);
    assert.deepEqual(await df.columns(), ["a", "b"]);
    assert.deepEqual((await df.schema()).fields.map(simpleField).map((f) => f.type), ["int", "string"]);
    const derived = df.filter(F.col("a").gt(1)).select(F.col("a").plus(1).alias("c"), F.upper(F.col("b")).alias("u"));
    assert.deepEqual(await derived.collect(), []);
    assert.deepEqual(await derived.columns(), ["c", "u"]);
    assert.equal((await ctx.spark.range(0).toArrow()).numRows, 0);
  });

  ctx.it("a timestamp string is read in the session time zone (UTC by default)", async () => {
    const rows = await ctx.spark.range(1).select(F.to_timestamp(F.lit("2024-03-10 01:30:00")).alias("t")).collect();
    assert.deepEqual(rows, [{ t: new Date("2024-03-10T01:30:00Z") }]);
    const cast = await ctx.spark.range(1).select(F.lit("2024-03-10 01:30:00").cast("timestamp").alias("t")).collect();
    assert.deepEqual(cast, [{ t: new Date("2024-03-10T01:30:00Z") }]);
  });

  ctx.it("spark.sql.session.timeZone changes which instant a wall-clock string means", { feature: "session.multiple" }, async () => {
    const ny = await ctx.newSession({ "spark.sql.session.timeZone": "America/New_York" });
    assert.equal(await ny.conf.get("spark.sql.session.timeZone"), "America/New_York");
    // 01:30 on 2024-03-10 is still EST (UTC-5): DST starts at 02:00 that night.
    const t = ny.range(1).select(F.to_timestamp(F.lit("2024-03-10 01:30:00")).alias("t"));
    assert.deepEqual(await t.collect(), [{ t: new Date("2024-03-10T06:30:00Z") }]);
    // After the switch it is EDT (UTC-4).
    const summer = ny.range(1).select(F.to_timestamp(F.lit("2024-07-01 12:00:00")).alias("t"));
    assert.deepEqual(await summer.collect(), [{ t: new Date("2024-07-01T16:00:00Z") }]);
    // The same string in the default session means a different instant.
    const utc = await ctx.spark.range(1).select(F.to_timestamp(F.lit("2024-03-10 01:30:00")).alias("t")).collect();
    assert.notEqual((utc[0].t as Date).getTime(), new Date("2024-03-10T06:30:00Z").getTime());

    // conf.set at run time takes effect for later queries.
    await ny.conf.set("spark.sql.session.timeZone", "Asia/Tokyo");
    const tokyo = ny.range(1).select(F.to_timestamp(F.lit("2024-03-10 01:30:00")).alias("t"));
    assert.deepEqual(await tokyo.collect(), [{ t: new Date("2024-03-09T16:30:00Z") }]);
    await ny.stop();
  });

  ctx.it("an instant shows its wall-clock time and date in the session time zone", { feature: "session.multiple" }, async () => {
    const instants = [
      { id: 1, ts: new Date("2024-03-10T07:30:00Z") },
      { id: 2, ts: new Date("2024-03-10T03:00:00Z") },
    ];
    const shape = (spark: typeof ctx.spark) =>
      spark
        .createDataFrame(instants, "id INT, ts TIMESTAMP")
        .select(
          F.col("id"),
          F.col("ts"),
          F.col("ts").cast("string").alias("wall"),
          F.to_date(F.col("ts")).cast("string").alias("day"),
          F.dayofmonth(F.col("ts")).alias("dom"),
        );
    assertRows(await shape(ctx.spark).collect(), [
      { id: 1, ts: instants[0].ts, wall: "2024-03-10 07:30:00", day: "2024-03-10", dom: 10 },
      { id: 2, ts: instants[1].ts, wall: "2024-03-10 03:00:00", day: "2024-03-10", dom: 10 },
    ]);
    const ny = await ctx.newSession({ "spark.sql.session.timeZone": "America/New_York" });
    assertRows(await shape(ny).collect(), [
      { id: 1, ts: instants[0].ts, wall: "2024-03-10 03:30:00", day: "2024-03-10", dom: 10 },
      { id: 2, ts: instants[1].ts, wall: "2024-03-09 22:00:00", day: "2024-03-09", dom: 9 },
    ]);
    // A DATE has no time zone: the same date string in either session.
    const d = (spark: typeof ctx.spark) =>
      spark.createDataFrame([{ d: utcDate(2024, 2, 29) }], "d DATE").select(F.col("d").cast("string").alias("s")).collect();
    assert.deepEqual(await d(ctx.spark), [{ s: "2024-02-29" }]);
    assert.deepEqual(await d(ny), [{ s: "2024-02-29" }]);
    await ny.stop();
  });

  ctx.it("booleans, and comparisons producing booleans", async () => {
    const rows = await ctx.spark
      .createDataFrame([{ a: 1, b: 2 }], "a INT, b INT")
      .select(F.col("a").lt(F.col("b")).alias("lt"), F.col("a").eq(F.col("b")).alias("eq"), F.lit(true).and(F.lit(false)).alias("tf"))
      .collect();
    assert.deepEqual(rows, [{ lt: true, eq: false, tf: false }]);
  });
});
