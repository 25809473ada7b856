/**
 * Feature transformers against scikit-learn (fixtures from test/ml/fixtures/gen_features.py,
 * cross-checked there with Spark ML) and hand-computed tables.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { F, AnalysisError, ExecutionError, IllegalArgumentError, typeToString } from "quarry";
import {
  VectorAssembler, StandardScaler, StandardScalerModel, MinMaxScaler, MinMaxScalerModel, StringIndexer, StringIndexerModel,
  OneHotEncoder, OneHotEncoderModel,
} from "quarry/ml";
import { conformance, expectError, assertApprox, type Row } from "../conformance/harness.js";

/** Reads a JSON fixture from test/ml/fixtures (tests run from build/test/ml). */
function mlFixture<T>(name: string): T {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const root of [path.resolve(here, "../../.."), process.cwd()]) {
    const p = path.join(root, "test", "ml", "fixtures", name);
    if (fs.existsSync(p)) return JSON.parse(fs.readFileSync(p, "utf8")) as T;
  }
  throw new Error(`fixture not found: ${name}`);
}

interface FeaturesFixture {
  standardScaler: { X: number[][]; mean: number[]; std: number[]; cases: { withMean: boolean; withStd: boolean; output: number[][] }[] };
  minMaxScaler: { X: number[][]; originalMin: number[]; originalMax: number[]; cases: { min: number; max: number; output: number[][] }[] };
  oneHotEncoder: { a: number[]; b: number[]; categorySizes: number[]; cases: { dropLast: boolean; outputs: number[][][] }[] };
  stringIndexer: { values: (string | null)[]; orders: Record<"frequencyDesc" | "frequencyAsc" | "alphabetDesc" | "alphabetAsc", string[]> };
}
const FX = mlFixture<FeaturesFixture>("features.json");

function byId(rows: Row[]): Row[] {
  return [...rows].sort((a, b) => Number(a["id"]) - Number(b["id"]));
}

function assertVectorsClose(actual: unknown[], expected: number[][], relTol = 1e-12, what = ""): void {
  assert.equal(actual.length, expected.length, `${what} rows`);
  actual.forEach((v, i) => {
    assert.ok(Array.isArray(v), `${what} row ${i}: expected a vector, got ${String(v)}`);
    assert.equal((v as number[]).length, expected[i].length, `${what} row ${i} length`);
    (v as number[]).forEach((x, j) => assertApprox(x, expected[i][j], relTol, `${what} row ${i} element ${j}:`));
  });
}

