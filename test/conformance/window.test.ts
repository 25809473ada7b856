import assert from "node:assert/strict";
import { F, Window } from "quarry";
import { conformance, assertRows, prng, randInt, type Row, type Spark } from "./harness.js";

// Hand table with ties (a, t=2), a null value (a, t=4) and a null partition key.
const TIES: Row[] = [
  { id: 1, k: "a", t: 1, v: 10 },
  { id: 2, k: "a", t: 2, v: 20 },
  { id: 3, k: "a", t: 2, v: 5 },
  { id: 4, k: "a", t: 4, v: null },
  { id: 5, k: "b", t: 1, v: 7 },
  { id: 6, k: "b", t: 3, v: 3 },
  { id: 7, k: null, t: 1, v: 100 },
  { id: 8, k: null, t: 2, v: 200 },
];
const ties = (s: Spark) => s.createDataFrame(TIES, "id INT, k STRING, t INT, v INT");

// Generated: 8 partitions, unique t within each partition, nullable v.
function generate(): Row[] {
  const rnd = prng(99);
  const rows: Row[] = [];
  let id = 0;
  for (let p = 0; p < 8; p++) {
    const n = randInt(rnd, 20, 80);
    const ts = Array.from({ length: n }, (_, i) => i * 3 + randInt(rnd, 0, 2));
    for (let i = ts.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [ts[i], ts[j]] = [ts[j], ts[i]];
    }
    for (const t of ts) rows.push({ id: id++, p: `p${p}`, t, v: rnd() < 0.15 ? null : randInt(rnd, -50, 50) });
  }
  return rows;
}
const GEN = generate();

