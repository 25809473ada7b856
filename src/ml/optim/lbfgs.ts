/**
 * L-BFGS (limited-memory BFGS, m correction pairs) with a strong-Wolfe line search, and
 * OWL-QN (orthant-wise L-BFGS, Andrew & Gao 2007) for objectives with an L1 term
 * Σ l1[i]·|x[i]|. Converge by Spark's rule (see {@link QuasiNewtonConvergence}).
 */
import { QuasiNewtonConvergence, axpy, vdot, vnorm, type DiffFunction, type Evaluation, type OptimizeOptions, type OptimizeResult, type Optimizer } from "./optimizer.js";

interface History { s: Float64Array[]; y: Float64Array[]; rho: number[] }

/** Two-loop recursion: the quasi-Newton direction -H·g. */
function direction(g: Float64Array, h: History): Float64Array {
  const q = Float64Array.from(g);
  const k = h.s.length;
  const alpha = new Array<number>(k);
  for (let i = k - 1; i >= 0; i--) {
    alpha[i] = h.rho[i] * vdot(h.s[i], q);
    for (let j = 0; j < q.length; j++) q[j] -= alpha[i] * h.y[i][j];
  }
  if (k > 0) {
    const gamma = vdot(h.s[k - 1], h.y[k - 1]) / vdot(h.y[k - 1], h.y[k - 1]);
    for (let j = 0; j < q.length; j++) q[j] *= gamma;
  }
  for (let i = 0; i < k; i++) {
    const beta = h.rho[i] * vdot(h.y[i], q);
    for (let j = 0; j < q.length; j++) q[j] += (alpha[i] - beta) * h.s[i][j];
  }
  for (let j = 0; j < q.length; j++) q[j] = -q[j];
  return q;
}

function push(h: History, s: Float64Array, y: Float64Array, m: number): void {
  const sy = vdot(s, y);
  if (!(sy > 1e-300)) return;
  h.s.push(s); h.y.push(y); h.rho.push(1 / sy);
  if (h.s.length > m) { h.s.shift(); h.y.shift(); h.rho.shift(); }
}

/** Cubic interpolation minimiser of a bracket, safeguarded into the interval. */
function interpolate(a: number, fa: number, ga: number, b: number, fb: number, gb: number): number {
  const d1 = ga + gb - 3 * (fa - fb) / (a - b);
  const disc = d1 * d1 - ga * gb;
  if (disc >= 0) {
    const d2 = Math.sign(b - a) * Math.sqrt(disc);
    const t = b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2));
    const lo = Math.min(a, b), hi = Math.max(a, b);
    if (t > lo + 0.1 * (hi - lo) && t < hi - 0.1 * (hi - lo)) return t;
  }
  return (a + b) / 2;
}

/** Strong-Wolfe line search along p from x (Nocedal & Wright, algorithms 3.5 and 3.6). */
async function wolfe(fn: DiffFunction, x: Float64Array, cur: Evaluation, p: Float64Array, t0: number): Promise<{ t: number; ev: Evaluation } | null> {
  const c1 = 1e-4, c2 = 0.9;
  const g0 = vdot(cur.g, p);
  if (!(g0 < 0)) return null;
  const at = async (t: number) => { const ev = await fn(axpy(t, p, x), null); return { t, ev, dg: vdot(ev.g, p) }; };
  let prev = { t: 0, ev: cur, dg: g0 };
  let t = t0;
  for (let i = 0; i < 25; i++) {
    const c = await at(t);
    if (!Number.isFinite(c.ev.f) || c.ev.f > cur.f + c1 * t * g0 || (i > 0 && c.ev.f >= prev.ev.f)) return zoom(prev, c);
    if (Math.abs(c.dg) <= -c2 * g0) return { t, ev: c.ev };
    if (c.dg >= 0) return zoom(c, prev);
    prev = c;
    t *= 2;
  }
  return { t: prev.t, ev: prev.ev };

  async function zoom(lo: { t: number; ev: Evaluation; dg: number }, hi: { t: number; ev: Evaluation; dg: number }) {
    for (let i = 0; i < 30; i++) {
      const t = Number.isFinite(hi.ev.f) ? interpolate(lo.t, lo.ev.f, lo.dg, hi.t, hi.ev.f, hi.dg) : (lo.t + hi.t) / 2;
      const c = await at(t);
      if (!Number.isFinite(c.ev.f) || c.ev.f > cur.f + c1 * t * g0 || c.ev.f >= lo.ev.f) hi = c;
      else {
        if (Math.abs(c.dg) <= -c2 * g0) return { t, ev: c.ev };
        if (c.dg * (hi.t - lo.t) >= 0) hi = lo;
        lo = c;
      }
      if (Math.abs(hi.t - lo.t) < 1e-16 * Math.max(1, lo.t)) break;
    }
    return lo.t > 0 ? { t: lo.t, ev: lo.ev } : null;
  }
}

export class LBFGS implements Optimizer {
  readonly name = "lbfgs";
  constructor(private readonly opts: OptimizeOptions & { readonly m?: number }) {}

