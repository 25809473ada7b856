/**
 * Pipeline and PipelineModel, as in Spark ML: a Pipeline's `fit` runs its stages in order,
 * fitting each Estimator on the data transformed by the stages before it; the PipelineModel
 * applies every fitted stage in turn.
 */
import path from "node:path";
import type { DataFrame } from "../../api/dataframe.js";
import { AnalysisError, IllegalArgumentError } from "../../errors.js";
import type { StructType } from "../../plan/types.js";
import { Estimator, Model, PipelineStage, Transformer } from "./estimator.js";
import type { ParamTable } from "./params.js";
import { corruptModelError, loadModel, loadModelDir, registerModel, saveModelDir, type SaveOptions } from "./persistence.js";

/** Something `PipelineModel.save` can write: a model, or a transformer with `save`. */
export interface SaveableStage {
  save(path: string, options?: SaveOptions): Promise<void>;
}

/** True when the stage has a `save` method (every Quarry model, VectorAssembler, PipelineModel). */
export function isSaveable(stage: unknown): stage is SaveableStage {
  return typeof (stage as { save?: unknown } | null)?.save === "function";
}

/** Constructor arguments of a Pipeline. */
export interface PipelineParams {
  /** The stages, in order: Estimators and Transformers. */
  readonly stages?: readonly PipelineStage[];
}

// The stages are a constructor argument rather than a declared param: they are objects, not
// JSON values, and each carries its own params.
const PIPELINE_PARAMS: ParamTable = [];

/**
 * A sequence of stages fitted as one Estimator (Spark ML's Pipeline).
 * @example
 * const assembler = new VectorAssembler({ inputCols: ["x1", "x2"], outputCol: "raw" });
 * const scaler = new StandardScaler({ inputCol: "raw", outputCol: "features" });
 * const model = await new Pipeline({ stages: [assembler, scaler] }).fit(df);
 * await model.transform(df).select("features").show();
 * await model.save("models/prep");
 */
export class Pipeline extends Estimator<PipelineModel> {
  private readonly stageList: readonly PipelineStage[];

  /**
   * @param params `stages`: Estimators and Transformers, in order
   * @param uid the id (a fresh one by default)
   */
  constructor(params: PipelineParams = {}, uid?: string) {
    super(PIPELINE_PARAMS, {}, uid);
    this.stageList = Object.freeze([...(params.stages ?? [])]);
  }

  /** The stages, in order. */
  get stages(): readonly PipelineStage[] { return this.stageList; }
  /** The stages, in order (Spark's `getStages`). */
  getStages(): readonly PipelineStage[] { return this.stageList; }

  /** A new Pipeline with the same uid and, unless given, the same stages. */
  copy(overrides: PipelineParams = {}): Pipeline {
    return new Pipeline({ stages: overrides.stages ?? this.stageList }, this.uid);
  }

  private checkStages(): void {
    const seen = new Set<string>();
    this.stageList.forEach((s, i) => {
      if (!(s instanceof Estimator) && !(s instanceof Transformer)) {
        const what = s === null || typeof s !== "object" ? JSON.stringify(s) : (s as object).constructor?.name ?? "an object";
        throw new IllegalArgumentError(`Pipeline stage ${i} is ${what}; every stage must be an Estimator or a Transformer (e.g. new VectorAssembler(...), new StandardScaler(...)).`, "INVALID_PIPELINE_STAGE");
      }
      if (seen.has(s.uid)) throw new IllegalArgumentError(`Pipeline stage ${i} (${s.uid}) appears twice; a pipeline cannot hold the same stage twice (stages are told apart by uid, and copy() keeps it, as in Spark). Construct a second one from the same params instead, e.g. new StandardScaler(stage.getParams()).`, "DUPLICATE_PIPELINE_STAGE");
      seen.add(s.uid);
    });
  }

  /** Checks every stage against the schema each one receives, and returns the final schema. */
  override transformSchema(schema: StructType): StructType {
    this.checkStages();
    return this.stageList.reduce((s, stage) => stage.transformSchema(s), schema);
  }

  /**
   * Fits the stages in order: each Estimator is fitted on `df` as transformed by the stages
   * before it, and replaced by its Model; Transformers are kept as they are. Before each stage
   * runs, its `transformSchema` checks the columns it receives.
   * @param df the training data
   * @returns a PipelineModel with one fitted Transformer per stage
   * @throws IllegalArgumentError when a stage is not an Estimator or Transformer, or appears twice
   */
  async fit(df: DataFrame): Promise<PipelineModel> {
    this.checkStages();
    let lastEstimator = -1;
    this.stageList.forEach((s, i) => { if (s instanceof Estimator) lastEstimator = i; });
    let cur = df;
    const fitted: Transformer[] = [];
    for (let i = 0; i < this.stageList.length; i++) {
      const stage = this.stageList[i];
      if (i <= lastEstimator) stage.transformSchema(await cur.schema());
      let t: Transformer;
      if (stage instanceof Estimator) t = await stage.fit(cur);
      else t = stage as Transformer;
      fitted.push(t);
      if (i < lastEstimator) cur = t.transform(cur);
    }
    return new PipelineModel(fitted, this.uid);
  }
}

