// The WebAssembly ML kernels (src/ml/kernels) against plain double-precision JavaScript
// references written independently here (Math.exp/Math.log, Gauss-Jordan inverses, direct
// sums): every statistic agrees to 1e-9 relative, on seeded random data with odd d, n not a
// multiple of the chunk, fewer rows than workers, weights, and every kernel variant.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelPool, vectorMath, type GmmParams, type KernelVariant } from "#ml-kernels";

const TOL = 1e-9;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function columns(r: () => number, n: number, d: number, offset = 0): Float64Array[] {
  return Array.from({ length: d }, (_, j) => Float64Array.from({ length: n }, () => offset + (j % 3) + 2 * gauss(r)));
}

function row(cols: Float64Array[], i: number): number[] {
  return cols.map((c) => c[i]);
}

/**
 * Asserts `got` matches `want` entry by entry to TOL relative; entries that cancel to nearly
 * zero are measured against 1e-3 of the largest entry of the group instead.
 */
function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    assert.ok(Number.isFinite(got[i]), `${what}[${i}] is ${got[i]}`);
    const err = Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1e-3 * scale, 1e-300);
    assert.ok(err <= TOL, `${what}[${i}]: ${got[i]} vs ${want[i]} (relative error ${err})`);
  }
}

// ---- references ---------------------------------------------------------------------------

/** Inverse and log-determinant by Gauss-Jordan elimination with partial pivoting. */
function invert(S: ArrayLike<number>, d: number): { inv: Float64Array; logDet: number } {
  const a = Float64Array.from(S);
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) inv[i * d + i] = 1;
  let logDet = 0;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r * d + c]) > Math.abs(a[p * d + c])) p = r;
    if (p !== c) {
      for (let j = 0; j < d; j++) {
        [a[c * d + j], a[p * d + j]] = [a[p * d + j], a[c * d + j]];
        [inv[c * d + j], inv[p * d + j]] = [inv[p * d + j], inv[c * d + j]];
      }
    }
    const v = a[c * d + c];
    logDet += Math.log(Math.abs(v));
    for (let j = 0; j < d; j++) {
      a[c * d + j] /= v;
      inv[c * d + j] /= v;
    }
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = a[r * d + c];
      for (let j = 0; j < d; j++) {
        a[r * d + j] -= f * a[c * d + j];
        inv[r * d + j] -= f * inv[c * d + j];
      }
    }
  }
  return { inv, logDet };
}

interface GmmRef {
  sumResp: number[];
  sumX: number[][];
  sumXX: number[][];
  logLikelihood: number;
}

function gmmReference(cols: Float64Array[], w: Float64Array | null, p: GmmParams): GmmRef {
  const d = cols.length;
  const n = cols[0].length;
  const k = p.weights.length;
  const inv = p.covariances.map((S) => invert(S, d));
  const ref: GmmRef = {
    sumResp: new Array(k).fill(0),
    sumX: Array.from({ length: k }, () => new Array(d).fill(0)),
    sumXX: Array.from({ length: k }, () => new Array(d * d).fill(0)),
    logLikelihood: 0,
  };
  const l = new Array(k).fill(0);
  for (let i = 0; i < n; i++) {
    const x = row(cols, i);
    const wi = w ? w[i] : 1;
    for (let c = 0; c < k; c++) {
      const diff = x.map((v, j) => v - p.means[c][j]);
      let q = 0;
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) q += diff[a] * inv[c].inv[a * d + b] * diff[b];
      l[c] = Math.log(p.weights[c]) - 0.5 * d * Math.log(2 * Math.PI) - 0.5 * inv[c].logDet - 0.5 * q;
    }
    const m = Math.max(...l);
    const lse = m + Math.log(l.reduce((s, v) => s + Math.exp(v - m), 0));
    ref.logLikelihood += wi * lse;
    for (let c = 0; c < k; c++) {
      const r = wi * Math.exp(l[c] - lse);
      ref.sumResp[c] += r;
      for (let a = 0; a < d; a++) {
        ref.sumX[c][a] += r * x[a];
        for (let b = 0; b < d; b++) ref.sumXX[c][a * d + b] += r * x[a] * x[b];
      }
    }
  }
  return ref;
}

