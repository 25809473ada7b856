/**
 * `quarry/ml`: machine learning on Quarry DataFrames, with Spark ML's names and defaults.
 * Every model is saved with `model.save(path)` and loaded with `XxxModel.load(path)` (or
 * `loadModel(path)` for any class).
 * @example
 * import { VectorAssembler, StandardScaler, Pipeline, PipelineModel } from "quarry/ml";
 * const assembler = new VectorAssembler({ inputCols: ["x1", "x2"], outputCol: "raw" });
 * const scaler = new StandardScaler({ inputCol: "raw", outputCol: "features", withMean: true });
 * const model = await new Pipeline({ stages: [assembler, scaler] }).fit(df);
 * await model.save("models/prep", { overwrite: true });
 * const again = await PipelineModel.load("models/prep");
 */

// The contract and persistence.
export { PipelineStage, Transformer, Model, Estimator } from "./base/estimator.js";
export { Params, type ParamSpec, type ParamTable, type ParamType } from "./base/params.js";
export { Pipeline, PipelineModel, isSaveable, type PipelineParams, type SaveableStage } from "./base/pipeline.js";
export {
  saveModelDir, loadModelDir, loadModel, registerModel, registeredModels, readModelMetadata,
  type ModelDirContents, type ModelMetadata, type ModelLoader, type SaveOptions,
} from "./base/persistence.js";

// Features.
export { VectorAssembler, type VectorAssemblerParams, type VectorAssemblerHandleInvalid } from "./feature/vector-assembler.js";
export { StandardScaler, StandardScalerModel, type StandardScalerParams } from "./feature/standard-scaler.js";
export { MinMaxScaler, MinMaxScalerModel, type MinMaxScalerParams } from "./feature/min-max-scaler.js";
export { StringIndexer, StringIndexerModel, type StringIndexerParams, type StringOrderType } from "./feature/string-indexer.js";
export { OneHotEncoder, OneHotEncoderModel, type OneHotEncoderParams } from "./feature/one-hot-encoder.js";

// Evaluation.
export { Evaluator } from "./evaluation/evaluator.js";
export { RegressionEvaluator, type RegressionEvaluatorParams, type RegressionMetric } from "./evaluation/regression-evaluator.js";
export {
  BinaryClassificationEvaluator, curveAreas, type BinaryClassificationEvaluatorParams, type BinaryClassificationMetric, type ScoreCounts,
} from "./evaluation/binary-classification-evaluator.js";
export {
  MulticlassClassificationEvaluator, MulticlassMetrics, type MulticlassClassificationEvaluatorParams, type MulticlassMetric, type ConfusionCell,
} from "./evaluation/multiclass-classification-evaluator.js";
export { ClusteringEvaluator, type ClusteringEvaluatorParams } from "./evaluation/clustering-evaluator.js";

// ---------------------------------------------------------------------------------------------
// Algorithms (main engineer): GaussianMixture, GaussianMixtureModel, KMeans, KMeansModel,
// LinearRegression, LinearRegressionModel, LogisticRegression, LogisticRegressionModel.
// Export them here; each model module calls registerModel(...) when imported, so importing it
// from this entry point is what lets PipelineModel.load / loadModel rebuild those stages.
// ---------------------------------------------------------------------------------------------
export { GaussianMixture, GaussianMixtureModel, type GaussianMixtureParams, type GaussianMixtureSummary, type GaussianMixtureInit, type MultivariateGaussian } from "./clustering/gaussian-mixture.js";
export { KMeans, KMeansModel, type KMeansParams, type KMeansSummary } from "./clustering/kmeans.js";
export { LinearRegression, LinearRegressionModel, LinearRegressionTrainingSummary, type LinearRegressionParams } from "./regression/linear-regression.js";
export { LogisticRegression, LogisticRegressionModel, type LogisticRegressionParams, type LogisticRegressionTrainingSummary } from "./classification/logistic-regression.js";
export { GradientDescent, StochasticGradientDescent, LBFGS, OWLQN, type DiffFunction, type Optimizer, type OptimizeOptions, type OptimizeResult } from "./optim/index.js";
export type { FitProgress, ProgressCallback, ProviderChoice } from "./common.js";
// Statistics providers (advanced): where each training pass runs. Estimators pick one through
// their `statsProvider` param; these are exported for tests and for custom drivers.
export { SqlStatsProvider } from "./stats/sql-provider.js";
export { KernelStatsProvider } from "./stats/kernel-provider.js";
export { gmmPrecompute, type StatsProvider, type GmmPrecomputed, type GmmStats, type KMeansStats, type GlmStats, type GramStats, type SummaryStats } from "./stats/provider.js";