conformance("ml features: VectorAssembler", (ctx) => {
  ctx.it("merges numeric columns of every numeric type (and booleans) into an array<double>", async () => {
    const df = ctx.spark.createDataFrame([
      { id: 0, i: 1, l: 2, f: 0.5, d: 1.25, dec: "3.50", b: true },
      { id: 1, i: -4, l: 9007199254740991, f: -2, d: 1e-300, dec: "0.01", b: false },
    ], "id INT, i INT, l BIGINT, f FLOAT, d DOUBLE, dec DECIMAL(10,2), b BOOLEAN");
    const va = new VectorAssembler({ inputCols: ["i", "l", "f", "d", "dec", "b"] });
    const out = va.transform(df);
    const schema = await out.schema();
    assert.equal(typeToString(schema.fields.find((x) => x.name === "features")!.type), "array<double>");
    assert.equal(typeToString(va.transformSchema(await df.schema()).fields.at(-1)!.type), "array<double>");
    const rows = byId(await out.collect());
    assert.deepEqual(rows.map((r) => r["features"]), [[1, 2, 0.5, 1.25, 3.5, 1], [-4, 9007199254740991, -2, 1e-300, 0.01, 0]]);
  });

  ctx.it("concatenates vector columns declared in inputSizes, in inputCols order", async () => {
    const df = ctx.spark.createDataFrame([{ id: 0, x: 1, v: [2, 3], w: [4] }, { id: 1, x: 5, v: [6, 7], w: [8] }], "id INT, x DOUBLE, v ARRAY<DOUBLE>, w ARRAY<DOUBLE>");
    const va = new VectorAssembler({ inputCols: ["v", "x", "w"], outputCol: "all", inputSizes: { v: 2, w: 1 } });
    assert.deepEqual(byId(await va.transform(df).collect()).map((r) => r["all"]), [[2, 3, 1, 4], [6, 7, 5, 8]]);
  });

  ctx.it("handleInvalid: error fails the action naming the column; skip drops; keep writes NaN", async () => {
    const df = ctx.spark.createDataFrame([
      { id: 0, a: 1, b: 2, v: [1, 1] }, { id: 1, a: null, b: 3, v: [2, 2] }, { id: 2, a: 4, b: NaN, v: [3, 3] }, { id: 3, a: 5, b: 6, v: null },
    ], "id INT, a INT, b DOUBLE, v ARRAY<DOUBLE>");
    const cols = { inputCols: ["a", "b", "v"], inputSizes: { v: 2 } };
    const va = new VectorAssembler(cols);
    const row = (id: number) => df.filter(F.col("id").eq(id));
    const err = va.transform(row(1)); // lazy: nothing fails yet
    await expectError(() => err.collect(), ExecutionError, "VectorAssembler", "`a`", "null", "handleInvalid");
    await expectError(() => va.transform(row(2)).collect(), ExecutionError, "`b`", "NaN");
    await expectError(() => va.transform(row(3)).collect(), ExecutionError, "`v`", "null");
    assert.deepEqual(await va.transform(row(0)).select("features").collect(), [{ features: [1, 2, 1, 1] }]);

    const skip = await new VectorAssembler({ ...cols, handleInvalid: "skip" }).transform(df).collect();
    assert.deepEqual(skip.map((r) => [r["id"], r["features"]]), [[0, [1, 2, 1, 1]]]);

    const keep = byId(await new VectorAssembler({ ...cols, handleInvalid: "keep" }).transform(df).collect());
    assert.deepEqual(keep.map((r) => r["features"]), [[1, 2, 1, 1], [NaN, 3, 2, 2], [4, NaN, 3, 3], [5, 6, NaN, NaN]]);
  });

  ctx.it("a vector of another length than declared fails the action", async () => {
    const df = ctx.spark.createDataFrame([{ v: [1, 2, 3] }], "v ARRAY<DOUBLE>");
    await expectError(() => new VectorAssembler({ inputCols: ["v"], inputSizes: { v: 2 }, handleInvalid: "keep" }).transform(df).collect(), ExecutionError, "`v`", "not 2");
  });

  ctx.it("a non-numeric or undeclared vector input is named with its type by transformSchema", async () => {
    const schema = await ctx.spark.createDataFrame([{ x: 1, name: "a", v: [1], m: { k: 1 } }], "x INT, name STRING, v ARRAY<DOUBLE>, m STRUCT<k: INT>").schema();
    await expectError(() => new VectorAssembler({ inputCols: ["x", "name"] }).transformSchema(schema), AnalysisError, "`name`", "type string", "numeric");
    await expectError(() => new VectorAssembler({ inputCols: ["m"] }).transformSchema(schema), AnalysisError, "`m`", "struct<k:int>");
    await expectError(() => new VectorAssembler({ inputCols: ["v"] }).transformSchema(schema), AnalysisError, "`v`", "inputSizes");
    await expectError(() => new VectorAssembler({ inputCols: ["x"], inputSizes: { x: 2 } }).transformSchema(schema), AnalysisError, "`x`", "int");
    await expectError(() => new VectorAssembler({ inputCols: ["y"] }).transformSchema(schema), AnalysisError, "`y`", "does not exist");
    await expectError(() => new VectorAssembler({ inputCols: ["x"], outputCol: "name" }).transformSchema(schema), AnalysisError, "`name`", "already exists");
  });

  ctx.it("bad params fail when transform is built", async () => {
    const df = ctx.spark.createDataFrame([{ x: 1 }], "x INT");
    await expectError(() => new VectorAssembler({ inputCols: [] }).transform(df), IllegalArgumentError, "inputCols must name at least one column");
    await expectError(() => new VectorAssembler({}).transform(df), IllegalArgumentError, "inputCols must be set");
    await expectError(() => new VectorAssembler({ inputCols: ["x"], handleInvalid: "drop" as never }).transform(df), IllegalArgumentError, "handleInvalid must be one of");
    await expectError(() => new VectorAssembler({ inputCols: ["x"], inputSizes: { y: 2 } }).transform(df), IllegalArgumentError, "\"y\"", "not in inputCols");
  });
});

