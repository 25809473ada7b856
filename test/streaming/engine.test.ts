/**
 * The micro-batch engine from the public API: aggregations in each output mode, watermarks
 * (late rows dropped and counted, windows emitted once when closed), dropDuplicates, stream-static
 * joins, sinks, triggers, checkpoints, progress, listeners and errors. Expected rows are
 * hand-computed from the events each test adds.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { F, MemoryStream, type StreamingQuery, type StreamingQueryProgress } from "quarry";
import { conformance, assertRows, type Row, type Spark, type DataFrame } from "../conformance/harness.js";

const t = (hms: string) => new Date(`2024-01-01T${hms}Z`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function view(spark: Spark, name: string): Promise<Row[]> { return spark.sql(`SELECT * FROM ${name}`).collect(); }

conformance("streaming engine", (ctx) => {
  const runs: StreamingQuery[] = [];
  const start = async (p: Promise<StreamingQuery>) => { const q = await p; runs.push(q); return q; };
  const stopAll = async () => { for (const q of runs.splice(0)) await q.stop(); };

  ctx.it("a MemoryStream's files (Spark reads its rows from files) are removed when its session stops", async () => {
    const listed = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("quarry-memory-stream-"));
    const before = new Set(listed());
    const s = await ctx.newSession();
    new MemoryStream(s, "v INT").addData([{ v: 1 }]);
    assert.equal(listed().filter((n) => !before.has(n)).length, ctx.backend.name === "spark" ? 1 : 0);
    await s.stop();
    assert.deepEqual(listed().filter((n) => !before.has(n)), []);
  });

  ctx.it("complete mode: the whole aggregate after every batch (sum, count, avg)", async () => {
    const input = new MemoryStream(ctx.spark, "k STRING, v INT");
    const q = await start(input.toDF().groupBy("k").agg(F.sum("v").alias("s"), F.count("*").alias("n"), F.avg("v").alias("a"), F.max("v").alias("mx"))
      .writeStream.outputMode("complete").format("memory").queryName("agg_complete").start());
    input.addData([{ k: "a", v: 1 }, { k: "b", v: 2 }]);
    await q.processAllAvailable();
    assertRows(await view(ctx.spark, "agg_complete"), [{ k: "a", s: 1, n: 1, a: 1, mx: 1 }, { k: "b", s: 2, n: 1, a: 2, mx: 2 }]);
    input.addData([{ k: "a", v: 10 }, { k: "c", v: 5 }]);
    await q.processAllAvailable();
    assertRows(await view(ctx.spark, "agg_complete"), [{ k: "a", s: 11, n: 2, a: 5.5, mx: 10 }, { k: "b", s: 2, n: 1, a: 2, mx: 2 }, { k: "c", s: 5, n: 1, a: 5, mx: 5 }]);
    assert.equal(q.lastProgress?.stateOperators[0].numRowsTotal, 3);
    assert.equal(q.lastProgress?.stateOperators[0].numRowsUpdated, 2);
    await stopAll();
  });

  ctx.it("update mode: only the groups a batch changed (foreachBatch sees each batch)", { feature: "streaming.foreachBatch" }, async () => {
    const input = new MemoryStream(ctx.spark, "k STRING, v INT");
    const batches: Row[][] = [];
    const q = await start(input.toDF().groupBy("k").agg(F.sum("v").alias("s")).writeStream.outputMode("update")
      .option("checkpointLocation", path.join(ctx.tempDir(), "chk"))
      .foreachBatch(async (df) => { batches.push(await df.collect()); }).start());
    input.addData([{ k: "a", v: 1 }, { k: "b", v: 2 }]);
    await q.processAllAvailable();
    input.addData([{ k: "a", v: 10 }, { k: "c", v: 5 }]);
    await q.processAllAvailable();
    assert.equal(batches.length, 2);
    assertRows(batches[0], [{ k: "a", s: 1 }, { k: "b", s: 2 }]);
    assertRows(batches[1], [{ k: "a", s: 11 }, { k: "c", s: 5 }]);
    await stopAll();
  });

  ctx.it("append mode with a watermark: closed windows are emitted once, late rows are dropped and counted", async () => {
    // Spark's rule: a row is late when the window it falls in has ended at or before the watermark;
    // a row behind the watermark whose window is still open is aggregated.
    const input = new MemoryStream(ctx.spark, "user STRING, amount DOUBLE, ts TIMESTAMP");
    const q = await start(input.toDF().withWatermark("ts", "10 seconds").groupBy(F.window("ts", "1 minute"), "user").agg(F.sum("amount").alias("total"))
      .writeStream.outputMode("append").format("memory").queryName("win_append").start());
    input.addData([{ user: "u1", amount: 1, ts: t("00:00:05") }, { user: "u1", amount: 2, ts: t("00:00:50") }, { user: "u2", amount: 4, ts: t("00:00:20") }]);
    await q.processAllAvailable();
    // Watermark now 00:00:40: the window [00:00, 00:01) is still open.
    assert.deepEqual(await view(ctx.spark, "win_append"), []);
    // 00:00:30 is behind the watermark 00:00:40, but its window ends at 00:01:00: aggregated.
    input.addData([{ user: "u1", amount: 8, ts: t("00:01:15") }, { user: "u2", amount: 16, ts: t("00:00:30") }]);
    await q.processAllAvailable();
    // Watermark now 00:01:05: [00:00, 00:01) closed and emitted once; a row for it is late, dropped and counted.
    input.addData([{ user: "u2", amount: 32, ts: t("00:00:45") }]);
    await q.processAllAvailable();
    const rows = (await view(ctx.spark, "win_append")).map((r) => ({ start: (r["window"] as { start: Date }).start, user: r["user"], total: r["total"] }));
    assertRows(rows, [{ start: t("00:00:00"), user: "u1", total: 3 }, { start: t("00:00:00"), user: "u2", total: 20 }], { sortBy: ["user"] });
    const progress = q.recentProgress;
    assert.equal(progress.reduce((a, p) => a + (p.stateOperators[0]?.numRowsDroppedByWatermark ?? 0), 0), 1);
    assert.equal(q.lastProgress?.eventTime["watermark"], "2024-01-01T00:01:05.000Z");
    // Only the window [00:01, 00:02) of u1 is left in state.
    assert.equal(q.lastProgress?.stateOperators[0].numRowsTotal, 1);
    await stopAll();
  });

  ctx.it("from_json -> watermark -> windows: progress counts input rows, malformed documents, event-time statistics and late rows", async () => {
    const input = new MemoryStream(ctx.spark, "value STRING");
    const doc = (user: string, amount: number, hms: string) => ({ value: JSON.stringify({ user, amount, ts: `2024-01-01T${hms}Z` }) });
    const q = await start(input.toDF().select(F.from_json(F.col("value"), "user STRING, amount DOUBLE, ts TIMESTAMP").alias("e")).select("e.*")
      .withWatermark("ts", "10 seconds").groupBy(F.window("ts", "1 minute"), "user").agg(F.sum("amount").alias("total"))
      .writeStream.outputMode("append").format("memory").queryName("json_win").start());
    const lastDataBatch = () => q.recentProgress.filter((p) => p.numInputRows > 0).at(-1)!;
    const countsMalformed = !ctx.unsupported("streaming.malformedJsonCount");
    input.addData([doc("u1", 1, "00:00:10"), doc("u2", 2, "00:00:50"), { value: "oops" }, { value: null }]);
    await q.processAllAvailable();
    let p = lastDataBatch();
    assert.equal(p.numInputRows, 4);
    if (countsMalformed) assert.equal(p.numMalformedJsonRows, 1);
    assert.equal(p.eventTime["max"], "2024-01-01T00:00:50.000Z");
    assert.equal(p.eventTime["watermark"], "1970-01-01T00:00:00.000Z");
    input.addData([doc("u1", 4, "00:01:30"), { value: "{bad" }]);
    await q.processAllAvailable();
    p = lastDataBatch();
    assert.equal(p.numInputRows, 2);
    if (countsMalformed) assert.equal(p.numMalformedJsonRows, 1);
    assert.equal(p.eventTime["max"], "2024-01-01T00:01:30.000Z");
    assert.equal(p.eventTime["watermark"], "2024-01-01T00:00:40.000Z");
    // Watermark 00:01:20: 00:00:55 falls in the closed window [00:00, 00:01) (late: dropped and
    // counted); 00:01:10 is behind the watermark but its window [00:01, 00:02) is open.
    input.addData([doc("u2", 8, "00:00:55"), doc("u2", 16, "00:01:10")]);
    await q.processAllAvailable();
    p = lastDataBatch();
    assert.equal(p.numInputRows, 2);
    if (countsMalformed) assert.equal(p.numMalformedJsonRows, 0);
    assert.deepEqual([p.eventTime["watermark"], p.eventTime["min"], p.eventTime["max"], p.eventTime["avg"]],
      ["2024-01-01T00:01:20.000Z", "2024-01-01T00:00:55.000Z", "2024-01-01T00:01:10.000Z", "2024-01-01T00:01:02.500Z"]);
    assert.equal(p.stateOperators[0].numRowsDroppedByWatermark, 1);
    const rows = (await view(ctx.spark, "json_win")).map((r) => ({ start: (r["window"] as { start: Date }).start, user: r["user"], total: r["total"] }));
    assertRows(rows, [{ start: t("00:00:00"), user: "u1", total: 1 }, { start: t("00:00:00"), user: "u2", total: 2 }], { sortBy: ["user"] });
    await stopAll();
  });

  ctx.it("a watermark over parsed JSON (a filter, withColumn, aliases before it): every source row counted, malformed documents once", async () => {
    const input = new MemoryStream(ctx.spark, "value STRING");
    const parsed = input.toDF().select(F.from_json(F.col("value"), "user STRING, amount DOUBLE, ts TIMESTAMP").alias("e")).select("e.*");
    const filtered = await start(parsed.filter(F.col("amount").gt(1)).withWatermark("ts", "10 seconds")
      .writeStream.format("memory").queryName("json_wm_filtered").start());
    const all = await start(parsed.withWatermark("ts", "10 seconds").writeStream.format("memory").queryName("json_wm_all").start());
    const fields = await start(input.toDF().withColumn("e", F.from_json(F.col("value"), "user STRING, amount DOUBLE, ts TIMESTAMP")).alias("p")
      .select(F.col("e.user").alias("user"), F.col("e.amount").alias("amount"), F.col("e.ts").alias("ts")).withWatermark("ts", "10 seconds")
      .writeStream.format("memory").queryName("json_wm_fields").start());
    const starred = await start(input.toDF().alias("p").select("p.*").select(F.from_json(F.col("value"), "user STRING, amount DOUBLE, ts TIMESTAMP").alias("e"))
      .select("e.*").withWatermark("ts", "10 seconds").writeStream.format("memory").queryName("json_wm_starred").start());
    input.addData([{ value: JSON.stringify({ user: "a", amount: 1, ts: "2024-01-01T00:00:05Z" }) }, { value: JSON.stringify({ user: "b", amount: 3, ts: "2024-01-01T00:00:20Z" }) }, { value: "not json" }]);
    await filtered.processAllAvailable();
    for (const q of [all, fields, starred]) await q.processAllAvailable();
    assertRows(await view(ctx.spark, "json_wm_filtered"), [{ user: "b", amount: 3, ts: t("00:00:20") }]);
    const allRows = [{ user: "a", amount: 1, ts: t("00:00:05") }, { user: "b", amount: 3, ts: t("00:00:20") }, { user: null, amount: null, ts: null }];
    for (const name of ["json_wm_all", "json_wm_fields", "json_wm_starred"]) assertRows(await view(ctx.spark, name), allRows, { sortBy: ["user"] });
    for (const q of [filtered, all, fields, starred]) {
      const p = q.recentProgress.filter((x) => x.numInputRows > 0).at(-1)!;
      assert.equal(p.numInputRows, 3);
      assert.equal(p.sink.numOutputRows, q === filtered ? 1 : 3);
      assert.equal(p.eventTime["max"], "2024-01-01T00:00:20.000Z");
      if (!ctx.unsupported("streaming.malformedJsonCount")) assert.equal(p.numMalformedJsonRows, 1);
    }
    await stopAll();
  });

  ctx.it("sliding windows on a stream: each row counts in every window containing it", async () => {
    const input = new MemoryStream(ctx.spark, "ts TIMESTAMP");
    const q = await start(input.toDF().groupBy(F.window("ts", "1 minute", "30 seconds")).count()
      .writeStream.outputMode("complete").format("memory").queryName("sliding").start());
    input.addData([{ ts: t("00:00:05") }, { ts: t("00:00:45") }]);
    await q.processAllAvailable();
    const rows = (await view(ctx.spark, "sliding")).map((r) => ({ start: (r["window"] as { start: Date }).start, count: r["count"] }));
    assertRows(rows, [{ start: new Date("2023-12-31T23:59:30Z"), count: 1 }, { start: t("00:00:00"), count: 2 }, { start: t("00:00:30"), count: 1 }], { sortBy: ["start"] });
    await stopAll();
  });

  ctx.it("dropDuplicates keeps the first row of each key across batches", async () => {
    const input = new MemoryStream(ctx.spark, "id INT, ts TIMESTAMP, note STRING");
    const q = await start(input.toDF().withWatermark("ts", "1 minute").dropDuplicates(["id", "ts"])
      .writeStream.format("memory").queryName("dedup").start());
    input.addData([{ id: 1, ts: t("00:00:01"), note: "first" }, { id: 1, ts: t("00:00:01"), note: "first" }, { id: 2, ts: t("00:00:01"), note: "x" }]);
    await q.processAllAvailable();
    input.addData([{ id: 1, ts: t("00:00:01"), note: "again" }, { id: 3, ts: t("00:00:02"), note: "y" }, { id: null, ts: t("00:00:03"), note: "null id" }]);
    await q.processAllAvailable();
    // A null key is deduplicated like any other.
    input.addData([{ id: null, ts: t("00:00:03"), note: "null id again" }]);
    await q.processAllAvailable();
    assertRows(await view(ctx.spark, "dedup"), [
      { id: null, ts: t("00:00:03"), note: "null id" },
      { id: 1, ts: t("00:00:01"), note: "first" }, { id: 2, ts: t("00:00:01"), note: "x" }, { id: 3, ts: t("00:00:02"), note: "y" },
    ], { sortBy: ["id"] });
    await stopAll();
  });

  ctx.it("stream-static joins: inner, left outer and left semi with the stream on the left", async () => {
    const users = ctx.spark.createDataFrame([{ user: "u1", country: "FR" }, { user: "u2", country: "DE" }], "user STRING, country STRING");
    const input = new MemoryStream(ctx.spark, "user STRING, amount INT");
    const events = input.toDF();
    const qs = [
      await start(events.join(users, "user").writeStream.format("memory").queryName("j_inner").start()),
      await start(events.join(users, "user", "left").writeStream.format("memory").queryName("j_left").start()),
      await start(events.join(users, "user", "left_semi").writeStream.format("memory").queryName("j_semi").start()),
    ];
    input.addData([{ user: "u1", amount: 5 }, { user: "u3", amount: 7 }]);
    for (const q of qs) await q.processAllAvailable();
    assertRows(await view(ctx.spark, "j_inner"), [{ user: "u1", amount: 5, country: "FR" }]);
    assertRows(await view(ctx.spark, "j_left"), [{ user: "u1", amount: 5, country: "FR" }, { user: "u3", amount: 7, country: null }], { sortBy: ["user"] });
    assertRows(await view(ctx.spark, "j_semi"), [{ user: "u1", amount: 5 }]);
    await stopAll();
  });

  ctx.it("stateless operations (select, filter, withColumn, from_json) and malformed JSON counted", async () => {
    const input = new MemoryStream(ctx.spark, "value STRING");
    const q = await start(input.toDF().select(F.from_json(F.col("value"), "user STRING, amount DOUBLE").alias("e")).select("e.*")
      .filter(F.col("amount").gt(1).or(F.col("amount").isNull())).withColumn("double", F.col("amount").multiply(2))
      .writeStream.format("memory").queryName("stateless").start());
    input.addData([{ value: "{\"user\":\"a\",\"amount\":1}" }, { value: "{\"user\":\"b\",\"amount\":3}" }, { value: "oops" }]);
    await q.processAllAvailable();
    assertRows(await view(ctx.spark, "stateless"), [{ user: "b", amount: 3, double: 6 }, { user: null, amount: null, double: null }], { sortBy: ["user"] });
    if (!ctx.unsupported("streaming.malformedJsonCount")) assert.equal(q.lastProgress?.numMalformedJsonRows, 1);
    await stopAll();
  });

  ctx.it("queries micro-batches cannot run fail at start() with Spark's reasons",
    { only: { backends: ["duckdb"], reason: "the rules of Quarry's micro-batch engine; Spark applies its own (it runs stream-stream joins and more)" } }, async () => {
    const input = new MemoryStream(ctx.spark, "k STRING, v INT, ts TIMESTAMP");
    const df = input.toDF();
    // The cases read a MemoryStream: where one cannot run at all, that is the answer.
    await (await df.writeStream.format("memory").queryName("probe").start()).stop();
    const dir = ctx.tempDir();
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => df.orderBy("v").writeStream.format("memory").queryName("x1").start(), /Sorting is not supported on streaming DataFrames/],
      [() => df.groupBy("k").count().writeStream.outputMode("append").format("memory").queryName("x2").start(), /Append output mode not supported when there are streaming aggregations .* without watermark|append\. This output mode is not supported for streaming aggregations without watermark/],
      [() => df.writeStream.outputMode("complete").format("memory").queryName("x3").start(), /Complete output mode not supported when there are no streaming aggregations/],
      [() => df.limit(3).writeStream.format("memory").queryName("x4").start(), /Limits are not supported/],
      [() => df.join(df, "k").writeStream.format("memory").queryName("x5").start(), /Stream-stream joins are not supported/],
      [() => df.groupBy("k").count().writeStream.outputMode("update").format("parquet").option("checkpointLocation", dir).start(path.join(dir, "o")), /does not support Update output mode/],
      [() => df.writeStream.format("parquet").start(path.join(dir, "o2")), /checkpointLocation must be specified/],
      [() => df.groupBy("k").agg(F.countDistinct("v")).writeStream.outputMode("complete").format("memory").queryName("x6").start(), /Distinct aggregations/],
      [() => df.groupBy("k").agg(F.stddev("v")).writeStream.outputMode("complete").format("memory").queryName("x7").start(), /stddev\(\) cannot be kept as streaming state/],
      [() => df.select("nope").writeStream.format("memory").queryName("x8").start(), /UNRESOLVED_COLUMN.*nope/],
      [() => df.writeStream.format("memory").start(), /memory sink needs a query name/],
      [() => df.groupBy(F.session_window("ts", "5 seconds")).count().writeStream.outputMode("update").format("memory").queryName("x9").start(), /Update output mode is not supported for session window/],
      [() => ctx.spark.readStream.format("kafka").load().writeStream.format("console").start(), /kafka\.bootstrap\.servers. must be specified/],
    ];
    for (const [f, re] of cases) {
      let q: StreamingQuery | undefined;
      await assert.rejects(async () => { q = await f() as StreamingQuery; }, re);
      if (q) await q.stop();
    }
    assert.equal(ctx.spark.streams.active.length, 0);
  });

  ctx.it("file source -> Parquet sink: maxFilesPerTrigger, availableNow, restart reads only new files, manifest-only reads", async () => {
    const dir = ctx.tempDir();
    const inDir = path.join(dir, "in"), out = path.join(dir, "out"), chk = path.join(dir, "chk");
    fs.mkdirSync(inDir);
    const write = (name: string, rows: Row[], mtime: number) => {
      const p = path.join(inDir, name);
      fs.writeFileSync(p, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
      fs.utimesSync(p, mtime, mtime);
    };
    write("b.json", [{ id: 1, name: "one" }], 1000);
    write("a.json", [{ id: 2, name: "two" }, { id: 3, name: "three" }], 2000);
    write("c.json", [{ id: 4, name: "four" }], 3000);
    const run = () => start(ctx.spark.readStream.schema("id INT, name STRING").option("maxFilesPerTrigger", 1).json(inDir)
      .withColumn("twice", F.col("id").multiply(2))
      .writeStream.format("parquet").option("checkpointLocation", chk).trigger({ availableNow: true }).start(out));
    const q1 = await run();
    await q1.awaitTermination();
    // Oldest modification time first, one file per batch.
    assert.deepEqual(q1.recentProgress.map((p) => p.numInputRows), [1, 2, 1]);
    write("d.json", [{ id: 5, name: "five" }], 4000);
    const q2 = await run();
    await q2.awaitTermination();
    assert.equal(q2.id, q1.id);
    assert.notEqual(q2.runId, q1.runId);
    assert.deepEqual(q2.recentProgress.map((p) => [p.batchId, p.numInputRows]), [[3, 1]]);
    // A stray file (e.g. from a crashed attempt) is not in the manifest, so it is never read.
    const part = fs.readdirSync(out).find((f) => f.endsWith(".parquet"))!;
    fs.copyFileSync(path.join(out, part), path.join(out, "part-stray.parquet"));
    assertRows(await ctx.spark.read.parquet(out).collect(), [1, 2, 3, 4, 5].map((id) => ({ id, name: ["one", "two", "three", "four", "five"][id - 1], twice: id * 2 })), { sortBy: ["id"] });
    await stopAll();
  });

  ctx.it("a file source without a schema fails at start, naming the fix", async () => {
    const dir = ctx.tempDir();
    await assert.rejects(() => ctx.spark.readStream.json(dir).writeStream.format("memory").queryName("noschema").start(), /Schema must be specified/);
  });

  ctx.it("spark.sql.streaming.schemaInference infers a file source's schema from the files present at start", async () => {
    const dir = ctx.tempDir();
    fs.writeFileSync(path.join(dir, "a.json"), "{\"id\": 1, \"name\": \"one\"}\n");
    const spark = await ctx.newSession({ "spark.sql.streaming.schemaInference": "true" });
    const q = await spark.readStream.json(dir).writeStream.format("memory").queryName("inferred").start();
    try {
      await q.processAllAvailable();
      assertRows(await spark.sql("SELECT * FROM inferred").collect(), [{ id: 1, name: "one" }]);
    } finally {
      await q.stop();
    }
  });

  ctx.it("CSV sink with header option; rows of each batch appended", async () => {
    const dir = ctx.tempDir();
    const input = new MemoryStream(ctx.spark, "k STRING, v INT");
    const q = await start(input.toDF().writeStream.format("csv").option("header", true).option("checkpointLocation", path.join(dir, "chk")).start(path.join(dir, "out")));
    input.addData([{ k: "a", v: 1 }]);
    await q.processAllAvailable();
    input.addData([{ k: "b", v: 2 }]);
    await q.processAllAvailable();
    await q.stop();
    assertRows(await ctx.spark.read.option("header", true).schema("k STRING, v INT").csv(path.join(dir, "out")).collect(), [{ k: "a", v: 1 }, { k: "b", v: 2 }]);
    assert.deepEqual(fs.readdirSync(path.join(dir, "out", "_spark_metadata")).filter((f) => !f.startsWith(".")).sort(), ["0", "1"]);
  });

  ctx.it("checkpoints: one run at a time, and a changed aggregation is refused on restart", async () => {
    const dir = ctx.tempDir();
    const input = new MemoryStream(ctx.spark, "k STRING, j STRING, v INT");
    const chk = path.join(dir, "chk");
    const q = await start(input.toDF().groupBy("k").agg(F.sum("v").alias("s")).writeStream.outputMode("complete").format("memory").queryName("c1").option("checkpointLocation", chk).start());
    const checksAtStart = !ctx.unsupported("streaming.checkpointChecksAtStart");
    if (checksAtStart) await assert.rejects(() => input.toDF().groupBy("k").agg(F.sum("v").alias("s")).writeStream.outputMode("complete").format("memory").queryName("c2").option("checkpointLocation", chk).start(), /CONCURRENT_QUERY/);
    input.addData([{ k: "a", j: "x", v: 1 }]);
    await q.processAllAvailable();
    await q.stop();
    if (checksAtStart) await assert.rejects(() => input.toDF().groupBy("k", "j").agg(F.sum("v").alias("s")).writeStream.outputMode("complete").format("memory").queryName("c3").option("checkpointLocation", chk).start(),
      /STATE_INCOMPATIBLE.*groupingKeys .*\["k"\] to \["k","j"\]/);
    const again = await start(input.toDF().groupBy("k").agg(F.sum("v").alias("s")).writeStream.outputMode("complete").format("memory").queryName("c4").option("checkpointLocation", chk).start());
    assert.equal(again.id, q.id);
    await stopAll();
  });

  ctx.it("a failing batch stops the query: exception names the batch, awaitTermination rejects, listeners hear it", { feature: "streaming.foreachBatch" }, async () => {
    const events: string[] = [];
    const listener = {
      onQueryStarted: () => events.push("started"),
      onQueryProgress: (e: { progress: StreamingQueryProgress }) => events.push(`progress ${e.progress.batchId}`),
      onQueryTerminated: (e: { exception: string | null }) => events.push(`terminated ${e.exception ? "with exception" : ""}`),
    };
    ctx.spark.streams.addListener(listener);
    const input = new MemoryStream(ctx.spark, "v INT");
    const q = await start(input.toDF().writeStream.option("checkpointLocation", path.join(ctx.tempDir(), "chk")).foreachBatch((_df, id) => {
      if (id === 1) throw new Error("sink exploded");
    }).start());
    input.addData([{ v: 1 }]);
    await q.processAllAvailable();
    input.addData([{ v: 2 }]);
    await assert.rejects(() => q.awaitTermination(), /batch 1 failed: sink exploded/);
    assert.match(String(q.exception?.message), /batch 1 failed/);
    assert.equal(q.isActive, false);
    await assert.rejects(() => ctx.spark.streams.awaitAnyTermination(), /sink exploded/);
    ctx.spark.streams.resetTerminated();
    ctx.spark.streams.removeListener(listener);
    assert.deepEqual(events, ["started", "progress 0", "terminated with exception"]);
    runs.splice(0);
  });

  ctx.it("processingTime trigger: no batch without new data; progress has Spark's fields", async () => {
    const input = new MemoryStream(ctx.spark, "v INT");
    const q = await start(input.toDF().writeStream.format("memory").queryName("pt").trigger({ processingTime: "100 milliseconds" }).start());
    input.addData([{ v: 1 }, { v: 2 }]);
    await q.processAllAvailable();
    const n = q.recentProgress.length;
    await sleep(350);
    assert.equal(q.recentProgress.length, n);
    const p = q.lastProgress!;
    assert.equal(p.numInputRows, 2);
    assert.equal(p.sink.numOutputRows, 2);
    // The offset's form is the source's own (a row count here; Spark's file source: {"logOffset": n}).
    assert.notEqual(p.sources[0].endOffset, null);
    for (const k of ["triggerExecution", "latestOffset", "getBatch", "queryPlanning", "walCommit", "addBatch", "commitOffsets"] as const) assert.equal(typeof p.durationMs[k], "number");
    assert.equal(q.status.isTriggerActive, false);
    assert.ok(ctx.spark.streams.active.includes(q));
    assert.equal(ctx.spark.streams.get(q.id), q);
    await stopAll();
    assert.equal(ctx.spark.streams.active.length, 0);
  });

  ctx.it("rate source: consecutive values, rowsPerSecond rows per second spread evenly", async () => {
    const q = await start(ctx.spark.readStream.format("rate").option("rowsPerSecond", 4).load().writeStream.format("memory").queryName("rate").start());
    while ((q.lastProgress?.sources[0].endOffset as number ?? 0) < 2) await sleep(100);
    await q.stop();
    const rows = await ctx.spark.sql("SELECT * FROM rate ORDER BY value").collect();
    assert.ok(rows.length >= 8);
    const t0 = (rows[0]["timestamp"] as Date).getTime();
    rows.forEach((r, i) => {
      assert.equal(r["value"], i);
      assert.equal((r["timestamp"] as Date).getTime() - t0, Math.floor(i / 4) * 1000 + (i % 4) * 250);
    });
  });

  ctx.it("console sink prints each batch under a Batch: N header", async () => {
    const input = new MemoryStream(ctx.spark, "k STRING");
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => { out.push(String(chunk)); return true; }) as typeof process.stdout.write;
    try {
      const q = await start(input.toDF().writeStream.format("console").start());
      input.addData([{ k: "hello" }]);
      await q.processAllAvailable();
      await stopAll();
    } finally {
      process.stdout.write = write;
    }
    // Spark prints on the server: the query ran and stopped, which is all this process can see.
    if (ctx.unsupported("streaming.console")) return;
    assert.match(out.join(""), /Batch: 0\n-+\n\+-----\+\n\| {4}k\|\n\+-----\+\n\|hello\|/);
  });
});

conformance("streaming DataFrames in batch actions", (ctx) => {
  ctx.it("batch actions fail like Spark's; isStreaming, schema and writeStream", async () => {
    const df: DataFrame = ctx.spark.readStream.format("rate").load();
    assert.equal(df.isStreaming, true);
    assert.equal(ctx.spark.range(1).isStreaming, false);
    assert.deepEqual((await df.schema()).fields.map((f) => f.name), ["timestamp", "value"]);
    await assert.rejects(() => df.collect(), /Queries with streaming sources must be executed with writeStream\.start\(\)/);
    await assert.rejects(() => df.count(), /writeStream\.start\(\)/);
    assert.throws(() => ctx.spark.range(1).writeStream, /'writeStream' can be called only on a streaming DataFrame/);
  });
});

conformance("streaming session windows", (ctx) => {
  ctx.it("session windows merge across batches and are emitted once the watermark passes their end", async () => {
    const input = new MemoryStream(ctx.spark, "user STRING, ts TIMESTAMP");
    const q = await input.toDF().withWatermark("ts", "10 seconds").groupBy(F.session_window("ts", "5 seconds"), "user").count()
      .writeStream.outputMode("append").format("memory").queryName("sessions").start();
    try {
      input.addData([{ user: "a", ts: t("00:00:00") }, { user: "a", ts: t("00:00:08") }, { user: "b", ts: t("00:00:01") }]);
      await q.processAllAvailable();
      // 00:00:04 bridges a's sessions [0, 5) and [8, 13): one session [0, 13) of 3 rows.
      input.addData([{ user: "a", ts: t("00:00:04") }, { user: "b", ts: t("00:00:30") }]);
      await q.processAllAvailable();
      input.addData([{ user: "c", ts: t("00:01:00") }]);
      await q.processAllAvailable();
      const rows = (await view(ctx.spark, "sessions")).map((r) => ({ start: (r["session_window"] as { start: Date }).start, end: (r["session_window"] as { end: Date }).end, user: r["user"], count: r["count"] }));
      // Watermark 00:00:50 closes a [0, 13), b [1, 6) and b [30, 35); c [60, 65) stays open.
      assertRows(rows, [
        { start: t("00:00:00"), end: t("00:00:13"), user: "a", count: 3 },
        { start: t("00:00:01"), end: t("00:00:06"), user: "b", count: 1 },
        { start: t("00:00:30"), end: t("00:00:35"), user: "b", count: 1 },
      ], { sortBy: ["user", "start"] });
    } finally {
      await q.stop();
    }
  });
});

conformance("streaming file sink manifest", (ctx) => {
  ctx.it("the manifest is compacted every 10 batches and still lists every committed file",
    { only: { backends: ["duckdb"], reason: "the manifest layout of Quarry's file sink; Spark compacts its own way" } }, async () => {
    const dir = ctx.tempDir();
    const input = new MemoryStream(ctx.spark, "i INT");
    const q = await input.toDF().writeStream.format("parquet").option("checkpointLocation", path.join(dir, "chk")).start(path.join(dir, "out"));
    try {
      for (let i = 0; i < 12; i++) {
        input.addData([{ i }]);
        await q.processAllAvailable();
      }
    } finally {
      await q.stop();
    }
    assert.deepEqual(fs.readdirSync(path.join(dir, "out", "_spark_metadata")).filter((f) => !f.startsWith(".")).sort(), ["10", "11", "9.compact"]);
    assertRows(await ctx.spark.read.parquet(path.join(dir, "out")).collect(), Array.from({ length: 12 }, (_, i) => ({ i })));
  });
});

conformance("streaming unions", (ctx) => {
  ctx.it("a union of two streams reads both, each from its own offsets", async () => {
    const a = new MemoryStream(ctx.spark, "k STRING, v INT");
    const b = new MemoryStream(ctx.spark, "v INT, k STRING");
    const q = await a.toDF().unionByName(b.toDF()).groupBy("k").agg(F.sum("v").alias("s"))
      .writeStream.outputMode("complete").format("memory").queryName("unioned").start();
    try {
      a.addData([{ k: "x", v: 1 }]);
      b.addData([{ k: "x", v: 10 }, { k: "y", v: 100 }]);
      await q.processAllAvailable();
      b.addData([{ k: "y", v: 1000 }]);
      await q.processAllAvailable();
      assertRows(await view(ctx.spark, "unioned"), [{ k: "x", s: 11 }, { k: "y", s: 1100 }]);
      assert.deepEqual(q.lastProgress?.sources.map((s) => s.numInputRows), [0, 1]);
    } finally {
      await q.stop();
    }
  });
});
