import assert from "node:assert/strict";
import { F, AnalysisError, QuarryError } from "quarry";
import { conformance, assertRows, expectError, prng, randInt, pick, type Row, type Spark } from "./harness.js";

const EMP: Row[] = [
  { id: 1, name: "Ann", dept_id: 10 },
  { id: 2, name: "Bob", dept_id: 20 },
  { id: 3, name: "Cid", dept_id: 10 },
  { id: 4, name: "Dan", dept_id: null },
  { id: 5, name: "Eve", dept_id: 40 },
];
const DEPT: Row[] = [
  { dept_id: 10, dname: "Eng" },
  { dept_id: 20, dname: "Ops" },
  { dept_id: 30, dname: "Mkt" },
  { dept_id: null, dname: "Void" },
];
const emp = (s: Spark) => s.createDataFrame(EMP, "id INT, name STRING, dept_id INT");
const dept = (s: Spark) => s.createDataFrame(DEPT, "dept_id INT, dname STRING");

const INNER: Row[] = [
  { dept_id: 10, id: 1, name: "Ann", dname: "Eng" },
  { dept_id: 20, id: 2, name: "Bob", dname: "Ops" },
  { dept_id: 10, id: 3, name: "Cid", dname: "Eng" },
];
const LEFT_ONLY: Row[] = [
  { dept_id: null, id: 4, name: "Dan", dname: null },
  { dept_id: 40, id: 5, name: "Eve", dname: null },
];
const RIGHT_ONLY: Row[] = [
  { dept_id: 30, id: null, name: null, dname: "Mkt" },
  { dept_id: null, id: null, name: null, dname: "Void" },
];