conformance("ml features: StandardScaler", (ctx) => {
  const fx = FX.standardScaler;
  const df = () => ctx.spark.createDataFrame(fx.X.map((x, id) => ({ id, features: x })), "id INT, features ARRAY<DOUBLE>");

  ctx.it("mean and sample std match scikit-learn (std with n - 1, as Spark)", async () => {
    const m = await new StandardScaler({ inputCol: "features", outputCol: "out" }).fit(df());
    m.mean.forEach((v, i) => assertApprox(v, fx.mean[i], 1e-12, `mean ${i}`));
    m.std.forEach((v, i) => assertApprox(v, fx.std[i], 1e-12, `std ${i}`));
    assert.equal(m.std[3], 0, "the constant feature has zero deviation");
  });

  for (const c of FX.standardScaler.cases) {
    ctx.it(`transform withMean=${c.withMean} withStd=${c.withStd} matches the reference (zero-std feature -> 0.0)`, async () => {
      const m = await new StandardScaler({ inputCol: "features", outputCol: "out", withMean: c.withMean, withStd: c.withStd }).fit(df());
      const rows = byId(await m.transform(df()).collect());
      assertVectorsClose(rows.map((r) => r["out"]), c.output, 1e-12);
    });
  }

  ctx.it("one row: std 0, scaled to 0.0", async () => {
    const m = await new StandardScaler({ inputCol: "v", outputCol: "o" }).fit(ctx.spark.createDataFrame([{ v: [3, 4] }], "v ARRAY<DOUBLE>"));
    assert.deepEqual(m.std, [0, 0]);
    assert.deepEqual(await m.transform(ctx.spark.createDataFrame([{ v: [3, 4] }], "v ARRAY<DOUBLE>")).select("o").collect(), [{ o: [0, 0] }]);
  });

  ctx.it("null vectors transform to null", async () => {
    const m = new StandardScalerModel({ inputCol: "v", outputCol: "o", withMean: true }, [1, 2], [2, 4]);
    const rows = await m.transform(ctx.spark.createDataFrame([{ id: 0, v: [3, 10] }, { id: 1, v: null }], "id INT, v ARRAY<DOUBLE>")).collect();
    assert.deepEqual(byId(rows).map((r) => r["o"]), [[1, 2], null]);
  });

  ctx.it("bad input fails fit clearly: missing, non-vector, NaN, null, ragged, empty", async () => {
    await expectError(() => new StandardScaler({ inputCol: "featurs" }).fit(df()), AnalysisError, "`featurs`", "`features`");
    await expectError(() => new StandardScaler({ inputCol: "id" }).fit(df()), AnalysisError, "`id`", "type int", "vector");
    const nan = ctx.spark.createDataFrame([{ v: [1, 2] }, { v: [NaN, 3] }], "v ARRAY<DOUBLE>");
    await expectError(() => new StandardScaler({ inputCol: "v" }).fit(nan), IllegalArgumentError, "`v`", "NaN", "index 0");
    const nul = ctx.spark.createDataFrame([{ v: [1, 2] }, { v: null }], "v ARRAY<DOUBLE>");
    await expectError(() => new StandardScaler({ inputCol: "v" }).fit(nul), IllegalArgumentError, "`v`", "null");
    const ragged = ctx.spark.createDataFrame([{ v: [1, 2] }, { v: [3] }], "v ARRAY<DOUBLE>");
    await expectError(() => new StandardScaler({ inputCol: "v" }).fit(ragged), IllegalArgumentError, "different lengths");
    await expectError(() => new StandardScaler({ inputCol: "features" }).fit(df().limit(0)), IllegalArgumentError, "no rows");
  });
});

