/**
 * The ML contract: params validated in fit, fit leaves the estimator unchanged, transform is
 * lazy, save/load (atomic, overwrite, class checks, corrupt directories), and Pipelines.
 * Expected values are hand-computed here.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { F, AnalysisError, ExecutionError, IllegalArgumentError, type DataFrame } from "quarry";
import {
  Pipeline, PipelineModel, Transformer, VectorAssembler, StandardScaler, StandardScalerModel, MinMaxScaler,
  MinMaxScalerModel, StringIndexer, StringIndexerModel, OneHotEncoder, OneHotEncoderModel, loadModel, loadModelDir,
  saveModelDir, registerModel,
} from "quarry/ml";
import { conformance, expectError, assertApprox, type Row } from "../conformance/harness.js";

const PKG_VERSION = (JSON.parse(fs.readFileSync(path.resolve(process.cwd(), "package.json"), "utf8")) as { version: string }).version;

function byId(rows: Row[]): Row[] {
  return [...rows].sort((a, b) => Number(a["id"]) - Number(b["id"]));
}

function assertVectorsClose(actual: unknown[], expected: number[][], relTol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => {
    assert.ok(Array.isArray(v), `row ${i}: expected a vector, got ${String(v)}`);
    assert.equal((v as number[]).length, expected[i].length, `row ${i} length`);
    (v as number[]).forEach((x, j) => assertApprox(x, expected[i][j], relTol, `row ${i} element ${j}:`));
  });
}

/** Three rows of (x1, x2) whose scaled values are easy to compute by hand. */
const XS = [{ id: 0, x1: 1, x2: 10 }, { id: 1, x1: 2, x2: 20 }, { id: 2, x1: 6, x2: 60 }];
// mean (3, 30); sample variance ((4 + 1 + 9) / 2 = 7, 700); std (√7, √700)
const MEAN = [3, 30];
const STD = [Math.sqrt(7), Math.sqrt(700)];

/** A transformer without save(), to check PipelineModel.save's error. */
class Doubler extends Transformer {
  constructor(uid?: string) { super([], {}, uid); }
  copy(): Doubler { return new Doubler(this.uid); }
  transform(df: DataFrame): DataFrame { return df.withColumn("twice", F.col("x1").multiply(2)); }
}

/** A transformer whose save() fails half-way, to check that a failed save changes nothing. */
class FailingSave extends Transformer {
  constructor(uid?: string) { super([], {}, uid); }
  copy(): FailingSave { return new FailingSave(this.uid); }
  transform(df: DataFrame): DataFrame { return df; }
  async save(dir: string): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "partial"), "x");
    throw new Error("disk full (simulated)");
  }
}