conformance("window", (ctx) => {
  ctx.it("rank and dense_rank with ties; a null partition key is its own partition", async () => {
    const w = Window.partitionBy("k").orderBy("t");
    const rows = await ties(ctx.spark)
      .select(F.col("id"), F.rank().over(w).alias("r"), F.dense_rank().over(w).alias("dr"))
      .collect();
    assertRows(rows, [
      { id: 1, r: 1, dr: 1 },
      { id: 2, r: 2, dr: 2 },
      { id: 3, r: 2, dr: 2 },
      { id: 4, r: 4, dr: 3 },
      { id: 5, r: 1, dr: 1 },
      { id: 6, r: 2, dr: 2 },
      { id: 7, r: 1, dr: 1 },
      { id: 8, r: 2, dr: 2 },
    ]);
  });

  ctx.it("rank over a descending order", async () => {
    const w = Window.partitionBy("k").orderBy(F.col("t").desc());
    const rows = await ties(ctx.spark).filter(F.col("k").eq("a")).select(F.col("id"), F.rank().over(w).alias("r")).collect();
    assertRows(rows, [
      { id: 1, r: 4 },
      { id: 2, r: 2 },
      { id: 3, r: 2 },
      { id: 4, r: 1 },
    ]);
  });

  ctx.it("row_number numbers rows 1..n; tied rows get consecutive numbers", async () => {
    const w = Window.partitionBy("k").orderBy("t");
    const rows = await ties(ctx.spark).select(F.col("id"), F.row_number().over(w).alias("rn")).collect();
    const rn = new Map(rows.map((r) => [r.id as number, r.rn as number]));
    assert.equal(rn.get(1), 1);
    assert.deepEqual([rn.get(2), rn.get(3)].sort(), [2, 3]);
    assert.equal(rn.get(4), 4);
    assert.equal(rn.get(5), 1);
    assert.equal(rn.get(6), 2);
    assert.equal(rn.get(7), 1);
    assert.equal(rn.get(8), 2);
  });

  ctx.it("a running sum uses Spark's default RANGE frame: tied rows share the total", async () => {
    const w = Window.partitionBy("k").orderBy("t");
    const rows = await ties(ctx.spark).select(F.col("id"), F.sum("v").over(w).alias("run")).collect();
    assertRows(rows, [
      { id: 1, run: 10 },
      { id: 2, run: 35 },
      { id: 3, run: 35 },
      { id: 4, run: 35 },
      { id: 5, run: 7 },
      { id: 6, run: 10 },
      { id: 7, run: 100 },
      { id: 8, run: 300 },
    ]);
  });

  ctx.it("aggregates over a partition without ordering see the whole partition", async () => {
    const w = Window.partitionBy("k");
    const rows = await ties(ctx.spark)
      .select(
        F.col("id"),
        F.sum("v").over(w).alias("total"),
        F.count("v").over(w).alias("n"),
        F.max("v").over(w).alias("top"),
        F.avg("v").over(w).alias("mean"),
      )
      .collect();
    const byK: Record<string, Row> = {
      a: { total: 35, n: 3, top: 20, mean: 35 / 3 },
      b: { total: 10, n: 2, top: 7, mean: 5 },
      null: { total: 300, n: 2, top: 200, mean: 150 },
    };
    assertRows(
      rows,
      TIES.map((r) => ({ id: r.id, ...byK[String(r.k)] })),
      { relTol: 1e-12 },
    );
  });

  ctx.it("nulls in the order column sort first (ascending)", async () => {
    const df = ctx.spark.createDataFrame(
      [
        { k: "c", t: 2, id: 1 },
        { k: "c", t: null, id: 2 },
        { k: "c", t: 1, id: 3 },
      ],
      "k STRING, t INT, id INT",
    );
    const asc = await df.select(F.col("id"), F.row_number().over(Window.partitionBy("k").orderBy("t")).alias("rn")).collect();
    assertRows(asc, [
      { id: 2, rn: 1 },
      { id: 3, rn: 2 },
      { id: 1, rn: 3 },
    ]);
    const desc = await df
      .select(F.col("id"), F.row_number().over(Window.partitionBy("k").orderBy(F.col("t").desc())).alias("rn"))
      .collect();
    assertRows(desc, [
      { id: 1, rn: 1 },
      { id: 3, rn: 2 },
      { id: 2, rn: 3 },
    ]);
  });

  ctx.it("lag and lead with offsets and defaults", async () => {
    const df = ctx.spark.createDataFrame(
      [
        { k: "x", t: 1, v: 10 },
        { k: "x", t: 2, v: null },
        { k: "x", t: 3, v: 30 },
        { k: "x", t: 4, v: 40 },
        { k: "y", t: 1, v: 5 },
      ],
      "k STRING, t INT, v INT",
    );
    const w = Window.partitionBy("k").orderBy("t");
    const rows = await df
      .select(
        F.col("k"),
        F.col("t"),
        F.lag("v").over(w).alias("prev"),
        F.lead("v").over(w).alias("next"),
        F.lag("v", 2).over(w).alias("prev2"),
        F.lead("v", 1, -1).over(w).alias("next_or"),
      )
      .collect();
    assertRows(rows, [
      { k: "x", t: 1, prev: null, next: null, prev2: null, next_or: null },
      { k: "x", t: 2, prev: 10, next: 30, prev2: null, next_or: 30 },
      { k: "x", t: 3, prev: null, next: 40, prev2: 10, next_or: 40 },
      { k: "x", t: 4, prev: 30, next: null, prev2: null, next_or: -1 },
      { k: "y", t: 1, prev: null, next: null, prev2: null, next_or: -1 },
    ]);
  });

  ctx.it("row_number, lag, lead and running sums over generated data match a plain-JS reference", async () => {
    const w = Window.partitionBy("p").orderBy("t");
    const rows = await ctx.spark
      .createDataFrame(GEN, "id INT, p STRING, t INT, v INT")
      .select(
        F.col("id"),
        F.row_number().over(w).alias("rn"),
        F.lag("v").over(w).alias("prev"),
        F.lead("v", 1, 0).over(w).alias("next"),
        F.sum("v").over(w).alias("run"),
        F.count("v").over(w).alias("cnt"),
      )
      .collect();
    const expected: Row[] = [];
    const parts = new Map<string, Row[]>();
    for (const r of GEN) {
      const list = parts.get(r.p as string) ?? [];
      list.push(r);
      parts.set(r.p as string, list);
    }
    for (const list of parts.values()) {
      const sorted = [...list].sort((a, b) => (a.t as number) - (b.t as number));
      let run: number | null = null;
      let cnt = 0;
      sorted.forEach((r, i) => {
        if (r.v !== null) {
          run = (run ?? 0) + (r.v as number);
          cnt++;
        }
        expected.push({
          id: r.id,
          rn: i + 1,
          prev: i > 0 ? sorted[i - 1].v : null,
          next: i < sorted.length - 1 ? sorted[i + 1].v : 0,
          run,
          cnt,
        });
      });
    }
    assertRows(rows, expected, { sortBy: ["id"] });
  });

  ctx.it("window results can be filtered (top-n per group)", async () => {
    const w = Window.partitionBy("p").orderBy(F.col("t").desc());
    const rows = await ctx.spark
      .createDataFrame(GEN, "id INT, p STRING, t INT, v INT")
      .withColumn("rn", F.row_number().over(w))
      .filter(F.col("rn").le(2))
      .select("p", "t", "rn")
      .collect();
    const expected: Row[] = [];
    const ps = [...new Set(GEN.map((r) => r.p as string))];
    for (const p of ps) {
      const ts = GEN.filter((r) => r.p === p).map((r) => r.t as number).sort((a, b) => b - a);
      expected.push({ p, t: ts[0], rn: 1 }, { p, t: ts[1], rn: 2 });
    }
    assertRows(rows, expected);
  });

  ctx.it("window functions in SQL", async () => {
    await ties(ctx.spark).createOrReplaceTempView("win_ties");
    const rows = await ctx.spark
      .sql("SELECT id, dense_rank() OVER (PARTITION BY k ORDER BY t) AS dr FROM win_ties WHERE k = 'a'")
      .collect();
    assertRows(rows, [
      { id: 1, dr: 1 },
      { id: 2, dr: 2 },
      { id: 3, dr: 2 },
      { id: 4, dr: 3 },
    ]);
  });
});
