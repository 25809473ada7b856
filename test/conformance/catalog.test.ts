import assert from "node:assert/strict";
import { F, AnalysisError } from "quarry";
import { conformance, assertRows, expectError, uniqueSuffix, type Row, simpleField } from "./harness.js";

const PEOPLE: Row[] = [
  { name: "Ann", age: 34, dept: "eng" },
  { name: "Bob", age: 28, dept: "ops" },
  { name: "Cy", age: 45, dept: "eng" },
];
const SCHEMA = "name STRING, age INT, dept STRING";

conformance("catalog and SQL", (ctx) => {
  ctx.it("temp views: create, query with SQL, replace, list, drop", async () => {
    const df = ctx.spark.createDataFrame(PEOPLE, SCHEMA);
    await df.createOrReplaceTempView("cat_people");
    assertRows(await ctx.spark.sql("SELECT name FROM cat_people WHERE age > 30").collect(), [{ name: "Ann" }, { name: "Cy" }]);
    assertRows(await ctx.spark.table("cat_people").select("name").collect(), PEOPLE.map((p) => ({ name: p.name })));

    const listed = await ctx.spark.catalog.listTables();
    const entry = listed.find((t) => t.name === "cat_people");
    assert.ok(entry, `listTables includes the view: ${JSON.stringify(listed)}`);
    assert.equal(entry.isTemporary, true);

    await df.filter(F.col("dept").eq("ops")).createOrReplaceTempView("cat_people");
    assertRows(await ctx.spark.sql("SELECT name FROM cat_people").collect(), [{ name: "Bob" }]);

    await ctx.spark.catalog.dropTempView("cat_people");
    assert.ok(!(await ctx.spark.catalog.listTables()).some((t) => t.name === "cat_people"));
    await expectError(() => ctx.spark.sql("SELECT * FROM cat_people").collect(), AnalysisError, "cat_people");
  });

  ctx.it("view names are case-insensitive", async () => {
    await ctx.spark.createDataFrame(PEOPLE, SCHEMA).createOrReplaceTempView("CaseView");
    assert.equal(await ctx.spark.sql("SELECT count(*) AS n FROM caseview").count(), 1);
    assert.deepEqual(await ctx.spark.sql("SELECT count(*) AS n FROM CASEVIEW").collect(), [{ n: 3 }]);
    assert.equal(await ctx.spark.table("caseVIEW").count(), 3);
  });

  ctx.it("SQL: joins, CTEs, subqueries, CASE, ORDER BY and string literals with quotes", async () => {
    await ctx.spark.createDataFrame(PEOPLE, SCHEMA).createOrReplaceTempView("sql_people");
    await ctx.spark
      .createDataFrame(
        [
          { dept: "eng", title: "Engineering" },
          { dept: "ops", title: "Operations" },
        ],
        "dept STRING, title STRING",
      )
      .createOrReplaceTempView("sql_depts");
    const rows = await ctx.spark
      .sql(
        `WITH older AS (SELECT * FROM sql_people WHERE age > (SELECT min(age) FROM sql_people))
         SELECT o.name, d.title,
                CASE WHEN o.age >= 40 THEN 'it''s senior' ELSE 'junior' END AS band
         FROM older o JOIN sql_depts d ON o.dept = d.dept
         ORDER BY o.name DESC`,
      )
      .collect();
    assert.deepEqual(rows, [
      { name: "Cy", title: "Engineering", band: "it's senior" },
      { name: "Ann", title: "Engineering", band: "junior" },
    ]);
  });

  ctx.it("a SQL result is a frame: the DataFrame API continues from it", async () => {
    await ctx.spark.createDataFrame(PEOPLE, SCHEMA).createOrReplaceTempView("sql_more");
    const rows = await ctx.spark
      .sql("SELECT dept, age FROM sql_more")
      .groupBy("dept")
      .agg(F.max("age").alias("oldest"))
      .collect();
    assertRows(rows, [
      { dept: "eng", oldest: 45 },
      { dept: "ops", oldest: 28 },
    ]);
  });

  ctx.it("temp views belong to their session", { feature: "session.multiple" }, async () => {
    await ctx.spark.createDataFrame(PEOPLE, SCHEMA).createOrReplaceTempView("mine_only");
    const other = await ctx.newSession();
    await expectError(() => other.table("mine_only").collect(), AnalysisError, "mine_only");
    await other.stop();
  });

  ctx.it("an unknown table is an AnalysisError naming it", async () => {
    await expectError(() => ctx.spark.table("no_such_table_xyz").collect(), AnalysisError, "no_such_table_xyz");
  });

  ctx.it("saveAsTable persists a table that a new session on the same warehouse sees", { feature: "catalog.warehouse" }, async () => {
    const warehouse = ctx.tempDir();
    const name = `conf_people_${uniqueSuffix()}`;
    const s1 = await ctx.newSession({ "quarry.warehouse": warehouse });
    await s1.createDataFrame(PEOPLE, SCHEMA).write.saveAsTable(name);
    const t1 = (await s1.catalog.listTables()).find((t) => t.name === name);
    assert.ok(t1, `listTables includes ${name}`);
    assert.equal(t1.isTemporary, false);
    assertRows(await s1.table(name).collect(), PEOPLE);
    await s1.stop();

    const s2 = await ctx.newSession({ "quarry.warehouse": warehouse });
    assert.ok((await s2.catalog.listTables()).some((t) => t.name === name && !t.isTemporary));
    assertRows(await s2.table(name).collect(), PEOPLE);
    assert.deepEqual((await s2.table(name).schema()).fields.map(simpleField).map((f) => [f.name, f.type]), [
      ["name", "string"],
      ["age", "int"],
      ["dept", "string"],
    ]);
    assert.deepEqual(await s2.sql(`SELECT count(*) AS n FROM ${name} WHERE dept = 'eng'`).collect(), [{ n: 2 }]);
    await s2.stop();
  });

  ctx.it("saveAsTable modes and insertInto", { feature: "catalog.warehouse" }, async () => {
    const s = await ctx.newSession({ "quarry.warehouse": ctx.tempDir() });
    const name = `conf_modes_${uniqueSuffix()}`;
    const df = s.createDataFrame(PEOPLE, SCHEMA);
    await df.write.saveAsTable(name);
    await expectError(() => df.write.saveAsTable(name), AnalysisError, name);
    await expectError(() => df.write.mode("error").saveAsTable(name), AnalysisError);

    await s.createDataFrame([{ name: "Dee", age: 50, dept: "ops" }], SCHEMA).write.insertInto(name);
    assert.equal(await s.table(name).count(), 4);
    await s.createDataFrame([{ name: "Eli", age: 22, dept: "eng" }], SCHEMA).write.mode("append").saveAsTable(name);
    assert.equal(await s.table(name).count(), 5);
    await s.createDataFrame([{ name: "Fay", age: 61, dept: "eng" }], SCHEMA).write.mode("ignore").saveAsTable(name);
    assert.equal(await s.table(name).count(), 5);
    await s.createDataFrame([{ name: "Gus", age: 33, dept: "ops" }], SCHEMA).write.mode("overwrite").saveAsTable(name);
    assertRows(await s.table(name).collect(), [{ name: "Gus", age: 33, dept: "ops" }]);
    assertRows(await s.sql(`SELECT name FROM ${name.toUpperCase()}`).collect(), [{ name: "Gus" }]);
    await s.stop();
  });

  ctx.it("insertInto matches columns by position", { feature: "catalog.warehouse" }, async () => {
    const s = await ctx.newSession({ "quarry.warehouse": ctx.tempDir() });
    const name = `conf_pos_${uniqueSuffix()}`;
    await s.createDataFrame([{ a: "x", b: 1 }], "a STRING, b INT").write.saveAsTable(name);
    // Column names differ; positions decide.
    await s.createDataFrame([{ p: "y", q: 2 }], "p STRING, q INT").write.insertInto(name);
    assertRows(await s.table(name).collect(), [
      { a: "x", b: 1 },
      { a: "y", b: 2 },
    ]);
    await s.stop();
  });

  ctx.it("insertInto an unknown table is an AnalysisError", { feature: "catalog.warehouse" }, async () => {
    const s = await ctx.newSession({ "quarry.warehouse": ctx.tempDir() });
    await expectError(() => s.range(3).write.insertInto("conf_missing_table"), AnalysisError, "conf_missing_table");
    await s.stop();
  });
});
