import assert from "node:assert/strict";
import { F } from "quarry";
import { conformance, assertRows, compareValues, prng, pick, randInt, type Row } from "./harness.js";

conformance("sort and limit", (ctx) => {
  ctx.it("ascending puts nulls first; descending puts nulls last", async () => {
    const df = ctx.spark.createDataFrame([{ v: 3 }, { v: null }, { v: 1 }, { v: 2 }], "v INT");
    assert.deepEqual((await df.orderBy("v").collect()).map((r) => r.v), [null, 1, 2, 3]);
    assert.deepEqual((await df.orderBy(F.col("v").asc()).collect()).map((r) => r.v), [null, 1, 2, 3]);
    assert.deepEqual((await df.orderBy(F.col("v").desc()).collect()).map((r) => r.v), [3, 2, 1, null]);
    assert.deepEqual((await df.sort(F.col("v").desc()).collect()).map((r) => r.v), [3, 2, 1, null]);
  });

  ctx.it("strings sort by code point (UTF-8 bytes), case-sensitive", async () => {
    const words = ["b", "a", "B", "é", "Z", "ｚ", "😀", "aa", ""];
    const df = ctx.spark.createDataFrame(words.map((w) => ({ w })), "w STRING");
    assert.deepEqual(
      (await df.orderBy("w").collect()).map((r) => r.w),
      ["", "B", "Z", "a", "aa", "b", "é", "ｚ", "😀"],
    );
  });

  ctx.it("doubles: -Infinity < numbers < Infinity < NaN, nulls first", async () => {
    const xs = [1, NaN, -Infinity, Infinity, null, 0, -2.5];
    const df = ctx.spark.createDataFrame(xs.map((x) => ({ x })), "x DOUBLE");
    const got = (await df.orderBy("x").collect()).map((r) => r.x);
    assert.deepEqual(got, [null, -Infinity, -2.5, 0, 1, Infinity, NaN]);
  });

  ctx.it("multi-key sort with mixed directions over generated data", async () => {
    const rnd = prng(11);
    const keys = ["x", "y", "Z", "é", null];
    const rows: Row[] = Array.from({ length: 1000 }, () => ({
      k: pick(rnd, keys),
      v: rnd() < 0.1 ? null : randInt(rnd, -100, 100),
    }));
    const got = await ctx.spark
      .createDataFrame(rows, "k STRING, v INT")
      .orderBy(F.col("k").asc(), F.col("v").desc())
      .collect();
    const expected = [...rows].sort((a, b) => {
      const c = compareValues(a.k, b.k);
      if (c !== 0) return c;
      // descending, nulls last
      if (a.v === null || b.v === null) return a.v === b.v ? 0 : a.v === null ? 1 : -1;
      return (b.v as number) - (a.v as number);
    });
    assertRows(got, expected, { ordered: true });
  });

  ctx.it("orderBy several column names", async () => {
    const df = ctx.spark.createDataFrame(
      [
        { a: 2, b: "x" },
        { a: 1, b: "y" },
        { a: 2, b: "a" },
        { a: 1, b: "b" },
      ],
      "a INT, b STRING",
    );
    assertRows(
      await df.orderBy("a", "b").collect(),
      [
        { a: 1, b: "b" },
        { a: 1, b: "y" },
        { a: 2, b: "a" },
        { a: 2, b: "x" },
      ],
      { ordered: true },
    );
  });

  ctx.it("limit after orderBy gives the top rows; take and first follow the order", async () => {
    const df = ctx.spark.range(100).orderBy(F.col("id").desc());
    assert.deepEqual(await df.limit(3).collect(), [{ id: 99 }, { id: 98 }, { id: 97 }]);
    assert.deepEqual(await df.take(2), [{ id: 99 }, { id: 98 }]);
    assert.deepEqual(await df.first(), { id: 99 });
    assert.deepEqual(await ctx.spark.range(100).orderBy("id").limit(1).collect(), [{ id: 0 }]);
  });

  ctx.it("limit(0), limit beyond the row count, limit without order", async () => {
    assert.deepEqual(await ctx.spark.range(10).limit(0).collect(), []);
    assert.equal(await ctx.spark.range(10).limit(50).count(), 10);
    const some = await ctx.spark.range(1000).limit(7).collect();
    assert.equal(some.length, 7);
    assert.equal(new Set(some.map((r) => r.id)).size, 7);
  });

  ctx.it("orderBy then filter and select keeps the order", async () => {
    const rows = await ctx.spark
      .range(20)
      .orderBy(F.col("id").desc())
      .filter(F.col("id").mod(5).eq(0))
      .select(F.col("id").multiply(10).alias("x"))
      .collect();
    assert.deepEqual(rows.map((r) => r.x), [150, 100, 50, 0]);
  });

  ctx.it("sorting by an expression", async () => {
    const rows = await ctx.spark
      .range(6)
      .orderBy(F.col("id").mod(3), F.col("id").desc())
      .collect();
    assert.deepEqual(rows.map((r) => r.id), [3, 0, 4, 1, 5, 2]);
  });
});