function randomGmm(r: () => number, k: number, d: number): GmmParams {
  const weights = Array.from({ length: k }, () => 0.2 + r());
  const means = Array.from({ length: k }, () => Array.from({ length: d }, (_, j) => (j % 3) + 3 * gauss(r)));
  const covariances = Array.from({ length: k }, () => {
    // S = B B^T + 0.5 I, B random: symmetric positive definite with some correlation.
    const B = Array.from({ length: d * d }, () => 0.6 * gauss(r));
    const S = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = i === j ? 0.5 : 0;
        for (let m = 0; m < d; m++) s += B[i * d + m] * B[j * d + m];
        S[i * d + j] = s;
      }
    }
    return S;
  });
  return { weights, means, covariances };
}

function kmeansReference(cols: Float64Array[], w: Float64Array | null, centers: number[][]): { counts: number[]; sums: number[][]; cost: number } {
  const k = centers.length;
  const d = cols.length;
  const counts = new Array(k).fill(0);
  const sums = Array.from({ length: k }, () => new Array(d).fill(0));
  let cost = 0;
  for (let i = 0; i < cols[0].length; i++) {
    const x = row(cols, i);
    let best = Infinity;
    let bi = 0;
    centers.forEach((ctr, m) => {
      const dist = ctr.reduce((s, v, j) => s + (x[j] - v) ** 2, 0);
      if (dist < best) [best, bi] = [dist, m];
    });
    const wi = w ? w[i] : 1;
    counts[bi] += wi;
    x.forEach((v, j) => (sums[bi][j] += wi * v));
    cost += wi * best;
  }
  return { counts, sums, cost };
}

function logisticReference(cols: Float64Array[], w: Float64Array | null, y: Float64Array, coef: number[], b0: number): { loss: number; g: number[]; gb: number; sw: number } {
  let loss = 0;
  let gb = 0;
  let sw = 0;
  const g = new Array(cols.length).fill(0);
  for (let i = 0; i < cols[0].length; i++) {
    const x = row(cols, i);
    const m = b0 + x.reduce((s, v, j) => s + v * coef[j], 0);
    const wi = w ? w[i] : 1;
    loss += wi * (Math.max(m, 0) + Math.log1p(Math.exp(-Math.abs(m))) - y[i] * m);
    const p = m >= 0 ? 1 / (1 + Math.exp(-m)) : Math.exp(m) / (1 + Math.exp(m));
    const gi = wi * (p - y[i]);
    x.forEach((v, j) => (g[j] += gi * v));
    gb += gi;
    sw += wi;
  }
  return { loss, g, gb, sw };
}

function multinomialReference(cols: Float64Array[], w: Float64Array | null, y: Float64Array, coef: number[][], b: number[]): { loss: number; g: number[][]; gb: number[]; sw: number } {
  const K = coef.length;
  let loss = 0;
  let sw = 0;
  const g = Array.from({ length: K }, () => new Array(cols.length).fill(0));
  const gb = new Array(K).fill(0);
  for (let i = 0; i < cols[0].length; i++) {
    const x = row(cols, i);
    const m = coef.map((beta, k) => b[k] + beta.reduce((s, v, j) => s + v * x[j], 0));
    const mx = Math.max(...m);
    const lse = mx + Math.log(m.reduce((s, v) => s + Math.exp(v - mx), 0));
    const wi = w ? w[i] : 1;
    loss += wi * (lse - m[y[i]]);
    for (let k = 0; k < K; k++) {
      const gk = wi * (Math.exp(m[k] - lse) - (y[i] === k ? 1 : 0));
      x.forEach((v, j) => (g[k][j] += gk * v));
      gb[k] += gk;
    }
    sw += wi;
  }
  return { loss, g, gb, sw };
}

/** Residual sums of a linear model, one row at a time (the linear-metrics kernel's reference). */
function linearMetricsReference(cols: Float64Array[], w: Float64Array | null, y: Float64Array, coef: number[], b0: number): number[] {
  const t = new Array(7).fill(0);
  for (let i = 0; i < y.length; i++) {
    const x = row(cols, i);
    const wi = w ? w[i] : 1;
    let p = b0;
    for (let j = 0; j < x.length; j++) p += coef[j] * x[j];
    const e = y[i] - p;
    [wi, wi * y[i], wi * y[i] * y[i], wi * e * e, wi * Math.abs(e), wi * p, wi * p * p].forEach((v, k) => { t[k] += v; });
  }
  return t;
}

