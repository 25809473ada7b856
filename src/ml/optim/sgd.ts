/**
 * Mini-batch stochastic gradient descent: each iteration evaluates the gradient on a
 * pseudo-random `miniBatchFraction` of the rows (a new, seeded draw per iteration) and steps by
 * `stepSize / sqrt(iteration)`, Spark's decaying schedule. Converges when the solution moves
 * less than `tol × max(‖x‖, 1)` (Spark's convergenceTol).
 */
import { axpy, vnorm, type DiffFunction, type OptimizeOptions, type OptimizeResult, type Optimizer } from "./optimizer.js";

export class StochasticGradientDescent implements Optimizer {
  readonly name = "sgd";
  constructor(private readonly opts: OptimizeOptions & { readonly stepSize: number; readonly miniBatchFraction: number; readonly seed: number; readonly l1?: Float64Array }) {}

  async minimize(fn: DiffFunction, x0: Float64Array): Promise<OptimizeResult> {
    let x = x0;
    const history: number[] = [];
    let converged = false;
    let it = 0;
    const full = this.opts.miniBatchFraction >= 1;
    while (it < this.opts.maxIter) {
      it++;
      const ev = await fn(x, full ? null : { fraction: this.opts.miniBatchFraction, seed: this.opts.seed + 7919 * it });
      history.push(ev.f);
      const t = this.opts.stepSize / Math.sqrt(it);
      const next = axpy(-t, ev.g, x);
      // L1 by soft-thresholding after the step (Spark's L1Updater).
      if (this.opts.l1) for (let i = 0; i < next.length; i++) { const th = t * this.opts.l1[i]; next[i] = Math.sign(next[i]) * Math.max(0, Math.abs(next[i]) - th); }
      const moved = vnorm(axpy(-1, x, next));
      x = next;
      this.opts.onIteration?.(it, ev.f, x);
      if (moved < this.opts.tol * Math.max(vnorm(x), 1)) { converged = true; break; }
    }
    const last = await fn(x, null);
    let pen = 0;
    if (this.opts.l1) for (let i = 0; i < x.length; i++) pen += this.opts.l1[i] * Math.abs(x[i]);
    history.push(last.f + pen);
    return { x, f: last.f + pen, iterations: it, objectiveHistory: history, converged };
  }
}