conformance("ml base: params, fit, laziness", (ctx) => {
  const df = () => ctx.spark.createDataFrame(XS, "id INT, x1 INT, x2 DOUBLE");
  const assembled = () => new VectorAssembler({ inputCols: ["x1", "x2"], outputCol: "raw" }).transform(df());

  ctx.it("an unknown param fails at construction, naming it and the known params", async () => {
    await expectError(() => new StandardScaler({ inputCol: "raw", withMeen: true } as never), IllegalArgumentError, "withMeen", "withMean");
  });

  ctx.it("params are validated in fit with one clear error", async () => {
    await expectError(() => new StandardScaler({ outputCol: "s" }).fit(assembled()), IllegalArgumentError, "inputCol must be set");
    await expectError(() => new StandardScaler({ inputCol: "raw", withMean: "yes" as never }).fit(assembled()), IllegalArgumentError, "withMean must be of type boolean");
    await expectError(() => new MinMaxScaler({ inputCol: "raw", min: 2, max: 1 }).fit(assembled()), IllegalArgumentError, "max must be greater than min");
    await expectError(() => new StringIndexer({ inputCol: "x1", stringOrderType: "random" as never }).fit(df()), IllegalArgumentError, "stringOrderType must be one of");
    await expectError(() => new OneHotEncoder({ inputCols: ["x1"], outputCols: ["a", "b"] }).fit(df()), IllegalArgumentError, "outputCols must have one name per input column");
    await expectError(() => new MinMaxScaler({ inputCol: "raw", min: NaN }).fit(assembled()), IllegalArgumentError, "got NaN");
  });

  ctx.it("fit does not mutate the estimator, and the model carries its params and uid", async () => {
    const est = new StandardScaler({ inputCol: "raw", outputCol: "scaled", withMean: true });
    const before = JSON.stringify(est.getParams());
    const m1 = await est.fit(assembled());
    const m2 = await est.fit(assembled());
    assert.equal(JSON.stringify(est.getParams()), before);
    assert.deepEqual(m1.getParams(), est.getParams());
    assert.equal(m1.uid, est.uid);
    assert.deepEqual(m1.mean, m2.mean);
    assert.deepEqual(m1.std, m2.std);
  });

  ctx.it("copy keeps the uid and replaces only the given params", async () => {
    const est = new StandardScaler({ inputCol: "raw", outputCol: "scaled" });
    const c = est.copy({ withMean: true });
    assert.equal(c.uid, est.uid);
    assert.equal(c.getParam("withMean"), true);
    assert.equal(est.getParam("withMean"), false);
    assert.equal(c.getParam("outputCol"), "scaled");
    assert.match(est.explainParams(), /withStd: .*\(default: true, current: true\)/);
  });

  ctx.it("outputCol defaults to <uid>__output, as in Spark", async () => {
    const m = await new StandardScaler({ inputCol: "raw" }).fit(assembled());
    assert.ok((await m.transform(assembled()).columns()).includes(`${m.uid}__output`));
  });

  ctx.it("transform is lazy: building it over a missing file runs nothing; the action fails", async () => {
    const missing = ctx.spark.read.parquet(path.join(ctx.tempDir(), "does-not-exist.parquet"));
    const scaler = new StandardScalerModel({ inputCol: "raw", outputCol: "s" }, [0, 0], [1, 1]);
    const stages = [
      new VectorAssembler({ inputCols: ["x1", "x2"], outputCol: "raw" }),
      scaler,
      new MinMaxScalerModel({ inputCol: "raw", outputCol: "m" }, [0, 0], [1, 1]),
      new StringIndexerModel({ inputCol: "c", outputCol: "ci" }, ["a", "b"]),
      new OneHotEncoderModel({ inputCols: ["x1"], outputCols: ["x1v"] }, [3]),
      new PipelineModel([new VectorAssembler({ inputCols: ["x1", "x2"], outputCol: "raw" }), scaler]),
    ];
    for (const s of stages) {
      const out = s.transform(missing); // must not throw or run anything
      await assert.rejects(() => out.collect(), (e: Error) => e instanceof AnalysisError || e instanceof ExecutionError, `${s.constructor.name}`);
    }
  });
});

