import assert from "node:assert/strict";
import { F } from "quarry";
import { conformance, assertRows, assertApprox, prng, pick, randInt, type Row, type Spark, simpleField } from "./harness.js";

// 1000 deterministic rows: k (string key with nulls), g (small int), v (int with nulls), x (double).
const KEYS = ["alpha", "beta", "gamma", "délta", "日本", "it's", 'say "hi"'];
function generate(n: number, seed: number): Row[] {
  const rnd = prng(seed);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      k: rnd() < 0.05 ? null : pick(rnd, KEYS),
      g: randInt(rnd, 0, 4),
      v: rnd() < 0.1 ? null : randInt(rnd, -1000, 1000),
      x: Math.round((rnd() * 200 - 100) * 1000) / 1000,
    });
  }
  return rows;
}
const DATA = generate(1000, 20240310);
const SCHEMA = "k STRING, g INT, v INT, x DOUBLE";
const frame = (spark: Spark) => spark.createDataFrame(DATA, SCHEMA);

/** Plain-JS group-by keyed by the JSON of the key values (null is its own group). */
function groupBy(rows: Row[], ...keys: string[]): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of rows) {
    const key = JSON.stringify(keys.map((k) => r[k]));
    const list = m.get(key);
    if (list) list.push(r);
    else m.set(key, [r]);
  }
  return m;
}
const nonNull = (xs: unknown[]) => xs.filter((x): x is number => x !== null);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
function sampleVariance(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = sum(xs) / xs.length;
  return sum(xs.map((x) => (x - m) ** 2)) / (xs.length - 1);
}

