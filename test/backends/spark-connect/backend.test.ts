// Behaviour of the Spark Connect backend that the shared conformance suite does not cover:
// session settings, interrupting a running query, stopping a result stream early, the
// materialized write, values createDataFrame sends, and Spark's explain. Against a real server.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Session, F, ExecutionError, IllegalArgumentError, UnsupportedOperationError } from "quarry";
import { sparkRemote, SPARK_SKIP } from "./spark-server.js";

describe("spark-connect backend", { skip: SPARK_SKIP }, () => {
  let spark: Session;
  let url = "";
  const dirs: string[] = [];
  const tempDir = () => { const d = fs.mkdtempSync(path.join(os.tmpdir(), "quarry-sc-")); dirs.push(d); return d; };

  before(async () => {
    url = await sparkRemote();
    spark = await Session.builder().remote(url).create();
  });
  after(async () => {
    await spark.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("reports itself as the spark-connect backend", () => {
    assert.equal(spark.backendName, "spark-connect");
  });

  it("starts sessions with Quarry's semantics: UTC, ANSI, case-insensitive names, reserved keywords", async () => {
    assert.equal(await spark.conf.get("spark.sql.session.timeZone"), "UTC");
    assert.equal(await spark.conf.get("spark.sql.ansi.enabled"), "true");
    assert.equal(await spark.conf.get("spark.sql.caseSensitive"), "false");
    assert.equal(await spark.conf.get("spark.sql.ansi.enforceReservedKeywords"), "true");
    const other = await Session.builder().remote(url).config("spark.sql.session.timeZone", "Europe/Paris").create();
    try {
      assert.equal(await other.conf.get("spark.sql.session.timeZone"), "Europe/Paris");
      assert.equal(await spark.conf.get("spark.sql.session.timeZone"), "UTC", "settings belong to their session");
    } finally {
      await other.stop();
    }
  });

  it("refuses a per-session warehouse with UnsupportedOperationError naming the setting", async () => {
    await assert.rejects(Session.builder().remote(url).config("quarry.warehouse", tempDir()).create(), (e: unknown) => {
      assert.ok(e instanceof UnsupportedOperationError);
      assert.match(e.message, /quarry\.warehouse/);
      return true;
    });
    const other = await Session.builder().remote(url).create();
    try {
      await assert.rejects(other.conf.set("spark.sql.warehouse.dir", "/tmp/x"), UnsupportedOperationError);
    } finally {
      await other.stop();
    }
  });

  it("rejects a malformed retry setting", async () => {
    await assert.rejects(Session.builder().remote(url).config("quarry.spark.maxReattachAttempts", "many").create(), IllegalArgumentError);
  });

  it("interruptAll() stops a running query, which fails instead of returning", async () => {
    // 400 rows that each sleep 250 ms on the server: 50 s on two cores unless interrupted.
    const long = spark.range(400).select(F.expr("reflect('java.lang.Thread', 'sleep', CAST(250 AS BIGINT))").alias("x")).collect();
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    await spark.interruptAll();
    await assert.rejects(long, (e: unknown) => {
      assert.ok(e instanceof ExecutionError, String(e));
      assert.equal(e.errorClass, "OPERATION_CANCELED");
      return true;
    });
    assert.ok(Date.now() - t0 < 10_000, `the query ended ${Date.now() - t0} ms after the interrupt`);
    assert.equal(await spark.range(5).count(), 5, "the session works afterwards");
  });

  it("a result stream can be left early: the rest is released and the session goes on", async () => {
    let seen = 0;
    for await (const row of spark.range(5_000_000).toLocalIterator()) {
      seen++;
      if (row.id === 20_000) break;
    }
    assert.ok(seen >= 20_001);
    assert.equal(await spark.range(3).count(), 3);
  });

  it("randomSplit's parts are disjoint and complete (the sample is deterministic)", async () => {
    const df = spark.range(5000).select(F.col("id"), F.col("id").mod(13).alias("k"));
    const parts = df.randomSplit([0.2, 0.3, 0.5], 17);
    const ids = (await Promise.all(parts.map((p) => p.collect()))).map((rows) => rows.map((r) => r.id as number));
    const all = ids.flat().sort((a, b) => a - b);
    assert.equal(all.length, 5000);
    assert.deepEqual(all, Array.from({ length: 5000 }, (_, i) => i));
    assert.deepEqual((await parts[1].collect()).map((r) => r.id), ids[1], "the same seed picks the same rows again");
  });

  it("a write computes its result before touching the target; with materializeBeforeWrite=false Spark's own overwrite runs", async () => {
    const p = path.join(tempDir(), "t");
    await spark.range(10).write.parquet(p);
    const bad = spark.range(10).select(F.lit("x").cast("int").alias("id"));
    await assert.rejects(bad.write.mode("overwrite").parquet(p), ExecutionError);
    assert.equal(await spark.read.parquet(p).count(), 10, "the previous output is intact");
    const direct = await Session.builder().remote(url).config("quarry.spark.materializeBeforeWrite", "false").create();
    try {
      await direct.range(3).write.mode("overwrite").parquet(p);
      assert.equal(await direct.read.parquet(p).count(), 3);
    } finally {
      await direct.stop();
    }
  });

  it("createDataFrame sends decimals, maps, nested arrays and binary exactly", async () => {
    const rows = [
      { d: 12.345, m: { a: 1, b: 2 }, nested: [[1, 2], [], null], bin: new Uint8Array([0, 255, 7]), ntz: new Date("2024-01-02T03:04:05.006Z") },
      { d: -0.001, m: {}, nested: null, bin: null, ntz: null },
    ];
    const df = spark.createDataFrame(rows, "d DECIMAL(10,3), m MAP<STRING, INT>, nested ARRAY<ARRAY<INT>>, bin BINARY, ntz TIMESTAMP_NTZ");
    const back = await df.collect();
    assert.equal(back.length, 2);
    const first = back.find((r) => r.d === 12.345)!;
    assert.deepEqual(first.m, { a: 1, b: 2 });
    assert.deepEqual(first.nested, [[1, 2], [], null]);
    assert.deepEqual([...(first.bin as Uint8Array)], [0, 255, 7]);
    assert.equal((first.ntz as Date).toISOString(), "2024-01-02T03:04:05.006Z");
    assert.deepEqual(back.find((r) => r.d === -0.001)!.m, {});
  });

  it("a value that does not fit the schema names its row and column", async () => {
    await assert.rejects(spark.createDataFrame([{ a: 1 }, { a: 2 ** 40 }], "a INT").collect(), (e: unknown) => {
      assert.ok(e instanceof IllegalArgumentError);
      assert.match(e.message, /row 1, column `a`/);
      return true;
    });
  });

  it("saveAsTable, its modes and insertInto work on the server's warehouse", async () => {
    const name = `quarry_sc_${Math.floor(Math.random() * 1e9).toString(16)}`;
    const people = spark.createDataFrame([{ name: "Ann", age: 34 }, { name: "Bob", age: 28 }], "name STRING, age INT");
    try {
      await people.write.saveAsTable(name);
      await assert.rejects(people.write.saveAsTable(name), (e: unknown) => e instanceof Error && e.message.includes(name));
      const t = (await spark.catalog.listTables()).find((x) => x.name === name);
      assert.ok(t && !t.isTemporary, `listTables has ${name}`);
      assert.equal(await spark.catalog.tableExists(name), true);
      await spark.createDataFrame([{ n: "Cy", a: 45 }], "n STRING, a INT").write.insertInto(name);
      await spark.createDataFrame([{ name: "Dee", age: 50 }], "name STRING, age INT").write.mode("append").saveAsTable(name);
      await people.write.mode("ignore").saveAsTable(name);
      assert.deepEqual((await spark.table(name).orderBy("name").collect()).map((r) => r.name), ["Ann", "Bob", "Cy", "Dee"]);
      await spark.createDataFrame([{ name: "Eve", age: 1 }], "name STRING, age INT").write.mode("overwrite").saveAsTable(name);
      assert.deepEqual(await spark.sql(`SELECT name, age FROM ${name}`).collect(), [{ name: "Eve", age: 1 }]);
    } finally {
      await spark.catalog.dropTable(name, true);
    }
    assert.equal(await spark.catalog.tableExists(name), false);
  });

  it("explain shows Spark's plans", async () => {
    const text = await spark.range(10).filter(F.col("id").gt(3)).explainString(true);
    assert.match(text, /== Spark ==/);
    assert.match(text, /Physical Plan/);
    assert.match(text, /Range/);
  });

  it("a query over duplicate column names fails at collect() but counts", async () => {
    const a = spark.createDataFrame([{ k: 1, v: "a" }], "k INT, v STRING").alias("a");
    const b = spark.createDataFrame([{ k: 1, v: "b" }], "k INT, v STRING").alias("b");
    const j = a.join(b, F.col("a.k").eq(F.col("b.k")));
    assert.equal(await j.count(), 1);
    await assert.rejects(j.collect(), /COLUMN_ALREADY_EXISTS/);
  });
});