conformance("ml base: save and load", (ctx) => {
  const df = () => ctx.spark.createDataFrame(XS, "id INT, x1 INT, x2 DOUBLE");
  const assembled = () => new VectorAssembler({ inputCols: ["x1", "x2"], outputCol: "raw" }).transform(df());

  ctx.it("a model round-trips: metadata, params, data and output", async () => {
    const m = await new StandardScaler({ inputCol: "raw", outputCol: "scaled", withMean: true }).fit(assembled());
    m.mean.forEach((v, i) => assertApprox(v, MEAN[i], 1e-14));
    m.std.forEach((v, i) => assertApprox(v, STD[i], 1e-14));
    const dir = path.join(ctx.tempDir(), "models", "scaler");
    const t0 = Date.now();
    await m.save(dir);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, "metadata.json"), "utf8")) as Record<string, unknown>;
    assert.equal(meta.class, "StandardScalerModel");
    assert.equal(meta.uid, m.uid);
    assert.equal(meta.quarryVersion, PKG_VERSION);
    assert.ok(typeof meta.timestamp === "number" && meta.timestamp >= t0 - 1000 && meta.timestamp <= Date.now());
    assert.deepEqual(meta.params, { inputCol: "raw", outputCol: "scaled", withMean: true, withStd: true });
    assert.ok(fs.existsSync(path.join(dir, "data.json")));
    const back = await StandardScalerModel.load(dir);
    assert.equal(back.uid, m.uid);
    assert.deepEqual(back.getParams(), m.getParams());
    assert.deepEqual(back.mean, m.mean);
    assert.deepEqual(back.std, m.std);
    const rows = byId(await back.transform(assembled()).collect());
    assertVectorsClose(rows.map((r) => r["scaled"]), XS.map((x) => [(x.x1 - MEAN[0]) / STD[0], (x.x2 - MEAN[1]) / STD[1]]));
    assert.ok((await loadModel(dir)) instanceof StandardScalerModel);
  });

  ctx.it("NaN and infinities in model data survive save/load", async () => {
    const m = new MinMaxScalerModel({ inputCol: "raw" }, [Number.NEGATIVE_INFINITY, NaN], [Infinity, 1]);
    const dir = path.join(ctx.tempDir(), "nan");
    await m.save(dir);
    const back = await MinMaxScalerModel.load(dir);
    assert.deepEqual(back.originalMin, [Number.NEGATIVE_INFINITY, NaN]);
    assert.deepEqual(back.originalMax, [Infinity, 1]);
  });

  ctx.it("saving over an existing path fails unless overwrite, and overwrite replaces it", async () => {
    const dir = path.join(ctx.tempDir(), "m");
    await new StandardScalerModel({ inputCol: "raw" }, [1], [2]).save(dir);
    await expectError(() => new StandardScalerModel({ inputCol: "raw" }, [5], [6]).save(dir), AnalysisError, dir, "already exists", "overwrite: true");
    assert.deepEqual((await StandardScalerModel.load(dir)).mean, [1]);
    await new StandardScalerModel({ inputCol: "raw" }, [5], [6]).save(dir, { overwrite: true });
    assert.deepEqual((await StandardScalerModel.load(dir)).mean, [5]);
    assert.deepEqual(fs.readdirSync(path.dirname(dir)), ["m"], "no temporary directories are left behind");
  });

  ctx.it("saving under a path whose parent is a file fails clearly", async () => {
    const file = path.join(ctx.tempDir(), "plainfile");
    fs.writeFileSync(file, "x");
    await expectError(() => new StandardScalerModel({ inputCol: "raw" }, [1], [2]).save(path.join(file, "model")), AnalysisError, "plainfile", "a part of the path is a file");
    assert.equal(fs.readFileSync(file, "utf8"), "x", "the file is untouched");
  });

  ctx.it("loading a directory saved by another class names both classes", async () => {
    const dir = path.join(ctx.tempDir(), "mm");
    await new MinMaxScalerModel({ inputCol: "raw" }, [0], [1]).save(dir);
    await expectError(() => StandardScalerModel.load(dir), AnalysisError, "StandardScalerModel", "MinMaxScalerModel");
    await expectError(() => PipelineModel.load(dir), AnalysisError, "PipelineModel", "MinMaxScalerModel");
  });

  ctx.it("missing and corrupt directories fail clearly", async () => {
    const root = ctx.tempDir();
    await expectError(() => StandardScalerModel.load(path.join(root, "nope")), AnalysisError, "does not exist");
    await expectError(() => loadModel(path.join(root, "nope")), AnalysisError, "does not exist");
    const dir = path.join(root, "m");
    await new StandardScalerModel({ inputCol: "raw" }, [1, 2], [3, 4]).save(dir);
    fs.writeFileSync(path.join(dir, "data.json"), "{ \"mean\": [1, 2] ");
    await expectError(() => StandardScalerModel.load(dir), AnalysisError, "data.json", "not valid JSON");
    fs.writeFileSync(path.join(dir, "data.json"), "{ \"mean\": [1, 2], \"std\": \"x\" }");
    await expectError(() => StandardScalerModel.load(dir), AnalysisError, "data.json", "\"std\"");
    fs.rmSync(path.join(dir, "data.json"));
    await expectError(() => StandardScalerModel.load(dir), AnalysisError, "data.json", "missing");
    fs.writeFileSync(path.join(dir, "metadata.json"), "[]");
    await expectError(() => StandardScalerModel.load(dir), AnalysisError, "metadata.json", "\"class\"");
    const file = path.join(root, "file");
    fs.writeFileSync(file, "x");
    await expectError(() => StandardScalerModel.load(file), AnalysisError, "not a directory");
    const unknown = path.join(root, "unknown");
    await saveModelDir(unknown, { className: "NoSuchModel", uid: "u1", params: {}, data: null });
    await expectError(() => loadModel(unknown), AnalysisError, "NoSuchModel", "no loader is registered");
  });

  ctx.it("saveModelDir / loadModelDir / registerModel serve other model classes", async () => {
    const dir = path.join(ctx.tempDir(), "custom");
    await saveModelDir(dir, { className: "TestOnlyModel", uid: "TestOnlyModel_1", params: { k: 3 }, data: { centres: [[1, 2]] } });
    const got = await loadModelDir(dir, "TestOnlyModel");
    assert.equal(got.uid, "TestOnlyModel_1");
    assert.deepEqual(got.params, { k: 3 });
    assert.deepEqual(got.data, { centres: [[1, 2]] });
    registerModel("TestOnlyModel", async () => new Doubler("TestOnlyModel_1"));
    assert.ok((await loadModel(dir)) instanceof Doubler);
  });
});

