import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Session, F, AnalysisError, ParseError } from "quarry";

describe("duckdb backend: SQL safety and explain", () => {
  let spark: Session;
  before(async () => { spark = await Session.builder().appName("compiler-test").getOrCreate(); });
  after(async () => { await spark.stop(); });

  it("keeps a hostile string literal as data", async () => {
    const evil = "x'); DROP TABLE t; --\"";
    const rows = await spark.range(1).select(F.lit(evil).alias("s")).collect();
    assert.deepEqual(rows, [{ s: evil }]);
  });

  it("quotes hostile column names", async () => {
    const name = 'a"b; DROP';
    const rows = await spark.range(2).withColumn(name, F.col("id").plus(1)).select(name).orderBy(name).collect();
    assert.deepEqual(rows, [{ [name]: 1 }, { [name]: 2 }]);
  });

  it("rejects an expression string that smuggles in a second statement or clause", async () => {
    await assert.rejects(spark.range(1).selectExpr("1; DROP TABLE x").collect(), ParseError);
    await assert.rejects(spark.range(1).filter("id = 0 FROM range(3)").collect(), ParseError);
  });

  it("names the bad column and its closest names", async () => {
    await assert.rejects(spark.range(1).withColumn("value", F.lit(1)).select("valeu").collect(), (e: unknown) => {
      assert.ok(e instanceof AnalysisError);
      assert.match(e.message, /`valeu`/);
      assert.match(e.message, /`value`/);
      return true;
    });
  });

  it("explains the logical plan and the SQL", async () => {
    const text = await spark.range(3).filter(F.col("id").gt(1)).explainString();
    assert.match(text, /== Logical Plan ==/);
    assert.match(text, /Filter \(id > 1\)/);
    assert.match(text, /== DuckDB SQL ==/);
  });
});