  async minimize(fn: DiffFunction, x0: Float64Array): Promise<OptimizeResult> {
    const m = this.opts.m ?? 10;
    let x = x0;
    let cur = await fn(x, null);
    const history = [cur.f];
    const h: History = { s: [], y: [], rho: [] };
    let it = 0, converged = false;
    const check = new QuasiNewtonConvergence(this.opts.tol, cur.f);
    if (check.converged(cur.f, cur.g)) return { x, f: cur.f, iterations: 0, objectiveHistory: history, converged: true };
    while (it < this.opts.maxIter) {
      const gn = vnorm(cur.g);
      if (gn === 0 || gn < 1e-14 * Math.max(1, vnorm(x))) { converged = true; break; }
      let p = direction(cur.g, h);
      if (!(vdot(p, cur.g) < 0)) { h.s = []; h.y = []; h.rho = []; p = direction(cur.g, h); }
      const t0 = h.s.length === 0 ? 1 / gn : 1;
      const ls = await wolfe(fn, x, cur, p, t0);
      if (!ls) { converged = true; break; }
      const xNew = axpy(ls.t, p, x);
      push(h, axpy(-1, x, xNew), axpy(-1, cur.g, ls.ev.g), m);
      x = xNew; cur = ls.ev; it++;
      history.push(cur.f);
      this.opts.onIteration?.(it, cur.f, x);
      check.record(cur.f);
      if (check.converged(cur.f, cur.g)) { converged = true; break; }
    }
    return { x, f: cur.f, iterations: it, objectiveHistory: history, converged };
  }
}

/** L1-regularised L-BFGS: minimises f(x) + Σ l1[i]·|x[i]|, with `f` smooth. */
export class OWLQN implements Optimizer {
  readonly name = "owlqn";
  constructor(private readonly opts: OptimizeOptions & { readonly m?: number; readonly l1: Float64Array }) {}

  async minimize(fn: DiffFunction, x0: Float64Array): Promise<OptimizeResult> {
    const l1 = this.opts.l1;
    const m = this.opts.m ?? 10;
    const n = x0.length;
    const l1norm = (x: Float64Array) => { let s = 0; for (let i = 0; i < n; i++) s += l1[i] * Math.abs(x[i]); return s; };
    const pseudo = (x: Float64Array, g: Float64Array) => {
      const pg = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        if (l1[i] === 0) pg[i] = g[i];
        else if (x[i] > 0) pg[i] = g[i] + l1[i];
        else if (x[i] < 0) pg[i] = g[i] - l1[i];
        else if (g[i] + l1[i] < 0) pg[i] = g[i] + l1[i];
        else if (g[i] - l1[i] > 0) pg[i] = g[i] - l1[i];
        else pg[i] = 0;
      }
      return pg;
    };
    let x = x0;
    let cur = await fn(x, null);
    let F = cur.f + l1norm(x);
    const history = [F];
    const h: History = { s: [], y: [], rho: [] };
    let it = 0, converged = false;
    const check = new QuasiNewtonConvergence(this.opts.tol, F);
    if (check.converged(F, pseudo(x, cur.g))) return { x, f: F, iterations: 0, objectiveHistory: history, converged: true };
    while (it < this.opts.maxIter) {
      const pg = pseudo(x, cur.g);
      const pgn = vnorm(pg);
      if (pgn === 0 || pgn < 1e-14 * Math.max(1, vnorm(x))) { converged = true; break; }
      const p = direction(pg, h);
      for (let i = 0; i < n; i++) if (p[i] * pg[i] >= 0) p[i] = 0; // keep the direction descending per coordinate
      const orthant = new Float64Array(n);
      for (let i = 0; i < n; i++) orthant[i] = x[i] !== 0 ? Math.sign(x[i]) : -Math.sign(pg[i]);
      const project = (y: Float64Array) => { for (let i = 0; i < n; i++) if (Math.sign(y[i]) !== orthant[i]) y[i] = 0; return y; };
      let t = h.s.length === 0 ? Math.min(1, 1 / pgn) : 1;
      let accepted: { x: Float64Array; ev: typeof cur; F: number } | null = null;
      for (let tries = 0; tries < 40; tries++) {
        const xt = project(axpy(t, p, x));
        const ev = await fn(xt, null);
        const Ft = ev.f + l1norm(xt);
        let dec = 0;
        for (let i = 0; i < n; i++) dec += pg[i] * (xt[i] - x[i]);
        if (Number.isFinite(Ft) && Ft <= F + 1e-4 * dec) { accepted = { x: xt, ev, F: Ft }; break; }
        t *= 0.5;
      }
      if (!accepted) { converged = true; break; }
      push(h, axpy(-1, x, accepted.x), axpy(-1, cur.g, accepted.ev.g), m);
      x = accepted.x; cur = accepted.ev; F = accepted.F; it++;
      history.push(F);
      this.opts.onIteration?.(it, F, x);
      check.record(F);
      if (check.converged(F, pseudo(x, cur.g))) { converged = true; break; }
    }
    return { x, f: F, iterations: it, objectiveHistory: history, converged };
  }
}
