/**
 * Event-time windows and JSON functions in batch queries (they also serve streams). Expected
 * rows are hand-computed from the inputs written here.
 */
import { F } from "quarry";
import { conformance, assertRows } from "../conformance/harness.js";

const t = (hms: string) => new Date(`2024-01-01T${hms}Z`);
const d = (iso: string) => new Date(iso);

conformance("streaming functions: window, from_json, to_json (batch)", (ctx) => {
  ctx.it("tumbling window: each row in the one window [start, start + 1 minute) containing it", async () => {
    const df = ctx.spark.createDataFrame([
      { k: "a", v: 1, ts: t("00:00:05") }, { k: "a", v: 2, ts: t("00:00:59") },
      { k: "a", v: 4, ts: t("00:01:00") }, { k: "b", v: 8, ts: t("00:01:30") },
    ], "k STRING, v INT, ts TIMESTAMP");
    const rows = await df.groupBy(F.window("ts", "1 minute"), "k").agg(F.sum("v").alias("s"))
      .select(F.col("window.start").alias("start"), F.col("window.end").alias("end"), "k", "s").collect();
    assertRows(rows, [
      { start: t("00:00:00"), end: t("00:01:00"), k: "a", s: 3 },
      { start: t("00:01:00"), end: t("00:02:00"), k: "a", s: 4 },
      { start: t("00:01:00"), end: t("00:02:00"), k: "b", s: 8 },
    ], { sortBy: ["start", "k"] });
  });

  ctx.it("tumbling window keys with a startTime: a row without an event time joins no window; times before 1970 too", async () => {
    const df = ctx.spark.createDataFrame([
      { v: 1, ts: null }, { v: 2, ts: d("1969-12-31T23:59:50Z") }, { v: 4, ts: d("1970-01-01T00:00:09Z") }, { v: 8, ts: t("00:00:05") }, { v: 16, ts: t("00:00:10") },
    ], "v INT, ts TIMESTAMP");
    const rows = await df.groupBy(F.window("ts", "1 minute", undefined, "10 seconds")).agg(F.sum("v").alias("s"))
      .select(F.col("window.start").alias("start"), F.col("window.end").alias("end"), "s").collect();
    assertRows(rows, [
      { start: d("1969-12-31T23:59:10Z"), end: d("1970-01-01T00:00:10Z"), s: 6 },
      { start: d("2023-12-31T23:59:10Z"), end: t("00:00:10"), s: 8 },
      { start: t("00:00:10"), end: t("00:01:10"), s: 16 },
    ], { sortBy: ["start"] });
  });

  ctx.it("sliding window: a row joins every window that contains it (1 minute every 30 seconds)", async () => {
    const df = ctx.spark.createDataFrame([{ ts: t("00:00:05") }, { ts: t("00:00:45") }], "ts TIMESTAMP");
    const rows = await df.groupBy(F.window("ts", "1 minute", "30 seconds")).count()
      .select(F.col("window.start").alias("start"), "count").collect();
    assertRows(rows, [
      { start: d("2023-12-31T23:59:30Z"), count: 1 },
      { start: t("00:00:00"), count: 2 },
      { start: t("00:00:30"), count: 1 },
    ], { sortBy: ["start"] });
  });

  ctx.it("window startTime shifts the window boundaries", async () => {
    const df = ctx.spark.createDataFrame([{ ts: t("00:00:05") }], "ts TIMESTAMP");
    const rows = await df.select(F.window("ts", "1 minute", undefined, "10 seconds").alias("w")).select("w.start", "w.end").collect();
    assertRows(rows, [{ start: d("2023-12-31T23:59:10Z"), end: t("00:00:10") }]);
  });

  ctx.it("from_json parses a DDL schema; malformed and null documents become null fields; s.* expands the struct", async () => {
    const df = ctx.spark.createDataFrame([{ id: 1, j: "{\"a\": 7, \"b\": \"x\"}" }, { id: 2, j: "{not json" }, { id: 3, j: null }], "id INT, j STRING");
    const rows = await df.select("id", F.from_json(F.col("j"), "a INT, b STRING").alias("e")).select("id", "e.*").collect();
    assertRows(rows, [{ id: 1, a: 7, b: "x" }, { id: 2, a: null, b: null }, { id: 3, a: null, b: null }], { sortBy: ["id"] });
  });

  ctx.it("to_json writes a struct as a JSON object", async () => {
    const df = ctx.spark.createDataFrame([{ a: 1, b: "x" }], "a INT, b STRING");
    const rows = await df.select(F.to_json(F.struct("a", "b")).alias("j")).collect();
    assertRows(rows, [{ j: "{\"a\":1,\"b\":\"x\"}" }]);
  });

  ctx.it("withWatermark on a batch DataFrame changes nothing", async () => {
    const df = ctx.spark.createDataFrame([{ ts: t("00:00:05") }, { ts: t("00:10:00") }], "ts TIMESTAMP");
    assertRows(await df.withWatermark("ts", "1 second").collect(), [{ ts: t("00:00:05") }, { ts: t("00:10:00") }], { sortBy: ["ts"] });
  });
});

conformance("session windows (batch)", (ctx) => {
  ctx.it("session_window: per user, rows at most the gap apart share a session [first, last + gap)", async () => {
    const df = ctx.spark.createDataFrame([
      { user: "a", ts: t("00:00:00") }, { user: "a", ts: t("00:00:04") }, { user: "a", ts: t("00:00:09") },
      { user: "a", ts: t("00:00:20") }, { user: "b", ts: t("00:00:03") }, { user: "b", ts: t("00:00:08") }, { user: "b", ts: t("00:00:14") },
    ], "user STRING, ts TIMESTAMP");
    const rows = await df.groupBy(F.session_window("ts", "5 seconds"), "user").count()
      .select(F.col("session_window.start").alias("start"), F.col("session_window.end").alias("end"), "user", "count").collect();
    // a: 0, 4, 9 chain (gaps 4 and 5: a row at exactly the session's end joins it, as in Spark); 20 is 11 after 9.
    // b: 3 and 8 chain; 14 is 6 after 8, a new session.
    assertRows(rows, [
      { start: t("00:00:00"), end: t("00:00:14"), user: "a", count: 3 },
      { start: t("00:00:20"), end: t("00:00:25"), user: "a", count: 1 },
      { start: t("00:00:03"), end: t("00:00:13"), user: "b", count: 2 },
      { start: t("00:00:14"), end: t("00:00:19"), user: "b", count: 1 },
    ], { sortBy: ["user", "start"] });
  });
});
