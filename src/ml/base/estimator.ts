/**
 * The ML contract, after scikit-learn and Spark ML: an Estimator's constructor only stores
 * params; `fit(df)` validates them, never mutates the estimator, and returns a new Model; a
 * Transformer's `transform(df)` returns a lazy DataFrame.
 */
import type { DataFrame } from "../../api/dataframe.js";
import type { StructType } from "../../plan/types.js";
import { Params, type ParamTable } from "./params.js";

let uidCounter = 0;
/** A unique id like Spark's `GaussianMixture_4f2a...`. */
export function makeUid(prefix: string): string {
  return `${prefix}_${Date.now().toString(16)}${(++uidCounter).toString(16).padStart(4, "0")}`;
}

/** Anything with declared params. */
export abstract class PipelineStage {
  readonly uid: string;
  /** The declared params with their values. */
  readonly params: Params;
  constructor(table: ParamTable, given: Readonly<Record<string, unknown>> = {}, uid?: string) {
    this.uid = uid ?? makeUid(this.constructor.name);
    this.params = new Params(this.constructor.name, table, given);
  }
  /** All param values, by name. */
  getParams(): Readonly<Record<string, unknown>> { return this.params.all(); }
  /** One param's value. */
  getParam<T = unknown>(name: string): T { return this.params.get<T>(name); }
  /** Human-readable docs of every param. */
  explainParams(): string { return this.params.explain(); }
  /** A new stage of the same class with some params replaced. */
  abstract copy(overrides?: Readonly<Record<string, unknown>>): PipelineStage;
  /**
   * Checks that `schema` has the columns this stage reads, with usable types, and returns the
   * schema after the stage (Spark's `transformSchema`); `Pipeline.fit` calls it before each stage
   * so a bad input is named before any data is read. The base version checks nothing and returns
   * `schema` unchanged; stages override it.
   * @param schema the input frame's schema (`await df.schema()`)
   * @returns the output schema
   * @throws AnalysisError naming a missing column or a column of the wrong type
   */
  transformSchema(schema: StructType): StructType { return schema; }
}

/** Turns a DataFrame into another, lazily. */
export abstract class Transformer extends PipelineStage {
  /** Adds this stage's output columns; nothing runs until an action. */
  abstract transform(df: DataFrame): DataFrame;
}

/** A fitted model: a Transformer that can be saved. */
export abstract class Model extends Transformer {
  /** Saves to a directory (JSON metadata and parameters). Fails if it exists unless `overwrite`. */
  abstract save(path: string, options?: { overwrite?: boolean }): Promise<void>;
}

/** Learns a Model from data. */
export abstract class Estimator<M extends Model = Model> extends PipelineStage {
  /** Validates params, trains on `df`, and returns a new Model; the estimator is unchanged. */
  abstract fit(df: DataFrame): Promise<M>;
}
