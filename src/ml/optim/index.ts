export { GradientDescent } from "./gradient-descent.js";
export { StochasticGradientDescent } from "./sgd.js";
export { LBFGS, OWLQN } from "./lbfgs.js";
export type { DiffFunction, Evaluation, Batch, Optimizer, OptimizeOptions, OptimizeResult } from "./optimizer.js";