conformance("ml features: MinMaxScaler", (ctx) => {
  const fx = FX.minMaxScaler;
  const df = () => ctx.spark.createDataFrame(fx.X.map((x, id) => ({ id, features: x })), "id INT, features ARRAY<DOUBLE>");

  for (const c of FX.minMaxScaler.cases) {
    ctx.it(`[${c.min}, ${c.max}] matches scikit-learn (constant feature -> 0.5 * (max + min), as Spark)`, async () => {
      const m = await new MinMaxScaler({ inputCol: "features", outputCol: "out", min: c.min, max: c.max }).fit(df());
      assert.deepEqual(m.originalMin, fx.originalMin);
      assert.deepEqual(m.originalMax, fx.originalMax);
      assertVectorsClose(byId(await m.transform(df()).collect()).map((r) => r["out"]), c.output, 1e-12);
    });
  }

  ctx.it("NaN is skipped when fitting and stays NaN", async () => {
    const data = ctx.spark.createDataFrame([{ id: 0, v: [0, 5] }, { id: 1, v: [NaN, 5] }, { id: 2, v: [4, 5] }], "id INT, v ARRAY<DOUBLE>");
    const m = await new MinMaxScaler({ inputCol: "v", outputCol: "o" }).fit(data);
    assert.deepEqual(m.originalMin, [0, 5]);
    assert.deepEqual(m.originalMax, [4, 5]);
    assert.deepEqual(byId(await m.transform(data).collect()).map((r) => r["o"]), [[0, 0.5], [NaN, 0.5], [1, 0.5]]);
  });

  ctx.it("round-trips through save/load", async () => {
    const m = await new MinMaxScaler({ inputCol: "features", outputCol: "out", min: -1, max: 3 }).fit(df());
    const dir = path.join(ctx.tempDir(), "mm");
    await m.save(dir);
    const back = await MinMaxScalerModel.load(dir);
    assert.deepEqual(back.getParams(), m.getParams());
    assertVectorsClose(byId(await back.transform(df()).collect()).map((r) => r["out"]), fx.cases[1].output, 1e-12);
  });
});

conformance("ml features: StringIndexer", (ctx) => {
  const fx = FX.stringIndexer;
  const df = () => ctx.spark.createDataFrame(fx.values.map((s, id) => ({ id, s })), "id INT, s STRING");

  for (const order of ["frequencyDesc", "frequencyAsc", "alphabetDesc", "alphabetAsc"] as const) {
    ctx.it(`${order}: label order as Spark (frequency ties broken alphabetically)`, async () => {
      const m = await new StringIndexer({ inputCol: "s", outputCol: "i", stringOrderType: order, handleInvalid: "keep" }).fit(df());
      assert.deepEqual(m.labels, fx.orders[order]);
      const rows = byId(await m.transform(df()).collect());
      const n = m.labels.length;
      assert.deepEqual(rows.map((r) => r["i"]), fx.values.map((s) => (s === null ? n : m.labels.indexOf(s))));
      assert.equal(typeToString((await m.transform(df()).schema()).fields.find((f) => f.name === "i")!.type), "double");
    });
  }

  ctx.it("handleInvalid: error fails on null or unseen labels; skip drops them; keep indexes them as labels.length", async () => {
    const train = ctx.spark.createDataFrame([{ s: "a" }, { s: "b" }, { s: "a" }], "s STRING");
    const test = ctx.spark.createDataFrame([{ id: 0, s: "b" }, { id: 1, s: "zz" }, { id: 2, s: null }, { id: 3, s: "a" }], "id INT, s STRING");
    const m = await new StringIndexer({ inputCol: "s", outputCol: "i" }).fit(train);
    assert.deepEqual(m.labels, ["a", "b"]);
    await expectError(() => m.transform(test.filter(F.col("id").eq(1))).collect(), ExecutionError, "`s`", "not seen", "handleInvalid");
    await expectError(() => m.transform(test.filter(F.col("id").eq(2))).collect(), ExecutionError, "`s`", "null");
    assert.deepEqual(byId(await m.copy({ handleInvalid: "skip" }).transform(test).collect()).map((r) => [r["id"], r["i"]]), [[0, 1], [3, 0]]);
    assert.deepEqual(byId(await m.copy({ handleInvalid: "keep" }).transform(test).collect()).map((r) => r["i"]), [1, 2, 2, 0]);
  });

  ctx.it("indexes numeric columns by their string form", async () => {
    const data = ctx.spark.createDataFrame([{ id: 0, x: 3 }, { id: 1, x: 1 }, { id: 2, x: 3 }, { id: 3, x: 20 }], "id INT, x INT");
    const m = await new StringIndexer({ inputCol: "x", outputCol: "xi", stringOrderType: "alphabetAsc" }).fit(data);
    assert.deepEqual(m.labels, ["1", "20", "3"]);
    assert.deepEqual(byId(await m.transform(data).collect()).map((r) => r["xi"]), [2, 0, 2, 1]);
  });

  ctx.it("round-trips through save/load and rejects a non-label column", async () => {
    const m = await new StringIndexer({ inputCol: "s", outputCol: "i", handleInvalid: "keep" }).fit(df());
    const dir = path.join(ctx.tempDir(), "si");
    await m.save(dir);
    const back = await StringIndexerModel.load(dir);
    assert.deepEqual(back.labels, m.labels);
    assert.deepEqual(back.labelsArray, [m.labels]);
    assert.deepEqual(byId(await back.transform(df()).collect()), byId(await m.transform(df()).collect()));
    const arr = ctx.spark.createDataFrame([{ v: [1] }], "v ARRAY<DOUBLE>");
    await expectError(() => new StringIndexer({ inputCol: "v" }).fit(arr), AnalysisError, "`v`", "array<double>");
  });
});