conformance("join", (ctx) => {
  ctx.it("inner join on a column name keeps one key column, first", async () => {
    const j = emp(ctx.spark).join(dept(ctx.spark), "dept_id", "inner");
    assert.deepEqual(await j.columns(), ["dept_id", "id", "name", "dname"]);
    assertRows(await j.collect(), INNER);
    assertRows(await emp(ctx.spark).join(dept(ctx.spark), "dept_id").collect(), INNER, {});
    assertRows(await emp(ctx.spark).join(dept(ctx.spark), ["dept_id"], "inner").collect(), INNER);
  });

  ctx.it("left, right and full outer joins; null keys never match", async () => {
    const e = emp(ctx.spark), d = dept(ctx.spark);
    assertRows(await e.join(d, "dept_id", "left").collect(), [...INNER, ...LEFT_ONLY]);
    assertRows(await e.join(d, "dept_id", "right").collect(), [...INNER, ...RIGHT_ONLY]);
    assertRows(await e.join(d, "dept_id", "full").collect(), [...INNER, ...LEFT_ONLY, ...RIGHT_ONLY]);
  });

  ctx.it("join type aliases", async () => {
    const e = emp(ctx.spark), d = dept(ctx.spark);
    const count = (how: string) => e.join(d, "dept_id", how).count();
    for (const how of ["left_outer", "leftouter"]) assert.equal(await count(how), 5, how);
    for (const how of ["right_outer", "rightouter"]) assert.equal(await count(how), 5, how);
    for (const how of ["outer", "full_outer", "fullouter"]) assert.equal(await count(how), 7, how);
    for (const how of ["semi", "left_semi", "leftsemi"]) assert.equal(await count(how), 3, how);
    for (const how of ["anti", "left_anti", "leftanti"]) assert.equal(await count(how), 2, how);
  });

  ctx.it("semi and anti joins keep only left columns (USING key first); anti keeps null-key rows", async () => {
    const e = emp(ctx.spark), d = dept(ctx.spark);
    const semi = e.join(d, "dept_id", "left_semi");
    assert.deepEqual(await semi.columns(), ["dept_id", "id", "name"]);
    assertRows(await semi.collect(), EMP.slice(0, 3));
    const anti = e.join(d, "dept_id", "left_anti");
    assert.deepEqual(await anti.columns(), ["dept_id", "id", "name"]);
    assertRows(await anti.collect(), EMP.slice(3));
  });

  ctx.it("cross join pairs every row", async () => {
    const j = emp(ctx.spark).select("name").join(dept(ctx.spark).select("dname"), undefined, "cross");
    const rows = await j.collect();
    const expected: Row[] = [];
    for (const a of EMP) for (const b of DEPT) expected.push({ name: a.name, dname: b.dname });
    assertRows(rows, expected);
  });

  ctx.it("join on several columns; a null in any key never matches", async () => {
    const a = ctx.spark.createDataFrame(
      [
        { k1: 1, k2: "x", a: "a1" },
        { k1: 1, k2: "y", a: "a2" },
        { k1: 2, k2: null, a: "a3" },
        { k1: null, k2: "x", a: "a4" },
      ],
      "k1 INT, k2 STRING, a STRING",
    );
    const b = ctx.spark.createDataFrame(
      [
        { k1: 1, k2: "x", b: "b1" },
        { k1: 1, k2: "x", b: "b2" },
        { k1: 2, k2: null, b: "b3" },
        { k1: null, k2: "x", b: "b4" },
      ],
      "k1 INT, k2 STRING, b STRING",
    );
    const j = a.join(b, ["k1", "k2"], "inner");
    assert.deepEqual(await j.columns(), ["k1", "k2", "a", "b"]);
    assertRows(await j.collect(), [
      { k1: 1, k2: "x", a: "a1", b: "b1" },
      { k1: 1, k2: "x", a: "a1", b: "b2" },
    ]);
    assertRows(await a.join(b, ["k1", "k2"], "left").select("a", "b").collect(), [
      { a: "a1", b: "b1" },
      { a: "a1", b: "b2" },
      { a: "a2", b: null },
      { a: "a3", b: null },
      { a: "a4", b: null },
    ]);
  });

  ctx.it("join on an expression keeps both key columns; aliases disambiguate them", async () => {
    const e = emp(ctx.spark).alias("e"), d = dept(ctx.spark).alias("d");
    const j = e.join(d, F.col("e.dept_id").eq(F.col("d.dept_id")), "inner");
    assert.deepEqual(await j.columns(), ["id", "name", "dept_id", "dept_id", "dname"]);
    const rows = await j.select(F.col("e.name").alias("name"), F.col("d.dept_id").alias("dd"), F.col("dname")).collect();
    assertRows(rows, [
      { name: "Ann", dd: 10, dname: "Eng" },
      { name: "Bob", dd: 20, dname: "Ops" },
      { name: "Cid", dd: 10, dname: "Eng" },
    ]);
  });

  ctx.it("selecting an ambiguous column after a join is an AnalysisError naming it", async () => {
    const e = emp(ctx.spark).alias("e"), d = dept(ctx.spark).alias("d");
    const j = e.join(d, F.col("e.dept_id").eq(F.col("d.dept_id")), "inner");
    await expectError(() => j.select("dept_id").collect(), AnalysisError, "dept_id", /ambiguous/i);
    await expectError(() => j.filter(F.col("dept_id").gt(1)).count(), AnalysisError, "dept_id", /ambiguous/i);
  });

  ctx.it("same-named non-key columns after a USING join are ambiguous too", async () => {
    const a = ctx.spark.createDataFrame([{ id: 1, name: "left" }], "id INT, name STRING");
    const b = ctx.spark.createDataFrame([{ id: 1, name: "right" }], "id INT, name STRING");
    const j = a.alias("a").join(b.alias("b"), "id");
    assert.deepEqual(await j.columns(), ["id", "name", "name"]);
    await expectError(() => j.select("name").collect(), AnalysisError, "name", /ambiguous/i);
    assert.deepEqual(await j.select(F.col("id"), F.col("a.name").alias("l"), F.col("b.name").alias("r")).collect(), [
      { id: 1, l: "left", r: "right" },
    ]);
  });

  ctx.it("self-join through aliases", async () => {
    const staff = ctx.spark.createDataFrame(
      [
        { id: 1, name: "Boss", manager_id: null },
        { id: 2, name: "Mid", manager_id: 1 },
        { id: 3, name: "Low", manager_id: 2 },
        { id: 4, name: "Orphan", manager_id: 99 },
      ],
      "id INT, name STRING, manager_id INT",
    );
    const rows = await staff
      .alias("e")
      .join(staff.alias("m"), F.col("e.manager_id").eq(F.col("m.id")), "left")
      .select(F.col("e.name").alias("emp"), F.col("m.name").alias("mgr"))
      .collect();
    assertRows(rows, [
      { emp: "Boss", mgr: null },
      { emp: "Mid", mgr: "Boss" },
      { emp: "Low", mgr: "Mid" },
      { emp: "Orphan", mgr: null },
    ]);
  });

  ctx.it("join with a non-equi condition", async () => {
    const a = ctx.spark.createDataFrame([{ x: 1 }, { x: 5 }, { x: 10 }], "x INT");
    const b = ctx.spark.createDataFrame([{ lo: 0, hi: 4, band: "low" }, { lo: 5, hi: 9, band: "mid" }], "lo INT, hi INT, band STRING");
    const rows = await a
      .join(b, F.col("x").between(F.col("lo"), F.col("hi")), "left")
      .select("x", "band")
      .collect();
    assertRows(rows, [
      { x: 1, band: "low" },
      { x: 5, band: "mid" },
      { x: 10, band: null },
    ]);
  });

  ctx.it("join with an empty frame", async () => {
    const none = ctx.spark.createDataFrame([], "dept_id INT, dname STRING");
    assert.equal(await emp(ctx.spark).join(none, "dept_id", "inner").count(), 0);
    assertRows(
      await emp(ctx.spark).join(none, "dept_id", "left").collect(),
      EMP.map((r) => ({ dept_id: r.dept_id, id: r.id, name: r.name, dname: null })),
    );
  });

  ctx.it("join + groupBy over generated data matches a plain-JS reference", async () => {
    const rnd = prng(7);
    const regions = ["north", "south", "east", "west"];
    const stores: Row[] = Array.from({ length: 20 }, (_, i) => ({ store_id: i, region: pick(rnd, regions) }));
    const sales: Row[] = Array.from({ length: 2000 }, () => ({
      store_id: rnd() < 0.05 ? null : randInt(rnd, 0, 24),
      amount: randInt(rnd, 1, 500),
    }));
    const s = ctx.spark.createDataFrame(stores, "store_id INT, region STRING");
    const f = ctx.spark.createDataFrame(sales, "store_id INT, amount INT");

    const inner = await f.join(s, "store_id").groupBy("region").agg(F.sum("amount").alias("total"), F.count("*").alias("n")).collect();
    const left = await f.join(s, "store_id", "left").groupBy("region").agg(F.sum("amount").alias("total"), F.count("*").alias("n")).collect();

    const regionOf = new Map(stores.map((r) => [r.store_id as number, r.region as string]));
    const acc = (withUnmatched: boolean) => {
      const m = new Map<string | null, { total: number; n: number }>();
      for (const r of sales) {
        const region = r.store_id === null ? undefined : regionOf.get(r.store_id as number);
        if (region === undefined && !withUnmatched) continue;
        const key = region ?? null;
        const e = m.get(key) ?? { total: 0, n: 0 };
        e.total += r.amount as number;
        e.n += 1;
        m.set(key, e);
      }
      return [...m].map(([region, e]) => ({ region, ...e }));
    };
    assertRows(inner, acc(false));
    assertRows(left, acc(true));
  });

  ctx.it("an unknown join type is an error naming it", async () => {
    await expectError(() => emp(ctx.spark).join(dept(ctx.spark), "dept_id", "sideways").collect(), QuarryError, "sideways");
  });

  ctx.it("joining on a column missing from one side is an AnalysisError", async () => {
    await expectError(() => emp(ctx.spark).join(dept(ctx.spark), "name").collect(), AnalysisError, "name");
  });
});
