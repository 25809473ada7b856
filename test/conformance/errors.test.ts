import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { F, Window, QuarryError, AnalysisError, ParseError, ExecutionError } from "quarry";
import { conformance, expectError, type Spark } from "./harness.js";

const people = (s: Spark) =>
  s.createDataFrame(
    [
      { name: "Ann", age: 34, country: "FR", income: 5200.5 },
      { name: "Bob", age: 28, country: "US", income: 4100.0 },
    ],
    "name STRING, age INT, country STRING, income DOUBLE",
  );

conformance("errors", (ctx) => {
  ctx.it("a wrong column name fails at the action, not when the frame is built", async () => {
    const df = people(ctx.spark);
    let bad: ReturnType<typeof df.select> | undefined;
    assert.doesNotThrow(() => {
      bad = df.select("agee");
    }, "building the frame is lazy");
    await expectError(() => bad!.collect(), AnalysisError, "agee", "age");
  });

  ctx.it("the error names the bad column and the closest existing ones, in every verb", async () => {
    const df = people(ctx.spark);
    await expectError(() => df.filter(F.col("agee").gt(3)).count(), AnalysisError, "agee", "age");
    await expectError(() => df.groupBy("contry").count().collect(), AnalysisError, "contry", "country");
    await expectError(() => df.agg(F.sum("incme")).collect(), AnalysisError, "incme", "income");
    await expectError(() => df.withColumn("x", F.col("nme").plus(1)).collect(), AnalysisError, "nme", "name");
    await expectError(() => df.orderBy("agee").collect(), AnalysisError, "agee", "age");
    await expectError(() => df.select(F.upper(F.col("contry"))).collect(), AnalysisError, "contry", "country");
    await expectError(
      () => df.select(F.row_number().over(Window.partitionBy("contry").orderBy("age")).alias("rn")).collect(),
      AnalysisError,
      "contry",
    );
    await expectError(() => df.filter("agee > 3").collect(), AnalysisError, "agee", "age");
    await expectError(() => df.selectExpr("agee + 1 AS x").collect(), AnalysisError, "agee", "age");
  });

  ctx.it("schema, columns, count and show also report a wrong column", async () => {
    const bad = people(ctx.spark).select("name", "agee");
    await expectError(() => bad.schema(), AnalysisError, "agee");
    await expectError(() => bad.columns(), AnalysisError, "agee");
    await expectError(() => bad.count(), AnalysisError, "agee");
    await expectError(() => bad.show(), AnalysisError, "agee");
  });

  ctx.it("a wrong column in SQL is an AnalysisError naming it", async () => {
    await people(ctx.spark).createOrReplaceTempView("err_people");
    await expectError(() => ctx.spark.sql("SELECT agee FROM err_people").collect(), AnalysisError, "agee", "age");
  });

  ctx.it("an unknown function is an AnalysisError naming it", async () => {
    await expectError(() => people(ctx.spark).select(F.expr("nosuchfn(age)")).collect(), AnalysisError, "nosuchfn");
  });

  ctx.it("malformed SQL is a ParseError", async () => {
    await expectError(() => ctx.spark.sql("SELEC 1").collect(), ParseError);
    const df = people(ctx.spark);
    await expectError(() => df.select(F.expr("age +")).collect(), ParseError);
    await expectError(() => df.filter("age >").collect(), ParseError);
    await expectError(() => df.selectExpr("age AS").collect(), ParseError);
  });

  ctx.it("errors are QuarryErrors with their class name", async () => {
    const err = await expectError(() => people(ctx.spark).select("agee").collect(), AnalysisError);
    assert.ok(err instanceof QuarryError);
    assert.ok(err instanceof Error);
    assert.equal(err.name, "AnalysisError");
    const perr = await expectError(() => ctx.spark.sql("SELEC 1").collect(), ParseError);
    assert.equal(perr.name, "ParseError");
  });

  ctx.it("integer division by zero is an error (ANSI)", async () => {
    const df = ctx.spark.createDataFrame([{ a: 1, b: 0 }], "a INT, b INT");
    await expectError(() => df.select(F.col("a").divide(F.col("b")).alias("q")).collect(), ExecutionError, /zero/i);
  });

  ctx.it("int overflow in + and * is an ExecutionError (ANSI)", async () => {
    const df = ctx.spark.createDataFrame([{ a: 2147483647, b: 1, c: 100000 }], "a INT, b INT, c INT");
    await expectError(() => df.select(F.col("a").plus(F.col("b")).alias("s")).collect(), ExecutionError, /overflow/i);
    await expectError(() => df.select(F.col("c").multiply(F.col("c")).alias("p")).collect(), ExecutionError, /overflow/i);
    const neg = ctx.spark.createDataFrame([{ a: -2147483648, b: 1 }], "a INT, b INT");
    await expectError(() => neg.select(F.col("a").minus(F.col("b")).alias("d")).collect(), ExecutionError, /overflow/i);
  });

  ctx.it("bigint overflow, including in sum, is an ExecutionError (ANSI)", async () => {
    const big = ctx.spark.range(1).select(F.expr("CAST(9223372036854775807 AS BIGINT)").alias("m"));
    await expectError(() => big.select(F.col("m").plus(F.expr("CAST(1 AS BIGINT)")).alias("x")).collect(), ExecutionError, /overflow/i);
    const quarter = ctx.spark.range(3).select(F.expr("CAST(4611686018427387904 AS BIGINT)").alias("v"));
    await expectError(() => quarter.agg(F.sum("v").alias("s")).collect(), ExecutionError, /overflow/i);
  });

  ctx.it("an unknown data source format is an error naming it", async () => {
    const p = path.join(ctx.tempDir(), "x.dat");
    fs.writeFileSync(p, "1\n");
    await expectError(() => ctx.spark.read.format("avro2").load(p).collect(), QuarryError, "avro2");
  });

  ctx.it("an unknown type name in cast or a DDL schema is an error naming it", async () => {
    await expectError(() => people(ctx.spark).select(F.col("age").cast("notatype")).collect(), QuarryError, "notatype");
    await expectError(() => ctx.spark.createDataFrame([{ a: 1 }], "a INTEGR").collect(), QuarryError, /integr/i);
  });

  ctx.it("createDataFrame([]) without a schema cannot infer one", async () => {
    await expectError(() => ctx.spark.createDataFrame([]).collect(), QuarryError);
  });

  ctx.it("a value that does not fit the declared schema is an error", async () => {
    await expectError(() => ctx.spark.createDataFrame([{ a: "not a number" }], "a INT").collect(), QuarryError);
  });
});
