/**
 * The Evaluator contract (Spark ML): params declared as data, and `evaluate(df)` computing one
 * metric with aggregate queries in the engine, so the scored data never has to fit in memory.
 */
import type { DataFrame } from "../../api/dataframe.js";
import { F } from "../../api/functions.js";
import type { Column } from "../../api/column.js";
import { IllegalArgumentError, q } from "../../errors.js";
import { makeUid } from "../base/estimator.js";
import { dbl } from "../base/columns.js";
import { Params, type ParamTable } from "../base/params.js";

/**
 * Computes a metric of a scored DataFrame (Spark ML's Evaluator).
 * @example
 * const rmse = await new RegressionEvaluator({ metricName: "rmse" }).evaluate(predictions);
 */
export abstract class Evaluator {
  /** A unique id like `RegressionEvaluator_18c2f...`. */
  readonly uid: string;
  /** The declared params with their values. */
  readonly params: Params;

  /**
   * @param table the param declarations
   * @param given the values set by the user
   * @param uid the id (a fresh one by default)
   */
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
  /** Whether a larger value of the selected metric is better (for model selection). */
  abstract isLargerBetter(): boolean;
  /** A new evaluator of the same class with some params replaced. */
  abstract copy(overrides?: Readonly<Record<string, unknown>>): Evaluator;
  /**
   * Computes the selected metric.
   * @param df the scored frame
   * @returns the metric
   */
  abstract evaluate(df: DataFrame): Promise<number>;
}

/** The weight of each row: the weight column as a double, or 1.0 without one. */
export function weightOf(weightCol: string | null): Column {
  return weightCol === null ? dbl(1) : F.col(weightCol).cast("double");
}

/** Throws when an aggregate says the data had no usable rows or a negative weight. */
export function checkRowsAndWeights(owner: string, rows: number, weightSum: number, minWeight: number | null, weightCol: string | null): void {
  if (rows === 0) throw new IllegalArgumentError(`${owner}: no rows to evaluate (rows with a null label, prediction or weight are skipped).`, "EMPTY_DATA");
  if (weightCol !== null && minWeight !== null && minWeight < 0) throw new IllegalArgumentError(`${owner}: the weight column ${q(weightCol)} has a negative value (${minWeight}); weights must be >= 0.`, "NEGATIVE_WEIGHT");
  if (!(weightSum > 0)) throw new IllegalArgumentError(`${owner}: the weights sum to ${weightSum}; at least one row needs a positive weight.`, "EMPTY_DATA");
}
