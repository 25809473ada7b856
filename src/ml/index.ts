/**
 * `quarry/ml`: machine learning on Quarry DataFrames. The estimators (GaussianMixture, KMeans,
 * LinearRegression, LogisticRegression, feature transformers, Pipeline) arrive with the ML work;
 * this entry point exists so `import ... from "quarry/ml"` resolves today.
 */
export const ML_AVAILABLE: readonly string[] = Object.freeze([]);