conformance("ml features: OneHotEncoder", (ctx) => {
  const fx = FX.oneHotEncoder;
  const df = () => ctx.spark.createDataFrame(fx.a.map((a, id) => ({ id, a, b: fx.b[id] })), "id INT, a DOUBLE, b DOUBLE");

  for (const c of FX.oneHotEncoder.cases) {
    ctx.it(`dropLast=${c.dropLast} matches scikit-learn's OneHotEncoder`, async () => {
      const m = await new OneHotEncoder({ inputCols: ["a", "b"], outputCols: ["va", "vb"], dropLast: c.dropLast }).fit(df());
      assert.deepEqual(m.categorySizes, fx.categorySizes);
      const rows = byId(await m.transform(df()).collect());
      assertVectorsClose(rows.map((r) => r["va"]), c.outputs[0], 0, "a");
      assertVectorsClose(rows.map((r) => r["vb"]), c.outputs[1], 0, "b");
    });
  }

  ctx.it("handleInvalid keep gives invalid values an extra category; error fails naming the column", async () => {
    const m = new OneHotEncoderModel({ inputCols: ["x"], outputCols: ["v"], handleInvalid: "keep", dropLast: false }, [3]);
    const data = ctx.spark.createDataFrame([{ id: 0, x: 1 }, { id: 1, x: 3 }, { id: 2, x: -1 }, { id: 3, x: 1.5 }, { id: 4, x: null }, { id: 5, x: NaN }, { id: 6, x: 2 }], "id INT, x DOUBLE");
    const rows = byId(await m.transform(data).collect());
    assert.deepEqual(rows.map((r) => r["v"]), [[0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 1, 0]]);
    // with dropLast the extra category is the dropped one
    const dropped = byId(await m.copy({ dropLast: true }).transform(data).collect());
    assert.deepEqual(dropped.map((r) => r["v"]), [[0, 1, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1]]);
    const strict = m.copy({ handleInvalid: "error" });
    const row = (id: number) => data.filter(F.col("id").eq(id));
    assert.deepEqual(await strict.transform(row(6)).select("v").collect(), [{ v: [0, 0, 1] }]);
    await expectError(() => strict.transform(row(1)).collect(), ExecutionError, "`x`", "[0, 3)", "handleInvalid");
    await expectError(() => strict.transform(row(4)).collect(), ExecutionError, "`x`", "null");
  });

  ctx.it("fit rejects values that are not category indices, naming the column", async () => {
    for (const bad of [-1, 1.5, NaN]) {
      const data = ctx.spark.createDataFrame([{ x: 0 }, { x: bad }], "x DOUBLE");
      await expectError(() => new OneHotEncoder({ inputCols: ["x"], outputCols: ["v"] }).fit(data), IllegalArgumentError, "`x`", "not category indices");
    }
    const s = ctx.spark.createDataFrame([{ x: "a" }], "x STRING");
    await expectError(() => new OneHotEncoder({ inputCols: ["x"], outputCols: ["v"] }).fit(s), AnalysisError, "`x`", "type string");
  });

  ctx.it("round-trips through save/load", async () => {
    const m = await new OneHotEncoder({ inputCols: ["a", "b"], outputCols: ["va", "vb"] }).fit(df());
    const dir = path.join(ctx.tempDir(), "ohe");
    await m.save(dir);
    const back = await OneHotEncoderModel.load(dir);
    assert.deepEqual(back.categorySizes, m.categorySizes);
    assert.deepEqual(back.outputSizes, [fx.categorySizes[0] - 1, fx.categorySizes[1] - 1]);
    assert.deepEqual(byId(await back.transform(df()).collect()), byId(await m.transform(df()).collect()));
  });
});
