import assert from "node:assert/strict";
import { F } from "quarry";
import { conformance, assertRows, type Spark, type Row } from "./harness.js";

const PEOPLE: Row[] = [
  { name: "Ann", age: 34, country: "FR", income: 5200.5 },
  { name: "Bob", age: 28, country: "US", income: 4100.0 },
  { name: "Chen", age: 45, country: "CN", income: 6100.25 },
  { name: "Dana", age: null, country: "US", income: 3900.75 },
  { name: "Émile", age: 52, country: "FR", income: null },
  { name: "Fay", age: 30, country: null, income: 2500.0 },
];
const PEOPLE_SCHEMA = "name STRING, age INT, country STRING, income DOUBLE";
const people = (spark: Spark) => spark.createDataFrame(PEOPLE, PEOPLE_SCHEMA);

const names = (rows: Row[]) => rows.map((r) => r.name as string).sort();

conformance("select and filter", (ctx) => {
  ctx.it("select by name, by Column, and *", async () => {
    const df = people(ctx.spark);
    assert.deepEqual(await df.select("name", "age").columns(), ["name", "age"]);
    assert.deepEqual(await df.select(F.col("country"), F.col("name")).columns(), ["country", "name"]);
    assert.deepEqual(await df.select("*").columns(), ["name", "age", "country", "income"]);
    assertRows(
      await df.select("name", "age").collect(),
      PEOPLE.map((p) => ({ name: p.name, age: p.age })),
    );
  });

  ctx.it("column resolution is case-insensitive", async () => {
    const rows = await people(ctx.spark).filter(F.col("NAME").eq("Ann")).select(F.col("AGE").alias("a")).collect();
    assert.deepEqual(rows, [{ a: 34 }]);
    const rows2 = await people(ctx.spark).filter("AgE > 40").select("Name").collect();
    assert.deepEqual(rows2.map((r) => Object.values(r)[0]).sort(), ["Chen", "Émile"]);
  });

  ctx.it("withColumn adds a column at the end, or replaces one in place", async () => {
    const df = people(ctx.spark);
    const added = df.withColumn("age2", F.col("age").multiply(2));
    assert.deepEqual(await added.columns(), ["name", "age", "country", "income", "age2"]);
    assertRows(
      await added.select("name", "age2").collect(),
      PEOPLE.map((p) => ({ name: p.name, age2: p.age === null ? null : (p.age as number) * 2 })),
    );
    const replaced = df.withColumn("age", F.col("age").plus(1));
    assert.deepEqual(await replaced.columns(), ["name", "age", "country", "income"]);
    assertRows(
      await replaced.select("name", "age").collect(),
      PEOPLE.map((p) => ({ name: p.name, age: p.age === null ? null : (p.age as number) + 1 })),
    );
  });

  ctx.it("withColumnRenamed renames; an unknown old name is a no-op", async () => {
    const df = people(ctx.spark);
    assert.deepEqual(await df.withColumnRenamed("income", "salary").columns(), ["name", "age", "country", "salary"]);
    assert.deepEqual(await df.withColumnRenamed("nope", "x").columns(), ["name", "age", "country", "income"]);
    const r = await df.withColumnRenamed("name", "who").filter(F.col("who").eq("Bob")).select("who", "age").collect();
    assert.deepEqual(r, [{ who: "Bob", age: 28 }]);
  });

  ctx.it("drop removes columns; dropping an unknown column is a no-op", async () => {
    const df = people(ctx.spark);
    assert.deepEqual(await df.drop("income").columns(), ["name", "age", "country"]);
    assert.deepEqual(await df.drop("age", "country").columns(), ["name", "income"]);
    assert.deepEqual(await df.drop("nope").columns(), ["name", "age", "country", "income"]);
  });

  ctx.it("filter with a Column, where with a SQL string", async () => {
    const df = people(ctx.spark);
    assert.deepEqual(names(await df.filter(F.col("age").gt(30)).collect()), ["Ann", "Chen", "Émile"]);
    assert.deepEqual(names(await df.where("age > 30 AND country = 'FR'").collect()), ["Ann", "Émile"]);
    assert.deepEqual(names(await df.filter("income >= 4100").collect()), ["Ann", "Bob", "Chen"]);
    assert.deepEqual(names(await df.where(F.col("age").le(30)).collect()), ["Bob", "Fay"]);
    assert.equal(await df.filter(F.col("age").gt(1000)).count(), 0);
  });

  ctx.it("comparisons with null are not true: filters drop null rows", async () => {
    const df = people(ctx.spark);
    assert.deepEqual(names(await df.filter(F.col("age").ne(34)).collect()), ["Bob", "Chen", "Fay", "Émile"].sort());
    assert.equal(await df.filter(F.col("country").eq(F.lit(null))).count(), 0);
    assert.deepEqual(names(await df.filter(F.col("country").isNull()).collect()), ["Fay"]);
    assert.equal(await df.filter(F.col("income").isNotNull()).count(), 5);
  });

  ctx.it("gt ge lt le eq ne", async () => {
    const df = people(ctx.spark);
    const n = async (c: Parameters<typeof df.filter>[0]) => names(await df.filter(c).collect());
    assert.deepEqual(await n(F.col("age").gt(34)), ["Chen", "Émile"]);
    assert.deepEqual(await n(F.col("age").ge(34)), ["Ann", "Chen", "Émile"]);
    assert.deepEqual(await n(F.col("age").lt(30)), ["Bob"]);
    assert.deepEqual(await n(F.col("age").le(30)), ["Bob", "Fay"]);
    assert.deepEqual(await n(F.col("country").eq("FR")), ["Ann", "Émile"]);
    assert.deepEqual(await n(F.col("country").ne("FR")), ["Bob", "Chen", "Dana"]);
    assert.deepEqual(await n(F.col("age").eq(F.col("age"))), ["Ann", "Bob", "Chen", "Fay", "Émile"].sort());
  });

  ctx.it("isin, like, between", async () => {
    const df = people(ctx.spark);
    assert.deepEqual(names(await df.filter(F.col("country").isin("FR", "CN")).collect()), ["Ann", "Chen", "Émile"]);
    assert.deepEqual(names(await df.filter(F.col("age").isin(28, 30, 99)).collect()), ["Bob", "Fay"]);
    assert.deepEqual(names(await df.filter(F.col("name").like("%a%")).collect()), ["Dana", "Fay"]);
    assert.deepEqual(names(await df.filter(F.col("name").like("_o_")).collect()), ["Bob"]);
    assert.deepEqual(names(await df.filter(F.col("name").like("a%")).collect()), [], "like is case-sensitive");
    assert.deepEqual(names(await df.filter(F.col("age").between(30, 45)).collect()), ["Ann", "Chen", "Fay"]);
  });

  ctx.it("like treats _ and % as wildcards and \\ as escape", async () => {
    const df = ctx.spark.createDataFrame(
      [{ s: "100%" }, { s: "100 percent" }, { s: "a_b" }, { s: "axb" }],
      "s STRING",
    );
    const got = async (p: string) => (await df.filter(F.col("s").like(p)).collect()).map((r) => r.s).sort();
    assert.deepEqual(await got("100\\%"), ["100%"]);
    assert.deepEqual(await got("100%"), ["100 percent", "100%"]);
    assert.deepEqual(await got("a\\_b"), ["a_b"]);
    assert.deepEqual(await got("a_b"), ["a_b", "axb"]);
  });

  ctx.it("and / or / not follow three-valued logic", async () => {
    const T = true, N = null, Fa = false;
    const input: Row[] = [];
    for (const a of [T, Fa, N]) for (const b of [T, Fa, N]) input.push({ a, b });
    const df = ctx.spark.createDataFrame(input, "a BOOLEAN, b BOOLEAN");
    const rows = await df
      .select(
        F.col("a"),
        F.col("b"),
        F.col("a").and(F.col("b")).alias("and"),
        F.col("a").or(F.col("b")).alias("or"),
        F.col("a").not().alias("not_a"),
      )
      .collect();
    const and3 = (a: boolean | null, b: boolean | null) =>
      a === false || b === false ? false : a === null || b === null ? null : true;
    const or3 = (a: boolean | null, b: boolean | null) =>
      a === true || b === true ? true : a === null || b === null ? null : false;
    assertRows(
      rows,
      input.map((r) => {
        const a = r.a as boolean | null, b = r.b as boolean | null;
        return { a, b, and: and3(a, b), or: or3(a, b), not_a: a === null ? null : !a };
      }),
    );
  });

  ctx.it("selectExpr and SQL-string filters", async () => {
    const df = people(ctx.spark);
    const rows = await df
      .selectExpr("name", "age + 1 AS next_age", "upper(country) AS c")
      .filter("next_age > 35")
      .collect();
    assertRows(rows, [
      { name: "Chen", next_age: 46, c: "CN" },
      { name: "Émile", next_age: 53, c: "FR" },
    ]);
  });

  ctx.it("chained filters and selects compose", async () => {
    const rows = await people(ctx.spark)
      .filter(F.col("income").gt(3000))
      .select("name", "country", "income")
      .filter(F.col("country").eq("US"))
      .select("name")
      .collect();
    assert.deepEqual(names(rows), ["Bob", "Dana"]);
  });

  ctx.it("a frame alias qualifies its columns", async () => {
    const rows = await people(ctx.spark)
      .alias("p")
      .filter(F.col("p.country").eq("CN"))
      .select(F.col("p.name").alias("n"), F.col("p.age"))
      .collect();
    assert.deepEqual(rows, [{ n: "Chen", age: 45 }]);
  });

  ctx.it("limit on a filtered frame", async () => {
    assert.equal(await people(ctx.spark).filter(F.col("income").isNotNull()).limit(2).count(), 2);
  });

  ctx.it("na.drop drops rows with any null", async () => {
    assert.deepEqual(names(await people(ctx.spark).na.drop().collect()), ["Ann", "Bob", "Chen"]);
  });

  ctx.it("na.fill with a number fills numeric columns only; with a string, string columns only", async () => {
    const df = ctx.spark.createDataFrame(
      [
        { name: "Ann", age: null, score: null },
        { name: null, age: 5, score: 1.5 },
      ],
      "name STRING, age INT, score DOUBLE",
    );
    assertRows(await df.na.fill(0).collect(), [
      { name: "Ann", age: 0, score: 0 },
      { name: null, age: 5, score: 1.5 },
    ]);
    assertRows(await df.na.fill("?").collect(), [
      { name: "Ann", age: null, score: null },
      { name: "?", age: 5, score: 1.5 },
    ]);
    assertRows(await df.na.fill({ age: 1, name: "x" }).collect(), [
      { name: "Ann", age: 1, score: null },
      { name: "x", age: 5, score: 1.5 },
    ]);
  });

  ctx.it("sample returns about the requested fraction", async () => {
    const n = await ctx.spark.range(10000).sample(0.1, 42).count();
    assert.ok(n >= 800 && n <= 1200, `sample(0.1) of 10000 gave ${n}`);
    assert.equal(await ctx.spark.range(1000).sample(1.0, 7).count(), 1000);
    assert.equal(await ctx.spark.range(1000).sample(0.0, 7).count(), 0);
    const rows = await ctx.spark.range(1000).sample(0.5).collect();
    assert.ok(rows.every((r) => typeof r.id === "number" && r.id >= 0 && r.id < 1000));
    assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, "sampling without replacement");
  });
});