const PIPELINE_MODEL = "PipelineModel";

/** What a PipelineModel's `data.json` holds for each stage. */
interface SavedStage { readonly uid: string; readonly class: string; readonly dir: string }

/**
 * A fitted pipeline: applies its stages in order. Saved as a directory with one subdirectory per
 * stage under `stages/` (`<index>_<uid>`, the index zero-padded as Spark does).
 * @example
 * const model = await PipelineModel.load("models/prep");
 * const out = model.transform(df); // lazy
 */
export class PipelineModel extends Model {
  /** The fitted stages, in order. */
  readonly stages: readonly Transformer[];

  /**
   * @param stages fitted Transformers (Models, or Transformers such as VectorAssembler)
   * @param uid the id (usually the Pipeline's)
   */
  constructor(stages: readonly Transformer[], uid?: string) {
    super(PIPELINE_PARAMS, {}, uid);
    this.stages = Object.freeze([...stages]);
  }

  /** A new PipelineModel with the same stages and uid. */
  copy(): PipelineModel { return new PipelineModel(this.stages, this.uid); }

  /** Applies every stage in order; nothing runs until an action. */
  transform(df: DataFrame): DataFrame {
    return this.stages.reduce((d, s) => s.transform(d), df);
  }

  /** The schema after every stage, each stage checking its input. */
  override transformSchema(schema: StructType): StructType {
    return this.stages.reduce((s, stage) => stage.transformSchema(s), schema);
  }

  /**
   * Saves the pipeline and every stage, atomically.
   * @param dir the directory to create
   * @param options `overwrite`: replace an existing directory
   * @throws IllegalArgumentError when a stage cannot be saved
   * @throws AnalysisError `PATH_ALREADY_EXISTS` when `dir` exists and `overwrite` is not set
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    const digits = String(this.stages.length).length;
    const saved: SavedStage[] = this.stages.map((s, i) => {
      if (!isSaveable(s)) throw new IllegalArgumentError(`PipelineModel.save: stage ${i} (${s.uid}, a ${s.constructor.name}) cannot be saved; it has no save() method.`, "STAGE_NOT_SAVEABLE");
      return { uid: s.uid, class: s.constructor.name, dir: `${String(i).padStart(digits, "0")}_${s.uid}` };
    });
    await saveModelDir(dir, { className: PIPELINE_MODEL, uid: this.uid, params: {}, data: { stages: saved } }, options.overwrite ?? false, async (tmp) => {
      for (let i = 0; i < this.stages.length; i++) {
        await (this.stages[i] as unknown as SaveableStage).save(path.join(tmp, "stages", saved[i].dir));
      }
    });
  }

  /**
   * Loads a PipelineModel saved by `save`, rebuilding each stage by its class (see `registerModel`).
   * @param dir the saved directory
   * @throws AnalysisError `PATH_NOT_FOUND`, `CORRUPT_MODEL`, `MODEL_CLASS_MISMATCH` or `UNKNOWN_MODEL_CLASS`
   */
  static async load(dir: string): Promise<PipelineModel> {
    const { uid, data } = await loadModelDir(dir, PIPELINE_MODEL);
    const list = data !== null && typeof data === "object" ? (data as { stages?: unknown }).stages : undefined;
    if (!Array.isArray(list)) throw corruptModelError(dir, PIPELINE_MODEL, "no \"stages\" list");
    const stages: Transformer[] = [];
    for (const item of list as unknown[]) {
      const s = item as Partial<SavedStage> | null;
      if (!s || typeof s.dir !== "string" || typeof s.uid !== "string" || s.dir !== path.basename(s.dir) || s.dir.startsWith(".")) {
        throw corruptModelError(dir, PIPELINE_MODEL, `an invalid stage entry ${JSON.stringify(item)}`);
      }
      const stage = await loadModel(path.join(dir, "stages", s.dir));
      if (stage.uid !== s.uid) {
        throw new AnalysisError(`Cannot load a PipelineModel from ${dir}: stage directory ${s.dir} holds ${stage.uid}, not ${s.uid}.`, "CORRUPT_MODEL");
      }
      stages.push(stage);
    }
    return new PipelineModel(stages, uid);
  }
}

registerModel(PIPELINE_MODEL, (dir) => PipelineModel.load(dir));
