/**
 * Full-batch gradient descent with a backtracking line search. With an L1 term (`l1`), each
 * step is a proximal (soft-thresholding) step, i.e. ISTA with backtracking. Converges when the
 * objective's relative change falls below `tol` or the gradient vanishes.
 */
import { axpy, relativeChange, vdot, vnorm, type DiffFunction, type OptimizeOptions, type OptimizeResult, type Optimizer } from "./optimizer.js";

export class GradientDescent implements Optimizer {
  readonly name = "gd";
  constructor(private readonly opts: OptimizeOptions & { readonly stepSize: number; readonly l1?: Float64Array }) {}

  async minimize(fn: DiffFunction, x0: Float64Array): Promise<OptimizeResult> {
    const l1 = this.opts.l1;
    const reg = (x: Float64Array) => { if (!l1) return 0; let s = 0; for (let i = 0; i < x.length; i++) s += l1[i] * Math.abs(x[i]); return s; };
    const stepTo = (x: Float64Array, g: Float64Array, t: number) => {
      const y = axpy(-t, g, x);
      if (l1) for (let i = 0; i < y.length; i++) { const th = t * l1[i]; y[i] = Math.sign(y[i]) * Math.max(0, Math.abs(y[i]) - th); }
      return y;
    };
    let x = x0;
    let cur = await fn(x, null);
    const history = [cur.f + reg(x)];
    let step = this.opts.stepSize;
    let it = 0;
    let converged = false;
    while (it < this.opts.maxIter) {
      const gg = vdot(cur.g, cur.g);
      if (gg === 0 || Math.sqrt(gg) < 1e-14 * Math.max(1, vnorm(x))) { converged = true; break; }
      let t = step;
      let xn = stepTo(x, cur.g, t);
      let next = await fn(xn, null);
      let tries = 0;
      // Sufficient decrease of the smooth part along the (proximal) step.
      const ok = (xt: Float64Array, f: number, tt: number) => {
        let lin = 0, sq = 0;
        for (let i = 0; i < xt.length; i++) { const dlt = xt[i] - x[i]; lin += cur.g[i] * dlt; sq += dlt * dlt; }
        return f <= cur.f + lin + sq / (2 * tt) && (l1 !== undefined || f <= cur.f - 1e-4 * tt * gg);
      };
      while (!ok(xn, next.f, t) && tries < 50) {
        t *= 0.5;
        xn = stepTo(x, cur.g, t);
        next = await fn(xn, null);
        tries++;
      }
      if (tries === 50) { converged = true; break; }
      x = xn;
      const prev = history[history.length - 1];
      cur = next;
      it++;
      const F = cur.f + reg(x);
      history.push(F);
      this.opts.onIteration?.(it, F, x);
      // Grow the step again when the first try was accepted, so steps are not stuck small.
      step = tries === 0 ? t * 2 : t;
      if (relativeChange(prev, F) < this.opts.tol) { converged = true; break; }
    }
    return { x, f: cur.f + reg(x), iterations: it, objectiveHistory: history, converged };
  }
}