conformance("aggregate", (ctx) => {
  ctx.it("groupBy().agg over generated data matches a plain-JS reference (null keys form a group)", async () => {
    const rows = await frame(ctx.spark)
      .groupBy("k")
      .agg(
        F.count("*").alias("n"),
        F.count("v").alias("nv"),
        F.sum("v").alias("s"),
        F.avg("v").alias("a"),
        F.min("v").alias("lo"),
        F.max("v").alias("hi"),
        F.sum("x").alias("sx"),
        F.countDistinct("g").alias("dg"),
      )
      .collect();
    const expected: Row[] = [];
    for (const [key, group] of groupBy(DATA, "k")) {
      const vs = nonNull(group.map((r) => r.v));
      expected.push({
        k: JSON.parse(key)[0],
        n: group.length,
        nv: vs.length,
        s: vs.length ? sum(vs) : null,
        a: vs.length ? sum(vs) / vs.length : null,
        lo: vs.length ? Math.min(...vs) : null,
        hi: vs.length ? Math.max(...vs) : null,
        sx: sum(group.map((r) => r.x as number)),
        dg: new Set(group.map((r) => r.g)).size,
      });
    }
    assert.ok(expected.some((r) => r.k === null), "the generated data has null keys");
    assertRows(rows, expected, { sortBy: ["k"], relTol: 1e-9 });
  });

  ctx.it("multi-key groupBy matches the reference", async () => {
    const rows = await frame(ctx.spark).groupBy("g", "k").agg(F.count("*").alias("n"), F.sum("v").alias("s")).collect();
    const expected: Row[] = [];
    for (const [key, group] of groupBy(DATA, "g", "k")) {
      const [g, k] = JSON.parse(key) as [number, string | null];
      const vs = nonNull(group.map((r) => r.v));
      expected.push({ g, k, n: group.length, s: vs.length ? sum(vs) : null });
    }
    assertRows(rows, expected, { sortBy: ["g", "k"] });
  });

  ctx.it("stddev and variance are the sample statistics; mean equals avg", async () => {
    const rows = await frame(ctx.spark)
      .groupBy("g")
      .agg(F.stddev("x").alias("sd"), F.variance("x").alias("var"), F.mean("x").alias("m"), F.avg("x").alias("a"))
      .collect();
    const expected: Row[] = [];
    for (const [key, group] of groupBy(DATA, "g")) {
      const xs = group.map((r) => r.x as number);
      const v = sampleVariance(xs)!;
      expected.push({ g: JSON.parse(key)[0], sd: Math.sqrt(v), var: v, m: sum(xs) / xs.length, a: sum(xs) / xs.length });
    }
    assertRows(rows, expected, { sortBy: ["g"], relTol: 1e-9 });
  });

  ctx.it("stddev of a single row is null", async () => {
    const rows = await ctx.spark
      .createDataFrame([{ x: 1.0 }], "x DOUBLE")
      .agg(F.stddev("x").alias("sd"), F.variance("x").alias("v"))
      .collect();
    assert.deepEqual(rows, [{ sd: null, v: null }]);
  });

  ctx.it("default aggregate column names follow Spark", async () => {
    const df = ctx.spark.createDataFrame(
      [
        { k: "a", v: 1 },
        { k: "a", v: 3 },
        { k: "b", v: null },
      ],
      "k STRING, v INT",
    );
    assert.deepEqual(await df.groupBy("k").count().columns(), ["k", "count"]);
    assertRows(await df.groupBy("k").count().collect(), [
      { k: "a", count: 2 },
      { k: "b", count: 1 },
    ]);
    assert.deepEqual(await df.groupBy("k").sum("v").columns(), ["k", "sum(v)"]);
    assertRows(await df.groupBy("k").sum("v").collect(), [
      { k: "a", "sum(v)": 4 },
      { k: "b", "sum(v)": null },
    ]);
    assertRows(await df.groupBy("k").avg("v").collect(), [
      { k: "a", "avg(v)": 2 },
      { k: "b", "avg(v)": null },
    ]);
    assertRows(await df.groupBy("k").min("v").collect(), [
      { k: "a", "min(v)": 1 },
      { k: "b", "min(v)": null },
    ]);
    assertRows(await df.groupBy("k").max("v").collect(), [
      { k: "a", "max(v)": 3 },
      { k: "b", "max(v)": null },
    ]);
    assert.deepEqual(
      await df.agg(F.sum("v"), F.avg("v"), F.count("*"), F.count("v"), F.max("v")).columns(),
      ["sum(v)", "avg(v)", "count(1)", "count(v)", "max(v)"],
    );
    assert.deepEqual(await df.agg(F.sum("v"), F.avg("v"), F.count("*"), F.count("v"), F.max("v")).collect(), [
      { "sum(v)": 4, "avg(v)": 2, "count(1)": 3, "count(v)": 2, "max(v)": 3 },
    ]);
  });

  ctx.it("agg over the whole frame gives one row", async () => {
    const rows = await frame(ctx.spark).agg(F.sum("v").alias("s"), F.count("*").alias("n"), F.min("x").alias("lo")).collect();
    const vs = nonNull(DATA.map((r) => r.v));
    assert.deepEqual(rows, [{ s: sum(vs), n: DATA.length, lo: Math.min(...DATA.map((r) => r.x as number)) }]);
  });

  ctx.it("aggregates of expressions and expressions of aggregates", async () => {
    const rows = await frame(ctx.spark)
      .filter(F.col("k").eq("alpha"))
      .agg(F.sum(F.col("v").multiply(2)).alias("s2"), F.max("v").minus(F.min("v")).alias("range"))
      .collect();
    const vs = nonNull(DATA.filter((r) => r.k === "alpha").map((r) => r.v));
    assert.deepEqual(rows, [{ s2: 2 * sum(vs), range: Math.max(...vs) - Math.min(...vs) }]);
  });

  ctx.it("aggregates over an empty frame: one row of nulls and zero counts", async () => {
    const empty = ctx.spark.createDataFrame([], "k STRING, v INT");
    assert.equal(await empty.count(), 0);
    const rows = await empty
      .agg(
        F.sum("v").alias("s"),
        F.count("*").alias("n"),
        F.count("v").alias("nv"),
        F.avg("v").alias("a"),
        F.max("v").alias("m"),
        F.countDistinct("v").alias("d"),
        F.collect_list("v").alias("l"),
      )
      .collect();
    assert.deepEqual(rows, [{ s: null, n: 0, nv: 0, a: null, m: null, d: 0, l: [] }]);
    assert.deepEqual(await empty.groupBy("k").agg(F.sum("v").alias("s")).collect(), []);
    assert.deepEqual(await empty.groupBy("k").count().collect(), []);
  });

  ctx.it("a filter that removes everything, then groupBy, gives no rows", async () => {
    assert.deepEqual(await frame(ctx.spark).filter(F.col("g").gt(100)).groupBy("k").count().collect(), []);
  });

  ctx.it("all-null groups: sum/avg/max are null, count(v) is 0", async () => {
    const rows = await ctx.spark
      .createDataFrame(
        [
          { k: "a", v: null },
          { k: "a", v: null },
          { k: "b", v: 5 },
        ],
        "k STRING, v INT",
      )
      .groupBy("k")
      .agg(F.sum("v").alias("s"), F.avg("v").alias("a"), F.max("v").alias("m"), F.count("v").alias("c"), F.count("*").alias("n"))
      .collect();
    assertRows(rows, [
      { k: "a", s: null, a: null, m: null, c: 0, n: 2 },
      { k: "b", s: 5, a: 5, m: 5, c: 1, n: 1 },
    ]);
  });

  ctx.it("sum of ints is 64-bit and does not overflow at 2^31", async () => {
    const df = ctx.spark.createDataFrame(
      [{ v: 2_000_000_000 }, { v: 2_000_000_000 }, { v: 2_000_000_000 }],
      "v INT",
    );
    const out = df.agg(F.sum("v").alias("s"));
    assert.deepEqual(await out.collect(), [{ s: 6_000_000_000 }]);
    assert.equal((await out.schema()).fields.map(simpleField)[0].type, "bigint");
    assert.equal((await df.agg(F.avg("v").alias("a")).schema()).fields.map(simpleField)[0].type, "double");
    assert.equal((await df.agg(F.count("v").alias("c")).schema()).fields.map(simpleField)[0].type, "bigint");
  });

  ctx.it("collect_list skips nulls; first/last pick a value of the group", async () => {
    const rows = await frame(ctx.spark)
      .groupBy("k")
      .agg(F.collect_list("v").alias("l"), F.first("x").alias("f"), F.last("x").alias("z"))
      .collect();
    const groups = groupBy(DATA, "k");
    assert.equal(rows.length, groups.size);
    for (const r of rows) {
      const group = groups.get(JSON.stringify([r.k]))!;
      assert.ok(group, `unexpected key ${String(r.k)}`);
      const expectedList = nonNull(group.map((g) => g.v)).sort((a, b) => a - b);
      assert.deepEqual([...(r.l as number[])].sort((a, b) => a - b), expectedList);
      const xs = new Set(group.map((g) => g.x));
      assert.ok(xs.has(r.f), `first(x) ${String(r.f)} is a value of group ${String(r.k)}`);
      assert.ok(xs.has(r.z), `last(x) ${String(r.z)} is a value of group ${String(r.k)}`);
    }
  });

  ctx.it("countDistinct ignores nulls", async () => {
    const rows = await ctx.spark
      .createDataFrame([{ v: 1 }, { v: 1 }, { v: null }, { v: 2 }, { v: null }], "v INT")
      .agg(F.countDistinct("v").alias("d"), F.count("*").alias("n"))
      .collect();
    assert.deepEqual(rows, [{ d: 2, n: 5 }]);
  });

  ctx.it("SQL GROUP BY over a temp view matches the reference", async () => {
    await frame(ctx.spark).createOrReplaceTempView("agg_data");
    const rows = await ctx.spark
      .sql("SELECT k, count(*) AS n, sum(v) AS s FROM agg_data WHERE g <> 0 GROUP BY k HAVING count(*) > 10")
      .collect();
    const expected: Row[] = [];
    for (const [key, group] of groupBy(DATA.filter((r) => r.g !== 0), "k")) {
      if (group.length <= 10) continue;
      const vs = nonNull(group.map((r) => r.v));
      expected.push({ k: JSON.parse(key)[0], n: group.length, s: vs.length ? sum(vs) : null });
    }
    assertRows(rows, expected, { sortBy: ["k"] });
  });

  ctx.it("describe gives count, mean, stddev, min, max as strings", async () => {
    const df = ctx.spark.createDataFrame(
      [
        { v: 1, s: "b" },
        { v: 2, s: "a" },
        { v: 3, s: "c" },
        { v: 4, s: null },
      ],
      "v INT, s STRING",
    );
    const d = df.describe("v", "s");
    assert.deepEqual(await d.columns(), ["summary", "v", "s"]);
    const rows = await d.collect();
    const by = new Map(rows.map((r) => [r.summary as string, r]));
    assert.deepEqual([...by.keys()].sort(), ["count", "max", "mean", "min", "stddev"]);
    assert.equal(by.get("count")!.v, "4");
    assert.equal(by.get("count")!.s, "3");
    assertApprox(Number(by.get("mean")!.v), 2.5);
    assert.equal(by.get("mean")!.s, null);
    assertApprox(Number(by.get("stddev")!.v), Math.sqrt(sampleVariance([1, 2, 3, 4])!), 1e-12);
    assert.equal(by.get("stddev")!.s, null);
    assert.equal(by.get("min")!.v, "1");
    assert.equal(by.get("max")!.v, "4");
    assert.equal(by.get("min")!.s, "a");
    assert.equal(by.get("max")!.s, "c");
    for (const r of rows) assert.ok(typeof r.v === "string", "describe values are strings");
  });

  ctx.it("a CASE mixing an integer branch and a double branch sums as double (no truncation)", async () => {
    const df = ctx.spark.createDataFrame([{ x: 2.5, c: true }, { x: 1.5, c: false }, { x: 0.25, c: false }], "x DOUBLE, c BOOLEAN");
    const rows = await df.agg(F.sum(F.when(F.col("c"), 0).otherwise(F.col("x"))).alias("s")).collect();
    assert.equal(rows[0].s, 1.75);
  });
});
