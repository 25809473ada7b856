import assert from "node:assert/strict";
import { AnalysisError } from "quarry";
import { conformance, assertRows, expectError, prng, randInt, type Row, type Spark } from "./harness.js";

const A: Row[] = [
  { x: 1, y: "a" },
  { x: 2, y: "b" },
  { x: 2, y: "b" },
  { x: null, y: null },
  { x: null, y: null },
];
const B: Row[] = [
  { x: 2, y: "b" },
  { x: 3, y: "c" },
];
const a = (s: Spark) => s.createDataFrame(A, "x INT, y STRING");
const b = (s: Spark) => s.createDataFrame(B, "x INT, y STRING");

conformance("set operations and deduplication", (ctx) => {
  ctx.it("union keeps duplicates (UNION ALL)", async () => {
    const u = a(ctx.spark).union(b(ctx.spark));
    assert.equal(await u.count(), 7);
    assertRows(await u.collect(), [...A, ...B]);
  });

  ctx.it("union is positional and takes the first frame's names", async () => {
    const c = ctx.spark.createDataFrame([{ p: 9, q: "z" }], "p INT, q STRING");
    const u = a(ctx.spark).union(c);
    assert.deepEqual(await u.columns(), ["x", "y"]);
    assertRows(await u.collect(), [...A, { x: 9, y: "z" }]);
  });

  ctx.it("unionByName matches columns by name", async () => {
    const swapped = ctx.spark.createDataFrame([{ y: "q", x: 42 }], "y STRING, x INT");
    const u = a(ctx.spark).unionByName(swapped);
    assert.deepEqual(await u.columns(), ["x", "y"]);
    assertRows(await u.collect(), [...A, { x: 42, y: "q" }]);
  });

  ctx.it("union with a different number of columns is an AnalysisError", async () => {
    const one = ctx.spark.createDataFrame([{ x: 1 }], "x INT");
    await expectError(() => a(ctx.spark).union(one).collect(), AnalysisError);
  });

  ctx.it("unionByName with a missing column is an AnalysisError naming it", async () => {
    const other = ctx.spark.createDataFrame([{ x: 1, z: "q" }], "x INT, z STRING");
    await expectError(() => a(ctx.spark).unionByName(other).collect(), AnalysisError, /\by\b|\bz\b/);
  });

  ctx.it("distinct treats nulls as equal", async () => {
    assertRows(await a(ctx.spark).distinct().collect(), [
      { x: 1, y: "a" },
      { x: 2, y: "b" },
      { x: null, y: null },
    ]);
  });

  ctx.it("dropDuplicates() equals distinct; dropDuplicates(cols) keeps one row per key", async () => {
    assert.equal(await a(ctx.spark).dropDuplicates().count(), 3);
    const df = ctx.spark.createDataFrame(
      [
        { k: "p", v: 1 },
        { k: "p", v: 2 },
        { k: "q", v: 3 },
        { k: null, v: 4 },
        { k: null, v: 5 },
      ],
      "k STRING, v INT",
    );
    const rows = await df.dropDuplicates(["k"]).collect();
    assert.deepEqual(await df.dropDuplicates(["k"]).columns(), ["k", "v"]);
    assert.equal(rows.length, 3);
    const byK = new Map(rows.map((r) => [r.k, r.v]));
    assert.ok([1, 2].includes(byK.get("p") as number));
    assert.equal(byK.get("q"), 3);
    assert.ok([4, 5].includes(byK.get(null) as number));
  });

  ctx.it("distinct and dropDuplicates over generated data match a plain-JS reference", async () => {
    const rnd = prng(5);
    const rows: Row[] = Array.from({ length: 1000 }, () => ({
      a: randInt(rnd, 0, 9),
      b: rnd() < 0.1 ? null : randInt(rnd, 0, 4),
    }));
    const df = ctx.spark.createDataFrame(rows, "a INT, b INT");
    const pairs = new Map<string, Row>();
    for (const r of rows) pairs.set(JSON.stringify([r.a, r.b]), r);
    assertRows(await df.distinct().collect(), [...pairs.values()]);
    assert.equal(await df.dropDuplicates(["a"]).count(), new Set(rows.map((r) => r.a)).size);
    assert.equal(await df.select("b").distinct().count(), new Set(rows.map((r) => r.b)).size);
  });

  ctx.it("union of empty frames", async () => {
    const empty = ctx.spark.createDataFrame([], "x INT, y STRING");
    assert.equal(await empty.union(empty).count(), 0);
    assertRows(await empty.union(b(ctx.spark)).collect(), B);
  });
});