conformance("ml base: Pipeline", (ctx) => {
  const df = () => ctx.spark.createDataFrame(XS, "id INT, x1 INT, x2 DOUBLE");

  ctx.it("VectorAssembler + StandardScaler fits, transforms, saves and loads", async () => {
    const assembler = new VectorAssembler({ inputCols: ["x1", "x2"], outputCol: "raw" });
    const scaler = new StandardScaler({ inputCol: "raw", outputCol: "features", withMean: true });
    const pipeline = new Pipeline({ stages: [assembler, scaler] });
    const model = await pipeline.fit(df());
    assert.equal(model.stages.length, 2);
    assert.equal(model.stages[0], assembler, "a Transformer stage is kept as it is");
    assert.ok(model.stages[1] instanceof StandardScalerModel);
    assert.equal(model.uid, pipeline.uid);
    assert.deepEqual(pipeline.getStages(), [assembler, scaler], "fit leaves the pipeline unchanged");
    const expected = XS.map((x) => [(x.x1 - MEAN[0]) / STD[0], (x.x2 - MEAN[1]) / STD[1]]);
    assertVectorsClose(byId(await model.transform(df()).collect()).map((r) => r["features"]), expected);

    const dir = path.join(ctx.tempDir(), "pipe");
    await model.save(dir);
    const stageDirs = fs.readdirSync(path.join(dir, "stages")).sort();
    assert.deepEqual(stageDirs, [`0_${assembler.uid}`, `1_${scaler.uid}`]);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "metadata.json"), "utf8")).class, "PipelineModel");
    const back = await PipelineModel.load(dir);
    assert.equal(back.uid, model.uid);
    assert.ok(back.stages[0] instanceof VectorAssembler);
    assert.ok(back.stages[1] instanceof StandardScalerModel);
    assert.deepEqual(back.stages.map((s) => s.uid), model.stages.map((s) => s.uid));
    assertVectorsClose(byId(await back.transform(df()).collect()).map((r) => r["features"]), expected);
    assert.ok((await loadModel(dir)) instanceof PipelineModel);
  });

  ctx.it("fits each estimator on the output of the stages before it", async () => {
    const data = ctx.spark.createDataFrame([
      { id: 0, color: "red", size: 1.0 }, { id: 1, color: "blue", size: 2.0 }, { id: 2, color: "red", size: 3.0 },
      { id: 3, color: "green", size: 4.0 }, { id: 4, color: "red", size: 5.0 }, { id: 5, color: "blue", size: 6.0 },
    ], "id INT, color STRING, size DOUBLE");
    const pipeline = new Pipeline({ stages: [
      new StringIndexer({ inputCol: "color", outputCol: "colorIndex" }),
      new OneHotEncoder({ inputCols: ["colorIndex"], outputCols: ["colorVec"] }),
      new VectorAssembler({ inputCols: ["colorVec", "size"], outputCol: "raw", inputSizes: { colorVec: 2 } }),
      new MinMaxScaler({ inputCol: "raw", outputCol: "features" }),
    ] });
    const model = await pipeline.fit(data);
    assert.deepEqual((model.stages[0] as StringIndexerModel).labels, ["red", "blue", "green"]);
    assert.deepEqual((model.stages[1] as OneHotEncoderModel).categorySizes, [3]);
    // red -> [1, 0], blue -> [0, 1], green -> [0, 0]; size scaled by (s - 1) / 5
    const expected = [[1, 0, 0], [0, 1, 0.2], [1, 0, 0.4], [0, 0, 0.6], [1, 0, 0.8], [0, 1, 1]];
    const rows = byId(await model.transform(data).collect());
    assertVectorsClose(rows.map((r) => r["features"]), expected, 1e-12);
    const dir = path.join(ctx.tempDir(), "pipe4");
    await model.save(dir);
    const back = await PipelineModel.load(dir);
    assertVectorsClose(byId(await back.transform(data).collect()).map((r) => r["features"]), expected, 1e-12);
  });

  ctx.it("checks each stage's input columns before fitting it", async () => {
    const data = ctx.spark.createDataFrame([{ x1: 1, name: "a" }], "x1 INT, name STRING");
    const p = new Pipeline({ stages: [new VectorAssembler({ inputCols: ["x1", "name"], outputCol: "raw" }), new StandardScaler({ inputCol: "raw" })] });
    await expectError(() => p.fit(data), AnalysisError, "`name`", "string", "numeric");
    const p2 = new Pipeline({ stages: [new StandardScaler({ inputCol: "featurs" })] });
    await expectError(() => p2.fit(ctx.spark.createDataFrame([{ features: [1] }], "features ARRAY<DOUBLE>")), AnalysisError, "`featurs`", "`features`");
  });

  ctx.it("rejects stages that are not stages, and a stage used twice", async () => {
    await expectError(() => new Pipeline({ stages: [42 as never] }).fit(df()), IllegalArgumentError, "stage 0", "Estimator or a Transformer");
    const a = new VectorAssembler({ inputCols: ["x1"], outputCol: "v" });
    await expectError(() => new Pipeline({ stages: [a, a] }).fit(df()), IllegalArgumentError, "twice");
  });

  ctx.it("a PipelineModel with a stage that cannot be saved says which", async () => {
    const m = new PipelineModel([new Doubler()]);
    await expectError(() => m.save(path.join(ctx.tempDir(), "p")), IllegalArgumentError, "stage 0", "Doubler", "save()");
    const rows = byId(await m.transform(df()).collect());
    assert.deepEqual(rows.map((r) => r["twice"]), [2, 4, 12]);
  });

  ctx.it("a save that fails half-way leaves the previous model intact and no temporary files", async () => {
    const root = ctx.tempDir();
    const dir = path.join(root, "p");
    const good = new PipelineModel([new StandardScalerModel({ inputCol: "raw" }, [1], [2])]);
    await good.save(dir);
    await assert.rejects(() => new PipelineModel([new FailingSave()]).save(dir, { overwrite: true }), /disk full/);
    const back = await PipelineModel.load(dir);
    assert.deepEqual((back.stages[0] as StandardScalerModel).mean, [1]);
    assert.deepEqual(fs.readdirSync(root), ["p"]);
  });
});