function gramReference(cols: Float64Array[], w: Float64Array | null, y: Float64Array | null): { sw: number; sx: number[]; xtx: number[]; xty: number[]; sy: number; syy: number } {
  const d = cols.length;
  const xtx = new Array(d * d).fill(0);
  const xty = new Array(d).fill(0);
  const sx = new Array(d).fill(0);
  let sw = 0;
  let sy = 0;
  let syy = 0;
  for (let i = 0; i < cols[0].length; i++) {
    const x = row(cols, i);
    const wi = w ? w[i] : 1;
    const yi = y ? y[i] : 0;
    sw += wi;
    sy += wi * yi;
    syy += wi * yi * yi;
    for (let a = 0; a < d; a++) {
      sx[a] += wi * x[a];
      xty[a] += wi * x[a] * yi;
      for (let b = 0; b < d; b++) xtx[a * d + b] += wi * x[a] * x[b];
    }
  }
  return { sw, sx, xtx, xty, sy, syy };
}

// ---- tests --------------------------------------------------------------------------------

describe("ML kernels", () => {
  let pool: KernelPool;
  let pool1: KernelPool;
  before(() => {
    // Short chunks, so small data still spreads over several blocks and both workers.
    pool = new KernelPool({ workers: 2, chunkRows: 64 });
    pool1 = new KernelPool({ workers: 1, chunkRows: 64 });
  });
  after(async () => {
    await pool.close();
    await pool1.close();
  });

  it("vectorized exp, log and log1p agree with Math.exp, Math.log and Math.log1p", () => {
    const r = rng(1);
    const xs = Float64Array.from({ length: 20000 }, (_, i) => (i < 10000 ? -708 * r() : 709 * r() - 700));
    const e = vectorMath("exp", xs);
    let worst = 0;
    xs.forEach((x, i) => (worst = Math.max(worst, Math.abs(e[i] - Math.exp(x)) / Math.exp(x))));
    assert.ok(worst < 1e-15, `exp: max relative error ${worst}`);
    assert.deepEqual(Array.from(vectorMath("exp", Float64Array.from([0, -709, -1e300, -Infinity]))), [1, 0, 0, 0]);

    const ys = Float64Array.from({ length: 20000 }, (_, i) => (i % 2 ? Math.exp(1400 * r() - 700) : 1 + 4 * r()));
    const lg = vectorMath("log", ys);
    worst = 0;
    ys.forEach((y, i) => {
      const want = Math.log(y);
      worst = Math.max(worst, Math.abs(lg[i] - want) / Math.max(Math.abs(want), 1e-300));
    });
    assert.ok(worst < 1e-15, `log: max relative error ${worst}`);

    const ts = Float64Array.from({ length: 20000 }, (_, i) => (i % 2 ? r() : Math.exp(-745 * r())));
    const l1 = vectorMath("log1p", ts);
    worst = 0;
    ts.forEach((t, i) => (worst = Math.max(worst, Math.abs(l1[i] - Math.log1p(t)) / Math.log1p(t))));
    assert.ok(worst < 1e-15, `log1p: max relative error ${worst}`);
  });

  const gmmCases: { k: number; d: number; n: number; weighted: boolean; seed: number }[] = [
    { k: 1, d: 1, n: 301, weighted: false, seed: 11 },
    { k: 3, d: 3, n: 1001, weighted: true, seed: 12 },
    { k: 5, d: 8, n: 1001, weighted: false, seed: 13 },
    { k: 5, d: 8, n: 777, weighted: true, seed: 14 },
    { k: 4, d: 5, n: 3, weighted: true, seed: 15 },
    { k: 2, d: 17, n: 257, weighted: true, seed: 16 },
    { k: 9, d: 2, n: 500, weighted: false, seed: 17 },
  ];
  for (const c of gmmCases) {
    it(`GMM statistics, k=${c.k} d=${c.d} n=${c.n}${c.weighted ? " weighted" : ""}, every variant`, async () => {
      const r = rng(c.seed);
      const cols = columns(r, c.n, c.d);
      const w = c.weighted ? Float64Array.from({ length: c.n }, () => 2 * r()) : null;
      const params = randomGmm(r, c.k, c.d);
      const ref = gmmReference(cols, w, params);
      await pool.loadColumns(cols, w);
      const variants: KernelVariant[] = ["generic", "auto"];
      if (c.d <= 16) variants.push("unrolled");
      if (pool.kernelFor("gmm", c.k, c.d).includes("gmm_k")) variants.push("specialized");
      for (const variant of variants) {
        const s = await pool.gmmStats(params, { variant });
        const what = `${variant} (${pool.kernelFor("gmm", c.k, c.d, variant)})`;
        close(s.sumResp, ref.sumResp, `${what} sumResp`);
        for (let k = 0; k < c.k; k++) {
          close(s.sumX[k], ref.sumX[k], `${what} sumX[${k}]`);
          close(s.sumXX[k], ref.sumXX[k], `${what} sumXX[${k}]`);
        }
        close([s.logLikelihood], [ref.logLikelihood], `${what} logLikelihood`);
      }
    });
  }

  it("every generated GMM kernel (unrolled d = 1..16, the specialized grid) matches the reference", async () => {
    const n = 41;
    for (let d = 1; d <= 16; d++) {
      const r = rng(600 + d);
      const cols = columns(r, n, d);
      const w = Float64Array.from({ length: n }, () => r());
      await pool.loadColumns(cols, w);
      for (let k = 1; k <= 8; k++) {
        const variants: KernelVariant[] = ["unrolled"];
        if (pool.kernelFor("gmm", k, d).includes("gmm_k")) variants.push("specialized");
        if (k > 3 && variants.length === 1) continue;
        const params = randomGmm(r, k, d);
        const ref = gmmReference(cols, w, params);
        for (const variant of variants) {
          const s = await pool.gmmStats(params, { variant });
          const what = `k=${k} d=${d} ${pool.kernelFor("gmm", k, d, variant)}`;
          close(s.sumResp, ref.sumResp, `${what} sumResp`);
          s.sumXX.forEach((v, c) => close(v, ref.sumXX[c], `${what} sumXX[${c}]`));
          close([s.logLikelihood], [ref.logLikelihood], `${what} logLikelihood`);
        }
      }
    }
  });

  it("a specialized GMM kernel exists for k=5, d=8 and auto picks it", () => {
    assert.match(pool.kernelFor("gmm", 5, 8), /gmm_k5_d8/);
    assert.match(pool.kernelFor("gmm", 5, 12), /gmm_u12/);
    assert.match(pool.kernelFor("gmm", 5, 40), /gmm_generic/);
  });

  it("sums are bitwise the same on every run and for any number of workers", async () => {
    const r = rng(21);
    const cols = columns(r, 5000, 6);
    const params = randomGmm(r, 4, 6);
    await pool.loadColumns(cols);
    await pool1.loadColumns(cols);
    const a = await pool.gmmStats(params);
    const b = await pool.gmmStats(params);
    const c = await pool1.gmmStats(params);
    for (const s of [b, c]) {
      assert.deepEqual(s.sumResp, a.sumResp);
      assert.deepEqual(s.sumXX, a.sumXX);
      assert.equal(s.logLikelihood, a.logLikelihood);
    }
    const ka = await pool.kmeansStats(params.means);
    const kc = await pool1.kmeansStats(params.means);
    assert.deepEqual(ka, kc);
  });

  it("a degenerate component (huge log-det, near-singular covariance) gives no NaN", async () => {
    const d = 4;
    const r = rng(31);
    const n = 400;
    const cols = columns(r, n, d);
    // Row 0 sits exactly on component 1's mean, whose variance is 1e-200: its density there
    // is e^+1800, elsewhere e^-1e200. Component 2 is nearly singular (correlation 1 - 1e-10).
    const tiny = new Float64Array(d * d);
    for (let i = 0; i < d; i++) tiny[i * d + i] = 1e-200;
    const near = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) near[i * d + j] = i === j ? 1 : 1 - 1e-10;
    const eye = new Float64Array(d * d);
    for (let i = 0; i < d; i++) eye[i * d + i] = 4;
    const params: GmmParams = { weights: [0.5, 0.25, 0.25], means: [[0, 1, 2, 0], row(cols, 0), [0, 0, 0, 0]], covariances: [eye, tiny, near] };
    await pool.loadColumns(cols);
    for (const variant of ["generic", "unrolled", "auto"] as const) {
      const s = await pool.gmmStats(params, { variant });
      const all = [...s.sumResp, ...s.sumX.flatMap((v) => [...v]), ...s.sumXX.flatMap((v) => [...v]), s.logLikelihood];
      assert.ok(all.every(Number.isFinite), `${variant}: non-finite statistic`);
      close([s.sumResp[0] + s.sumResp[1] + s.sumResp[2]], [n], `${variant} responsibilities sum to n`);
      // Component 1 takes row 0 entirely and nothing else.
      close([s.sumResp[1]], [1], `${variant} degenerate component`);
      close(s.sumX[1], row(cols, 0), `${variant} degenerate component sumX`);
    }
    // With the tiny component alone (the near-singular one lets rounding decide), the kernels
    // match the reference exactly where it matters.
    const two: GmmParams = { weights: [0.5, 0.5], means: params.means.slice(0, 2), covariances: [eye, tiny] };
    const ref = gmmReference(cols, null, two);
    const s = await pool.gmmStats(two);
    close(s.sumResp, ref.sumResp, "sumResp");
    close([s.logLikelihood], [ref.logLikelihood], "logLikelihood");
  });

  it("rejects a covariance that is not positive definite", async () => {
    await pool.loadColumns(columns(rng(1), 10, 2));
    await assert.rejects(pool.gmmStats({ weights: [1], means: [[0, 0]], covariances: [[1, 2, 2, 1]] }), /not positive definite/);
  });

  for (const c of [
    { k: 8, d: 8, n: 2001, weighted: false },
    { k: 3, d: 5, n: 999, weighted: true },
    { k: 2, d: 19, n: 130, weighted: true },
    { k: 4, d: 1, n: 3, weighted: false },
  ]) {
    it(`k-means statistics, k=${c.k} d=${c.d} n=${c.n}${c.weighted ? " weighted" : ""}`, async () => {
      const r = rng(100 + c.k * c.d);
      const cols = columns(r, c.n, c.d);
      const w = c.weighted ? Float64Array.from({ length: c.n }, () => 2 * r()) : null;
      const centers = Array.from({ length: c.k }, (_, m) => row(cols, (m * 7) % c.n).map((v) => v + 0.01 * gauss(r)));
      const { counts, sums, cost } = kmeansReference(cols, w, centers);
      await pool.loadColumns(cols, w);
      for (const variant of ["generic", "auto"] as const) {
        const s = await pool.kmeansStats(centers, { variant });
        close(s.counts, counts, `${variant} counts`);
        s.sums.forEach((v, m) => close(v, sums[m], `${variant} sums[${m}]`));
        close([s.cost], [cost], `${variant} cost`);
      }
    });
  }

  it("k-means assigns exactly where the single-precision search cannot tell centres apart: far from the origin, tiny, huge, exact ties", async () => {
    // The search runs in single precision and hands near-ties to an exact search (see
    // kmeansBlockSearch in scripts/kernels/generate.mjs). These data sets defeat single precision
    // in different ways; the assignment must still be the exact one (first centre on ties), as
    // the double-precision reference computes it.
    const d = 8, k = 4, n = 1001;
    const r = rng(4242);
    const blobs = (scale: number, offset: number) => {
      const cols = Array.from({ length: d }, () => new Float64Array(n));
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) cols[j][i] = offset + scale * (3 * (i % k) + gauss(r));
      return cols;
    };
    const ties = Array.from({ length: d }, (_, j) => Float64Array.from({ length: n }, (_, i) => (j === 0 ? i % 5 : (i * j) % 3)));
    const cases: [string, Float64Array[], number[][]][] = [];
    for (const [name, scale, offset] of [["offset 1e7", 1, 1e7], ["scale 1e-30", 1e-30, 0], ["scale 1e25", 1e25, 0]] as const) {
      const cols = blobs(scale, offset);
      cases.push([name, cols, Array.from({ length: k }, (_, m) => row(cols, m * 13 + 1).map((v) => v + scale * 0.5 * gauss(r)))]);
    }
    // Integer rows and centres two apart along the first axis: every row with an odd first
    // coordinate is exactly as far from two centres.
    cases.push(["exact ties", ties, [0, 2, 4, 6].map((c) => [c, ...new Array(d - 1).fill(1)])]);
    for (const [name, cols, centers] of cases) {
      await pool.loadColumns(cols);
      const ref = kmeansReference(cols, null, centers);
      for (let pass = 0; pass < 3; pass++) {
        for (const bounds of [true, false]) {
          const s = await pool.kmeansStats(centers, { bounds });
          assert.deepEqual([...s.counts], ref.counts, `${name}, pass ${pass}, bounds ${bounds}: counts`);
          s.sums.forEach((v, m) => close(v, ref.sums[m], `${name} sums[${m}]`));
          close([s.cost], [ref.cost], `${name} cost`);
        }
      }
    }
  });

  it("k-means with per-row bounds (Hamerly) gives the plain assignment's statistics along whole Lloyd runs (40 passes: past a refresh of the running sums)", async () => {
    // Three well separated blobs plus uniform noise, 8 centres: after the first passes most rows
    // keep their centre (the bounds skip them); rows between the split blobs move. Every pass is
    // compared with the plain kernel (bounds off) exactly, and with the JS reference to TOL.
    for (const c of [{ k: 8, d: 8, n: 4001, weighted: false }, { k: 5, d: 3, n: 2999, weighted: true }, { k: 1, d: 2, n: 101, weighted: false }]) {
      const r = rng(7 + c.k * c.d);
      const blob = (i: number) => [[0, 0, 0], [6, 1, -2], [-3, 5, 4]][i % 3];
      const cols = Array.from({ length: c.d }, () => new Float64Array(c.n));
      for (let i = 0; i < c.n; i++) for (let j = 0; j < c.d; j++) cols[j][i] = i % 10 === 9 ? 16 * r() - 8 : blob(i)[j % 3] + gauss(r);
      const w = c.weighted ? Float64Array.from({ length: c.n }, () => 2 * r()) : null;
      await pool.loadColumns(cols, w);
      let centers = Array.from({ length: c.k }, (_, m) => row(cols, (m * 37) % c.n));
      for (let it = 0; it < 40; it++) {
        const b = await pool.kmeansStats(centers);
        const plain = await pool.kmeansStats(centers, { bounds: false });
        // The same assignment: the cost (each row's distance to its centre, summed in the same
        // order) is bit for bit the same; the sums are kept up to date by the rows that moved.
        assert.equal(b.cost, plain.cost, `k=${c.k} pass ${it}: cost`);
        if (!c.weighted) assert.deepEqual([...b.counts], [...plain.counts], `k=${c.k} pass ${it}: counts`);
        close(b.counts, plain.counts, `k=${c.k} pass ${it}: counts`);
        b.sums.forEach((v, m) => close(v, plain.sums[m], `k=${c.k} pass ${it}: sums[${m}]`));
        const ref = kmeansReference(cols, w, centers);
        close(b.counts, ref.counts, `pass ${it} counts`);
        close([b.cost], [ref.cost], `pass ${it} cost`);
        centers = centers.map((ctr, m) => (b.counts[m] > 0 ? Array.from(b.sums[m], (v) => v / b.counts[m]) : ctr));
      }
      // Other centres out of the blue (a jump, not a Lloyd step), then a different k: still exact.
      for (const jump of [centers.map((ctr) => ctr.map((v) => -v)), [...centers, row(cols, 5)]]) {
        const b = await pool.kmeansStats(jump);
        const ref = kmeansReference(cols, w, jump);
        close(b.counts, ref.counts, `k=${c.k} jump counts`);
        close([b.cost], [ref.cost], `k=${c.k} jump cost`);
      }
    }
  });

  it("k-means with bounds keeps the first centre on exact ties, as the plain assignment does", async () => {
    // Rows on the bisector of two centres: equidistant, so the lower index must win every pass.
    const xs = Float64Array.from([0, 0, 0, 1, -1, 2]);
    const ys = Float64Array.from([1, -1, 3, 0, 0, 5]);
    await pool.loadColumns([xs, ys]);
    for (const centers of [[[-1, 0], [1, 0]], [[1, 0], [-1, 0]], [[-1, 0], [1, 0]]]) {
      const b = await pool.kmeansStats(centers);
      const ref = kmeansReference([xs, ys], null, centers);
      assert.deepEqual([...b.counts], ref.counts);
      assert.deepEqual(b.sums.map((v) => [...v]), ref.sums);
    }
  });

  for (const c of [
    { d: 8, n: 3001, weighted: false, scale: 1 },
    { d: 3, n: 1001, weighted: true, scale: 1 },
    { d: 21, n: 200, weighted: true, scale: 1 },
    { d: 4, n: 500, weighted: false, scale: 400 },
  ]) {
    it(`logistic loss and gradient, d=${c.d} n=${c.n}${c.weighted ? " weighted" : ""}${c.scale > 1 ? ", margins up to ~1e3" : ""}`, async () => {
      const r = rng(200 + c.d);
      const cols = columns(r, c.n, c.d);
      const w = c.weighted ? Float64Array.from({ length: c.n }, () => 2 * r()) : null;
      const coef = Array.from({ length: c.d }, () => (c.scale * gauss(r)) / c.d);
      const b0 = 0.3;
      const y = Float64Array.from({ length: c.n }, () => (r() < 0.4 ? 1 : 0));
      const { loss, g, gb, sw } = logisticReference(cols, w, y, coef, b0);
      await pool.loadColumns(cols, w, y);
      for (const variant of ["generic", "auto"] as const) {
        const s = await pool.logisticStats(coef, b0, { variant });
        close([s.loss], [loss], `${variant} loss`);
        close(s.gradient, g, `${variant} gradient`);
        close([s.interceptGradient, s.weightSum], [gb, sw], `${variant} intercept gradient, weight sum`);
      }
    });
  }

  it("logistic statistics need labels", async () => {
    await pool.loadColumns(columns(rng(3), 10, 2));
    await assert.rejects(pool.logisticStats([1, 1], 0), /needs labels/);
  });

  for (const c of [
    { K: 3, d: 8, n: 1501, weighted: false },
    { K: 4, d: 5, n: 701, weighted: true },
    { K: 2, d: 18, n: 99, weighted: true },
  ]) {
    it(`multinomial loss and gradient, K=${c.K} d=${c.d} n=${c.n}${c.weighted ? " weighted" : ""}`, async () => {
      const r = rng(300 + c.K * c.d);
      const cols = columns(r, c.n, c.d);
      const w = c.weighted ? Float64Array.from({ length: c.n }, () => 2 * r()) : null;
      const coef = Array.from({ length: c.K }, () => Array.from({ length: c.d }, () => gauss(r) / c.d));
      const b = Array.from({ length: c.K }, () => 0.2 * gauss(r));
      const y = Float64Array.from({ length: c.n }, () => Math.floor(r() * c.K));
      const { loss, g, gb, sw } = multinomialReference(cols, w, y, coef, b);
      await pool.loadColumns(cols, w, y);
      for (const variant of ["generic", "auto"] as const) {
        const s = await pool.multinomialStats(coef, b, { variant });
        close([s.loss, s.weightSum], [loss, sw], `${variant} loss, weight sum`);
        s.gradient.forEach((v, k) => close(v, g[k], `${variant} gradient[${k}]`));
        close(s.interceptGradient, gb, `${variant} intercept gradient`);
      }
    });
  }

  for (const c of [
    { d: 8, n: 2049, weighted: true, labeled: true },
    { d: 3, n: 5, weighted: false, labeled: true },
    { d: 20, n: 300, weighted: true, labeled: false },
  ]) {
    it(`Gram statistics, d=${c.d} n=${c.n}${c.weighted ? " weighted" : ""}${c.labeled ? "" : " without labels"}`, async () => {
      const r = rng(400 + c.d);
      const cols = columns(r, c.n, c.d, 5);
      const w = c.weighted ? Float64Array.from({ length: c.n }, () => 2 * r()) : null;
      const y = c.labeled ? Float64Array.from({ length: c.n }, () => 3 + gauss(r)) : null;
      const { sw, sx, xtx, xty, sy, syy } = gramReference(cols, w, y);
      await pool.loadColumns(cols, w, y);
      for (const variant of ["generic", "auto"] as const) {
        const s = await pool.gram({ variant });
        close([s.weightSum], [sw], `${variant} weightSum`);
        close(s.sumX, sx, `${variant} sumX`);
        close(s.xtx, xtx, `${variant} xtx`);
        if (c.labeled) {
          close(s.xty, xty, `${variant} xty`);
          close([s.sumY, s.sumYY], [sy, syy], `${variant} sumY, sumYY`);
        } else {
          assert.deepEqual([...s.xty, s.sumY, s.sumYY], new Array(c.d + 2).fill(0));
        }
      }
      if (c.labeled) {
        const coef = Array.from({ length: c.d }, () => gauss(r));
        const ref = linearMetricsReference(cols, w, y!, coef, 0.7);
        for (const variant of ["generic", "auto"] as const) {
          const m = await pool.linearMetrics(coef, 0.7, { variant });
          close([m.weightSum, m.sumY, m.sumYY, m.sumSquaredError, m.sumAbsError, m.sumPred, m.sumPredSq], ref, `${variant} linear metrics`);
        }
      }
    });
  }

  it("every unrolled k-means, logistic, multinomial, Gram and linear-metrics kernel (d = 1..16) matches the reference", async () => {
    const n = 43;
    for (let d = 1; d <= 16; d++) {
      const r = rng(700 + d);
      const cols = columns(r, n, d);
      const w = Float64Array.from({ length: n }, () => r());
      const y01 = Float64Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
      const y3 = Float64Array.from({ length: n }, () => Math.floor(3 * r()));
      const coef = Array.from({ length: d }, () => gauss(r) / d);
      const centers = [0, 10, 20].map((i) => row(cols, i));
      assert.match(pool.kernelFor("logistic", 1, d), new RegExp(`logistic_u${d}$`));
      await pool.loadColumns(cols, w, y01);
      const km = await pool.kmeansStats(centers);
      const kr = kmeansReference(cols, w, centers);
      close([...km.counts, km.cost], [...kr.counts, kr.cost], `d=${d} k-means`);
      const lg = await pool.logisticStats(coef, -0.2);
      const lr = logisticReference(cols, w, y01, coef, -0.2);
      close([lg.loss, ...lg.gradient, lg.interceptGradient], [lr.loss, ...lr.g, lr.gb], `d=${d} logistic`);
      const gm = await pool.gram();
      const gr = gramReference(cols, w, y01);
      close([...gm.xtx, ...gm.xty, gm.sumYY], [...gr.xtx, ...gr.xty, gr.syy], `d=${d} Gram`);
      const lm = await pool.linearMetrics(coef, -0.2);
      close([lm.weightSum, lm.sumY, lm.sumYY, lm.sumSquaredError, lm.sumAbsError, lm.sumPred, lm.sumPredSq], linearMetricsReference(cols, w, y01, coef, -0.2), `d=${d} linear metrics`);
      await pool.loadColumns(cols, w, y3);
      const coefs = [coef, coef.map((v) => -v), coef.map((v) => v / 2)];
      const mn = await pool.multinomialStats(coefs, [0, 0.1, 0.2]);
      const mr = multinomialReference(cols, w, y3, coefs, [0, 0.1, 0.2]);
      close([mn.loss, ...mn.gradient.flatMap((v) => [...v]), ...mn.interceptGradient], [mr.loss, ...mr.g.flat(), ...mr.gb], `d=${d} multinomial`);
    }
  });

  it("streamed chunks give the same statistics as resident columns", async () => {
    const r = rng(500);
    const n = 3001;
    const d = 5;
    const cols = columns(r, n, d);
    const w = Float64Array.from({ length: n }, () => r());
    const y = Float64Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
    const params = randomGmm(r, 3, d);
    const ref = gmmReference(cols, w, params);
    await pool.loadColumns(cols, w, y);
    const resident = await pool.logisticStats([0.1, -0.2, 0.3, 0, 0.5], 0.1);
    // Uneven chunk sizes, and a buffer that holds neither a whole chunk nor the whole data.
    const sizes = [1, 700, 33, 1000, 1267];
    let passes = 0;
    async function* source() {
      passes++;
      let at = 0;
      for (const size of sizes) {
        const sl = (a: Float64Array) => a.slice(at, at + size);
        yield { columns: cols.map(sl), weights: sl(w), labels: sl(y) };
        at += size;
      }
    }
    await pool.loadChunks(source, { d, weighted: true, labeled: true, bufferRows: 500 });
    const s = await pool.gmmStats(params);
    close(s.sumResp, ref.sumResp, "streamed sumResp");
    s.sumXX.forEach((v, k) => close(v, ref.sumXX[k], `streamed sumXX[${k}]`));
    close([s.logLikelihood], [ref.logLikelihood], "streamed logLikelihood");
    const again = await pool.gmmStats(params);
    assert.deepEqual(again.sumXX, s.sumXX, "a second pass over the stream gives the same bits");
    const logit = await pool.logisticStats([0.1, -0.2, 0.3, 0, 0.5], 0.1);
    close([logit.loss, ...logit.gradient], [resident.loss, ...resident.gradient], "streamed logistic");
    assert.equal(passes, 3);
    assert.equal(pool.loaded?.rows, n);
    await assert.rejects(
      (async () => {
        await pool.loadChunks(async function* () {
          yield [new Float64Array(4)];
        }, { d: 2 });
        await pool.gram();
      })(),
      /1 columns, expected 2/,
    );
  });

  it("data beyond maxBytes fails clearly and points to loadChunks", async () => {
    const small = new KernelPool({ workers: 1, maxBytes: 1 << 20 });
    try {
      await assert.rejects(small.loadColumns(columns(rng(1), 100000, 2)), /more than maxBytes.*loadChunks/);
    } finally {
      await small.close();
    }
  });

  it("idle workers do not keep the process alive, with or without close()", () => {
    const url = new URL("../../../dist/ml/kernels/index.js", import.meta.url).href;
    for (const closeIt of [true, false]) {
      const script = `
        import { KernelPool } from ${JSON.stringify(url)};
        const pool = new KernelPool({ workers: 2 });
        await pool.loadColumns([new Float64Array([0, 1, 2]), new Float64Array([1, 1, 0])]);
        const s = await pool.kmeansStats([[0, 1], [2, 0]]);
        console.log(s.counts.join(","), s.cost);
        ${closeIt ? "await pool.close();" : ""}`;
      const dir = mkdtempSync(join(tmpdir(), "quarry-kernels-"));
      try {
        const file = join(dir, "exit.mjs");
        writeFileSync(file, script);
        const res = spawnSync(process.execPath, [file], { encoding: "utf8", timeout: 20000 });
        assert.equal(res.status, 0, `exit status ${res.status}, signal ${res.signal}: ${res.stderr}`);
        assert.equal(res.stdout.trim(), "2,1 1");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
