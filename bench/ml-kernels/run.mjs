#!/usr/bin/env node
// Benchmark of the ML kernels (src/ml/kernels): time per pass over 1M and 10M rows for each
// kernel family and worker count, GFLOP/s against this machine's peak, as a markdown table.
//
//   npm run build && node scripts/kernels/build.mjs   # dist/ with the .wasm kernels
//   node bench/ml-kernels/run.mjs [--rows 1000000,10000000] [--reps 5] [--only gmm,kmeans,...]
//
// FLOP counts (per row; nominal, i.e. the useful arithmetic, not every instruction):
// - GMM E+M, full covariance: k (2 d(d+1) + 2d + 22): d(d+1) for the triangular product
//   A x - b, 2d for the squared norm, d(d+1) for the r x x^T update, 22 for exp and the rest.
//   910 for k=5, d=8, the same count as ../shared/notes/ml-kernels.md (~912), so the targets
//   there (15 GFLOP/s specialized, 12 with k at run time, on 2 cores) compare directly.
// - k-means: k (3d + 2) + 2d + 2 (distance, compare/select, the sums of the winner).
// - logistic: 4d + 40 (margin, gradient, exp/log1p/division).
// - Gram: d(d+1) + 4d + 6.
// - linear-model residuals (LinearRegression's summary): 2d + 12.
// Peak: cores x clock x 8 flop/cycle. Zen 4 (and Zen 2/3, recent Intel) issue two 128-bit
// multiplies and two 128-bit adds per cycle: 4 f64x2 operations = 8 double flops. Node 20 has
// no FMA for wasm without a flag, so 8 is the ceiling for these kernels. The clock is the
// "cpu MHz" of /proc/cpuinfo (the nominal clock of this VM; turbo may run higher).
//
// The machine may be shared: the run records the load average before it starts.
import { KernelPool } from "../../dist/ml/kernels/index.js";
import { availableParallelism, loadavg, cpus } from "node:os";
import { readFileSync } from "node:fs";

const argv = process.argv.slice(2);
const arg = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const ROWS = arg("rows", "1000000,10000000").split(",").map(Number);
const REPS = Number(arg("reps", "5"));
const ONLY = arg("only", "gmm,kmeans,logistic,multinomial,gram,linmetrics,spill").split(",");
const CORES = availableParallelism();

function mhz() {
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return cpus()[0]?.speed ?? 0;
}
const CLOCK = mhz();
const PEAK = (n) => (n * CLOCK * 1e6 * 8) / 1e9;

// Deterministic data: a mixture of 5 Gaussian blobs in 8 dimensions, labels from a linear rule.
function xorshift(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}
function makeData(n, d) {
  const rnd = xorshift(42);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const centres = Array.from({ length: 5 }, (_, c) => Array.from({ length: d }, (_, j) => ((c * 7 + j * 3) % 5) - 2));
  const cols = Array.from({ length: d }, () => new Float64Array(n));
  const labels = new Float64Array(n);
  const classes = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rnd() * 5);
    let m = 0;
    for (let j = 0; j < d; j++) {
      const v = centres[c][j] + gauss();
      cols[j][i] = v;
      m += (j % 2 ? 0.5 : -0.3) * v;
    }
    labels[i] = rnd() < 1 / (1 + Math.exp(-m)) ? 1 : 0;
    classes[i] = c % 3;
  }
  return { cols, labels, classes, centres };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Median wall time of a pass, and the median CPU time of the process during the pass divided
 * by the workers used: on a machine shared with other jobs the wall time measures the
 * neighbours too, while CPU time / workers is what the pass takes with the cores to itself
 * (the blocks are balanced dynamically, and the main thread sleeps during a pass).
 */
async function time(fn, workers) {
  await fn(); // warm-up: modules sent, V8 tiered up
  const wall = [];
  const cpu = [];
  for (let r = 0; r < REPS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / workers);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const rows = [];
function record(kernel, n, variant, workers, t, flopsPerRow) {
  const gf = (ms) => (n * flopsPerRow) / (ms / 1000) / 1e9;
  const r = { kernel, n, variant, workers, wall: t.wall, cpu: t.cpu, gWall: gf(t.wall), gCpu: gf(t.cpu) };
  r.pct = (100 * r.gCpu) / PEAK(workers);
  rows.push(r);
  console.error(`${kernel} n=${n} ${variant} x${workers}: wall ${t.wall.toFixed(1)} ms (${r.gWall.toFixed(2)} GFLOP/s), cpu/worker ${t.cpu.toFixed(1)} ms (${r.gCpu.toFixed(2)} GFLOP/s, ${r.pct.toFixed(0)}% of peak)`);
}

const load0 = loadavg();
const d = 8;
const pool = new KernelPool({ workers: CORES });
const notes = [];
for (const n of ROWS) {
  const tGen = performance.now();
  const data = makeData(n, d);
  const genMs = performance.now() - tGen;
  let t0 = performance.now();
  await pool.loadColumns(data.cols, null, data.labels);
  const firstLoad = performance.now() - t0;
  t0 = performance.now();
  await pool.loadColumns(data.cols, null, data.labels);
  const reload = performance.now() - t0;
  notes.push(`n=${n}: data generated in ${genMs.toFixed(0)} ms; loadColumns (copy of ${((n * (d + 1) * 8) / 2 ** 20).toFixed(0)} MiB) ${firstLoad.toFixed(0)} ms the first time (page faults of fresh memory), ${reload.toFixed(0)} ms again`);

  if (ONLY.includes("gmm")) {
    const k = 5;
    const params = {
      weights: [0.2, 0.2, 0.2, 0.2, 0.2],
      means: data.centres.map((c) => c.map((v) => v * 0.9 + 0.1)),
      covariances: data.centres.map((_, c) => {
        const m = new Float64Array(d * d);
        for (let i = 0; i < d; i++) {
          m[i * d + i] = 1 + 0.1 * c;
          if (i > 0) m[i * d + i - 1] = m[(i - 1) * d + i] = 0.2;
        }
        return m;
      }),
    };
    const f = k * (2 * d * (d + 1) + 2 * d + 22);
    for (const variant of ["generic", "unrolled", "specialized"]) {
      for (const workers of [1, CORES]) {
        if (workers === 1 && CORES === 1 && variant !== "generic") continue;
        record(`GMM E+M k=${k} d=${d}`, n, variant, workers, await time(() => pool.gmmStats(params, { variant, workers }), workers), f);
      }
    }
  }
  if (ONLY.includes("kmeans")) {
    const k = 8;
    const centers = Array.from({ length: k }, (_, c) => Array.from({ length: d }, (_, j) => ((c * 5 + j) % 7) / 2 - 1.5));
    const f = k * (3 * d + 2) + 2 * d + 2;
    for (const variant of ["generic", "unrolled"]) {
      for (const workers of [1, CORES]) record(`k-means k=${k} d=${d}`, n, variant, workers, await time(() => pool.kmeansStats(centers, { variant, workers }), workers), f);
    }
  }
  if (ONLY.includes("logistic")) {
    const coef = Array.from({ length: d }, (_, j) => (j % 2 ? 0.4 : -0.2));
    const f = 4 * d + 40;
    for (const variant of ["generic", "unrolled"]) {
      for (const workers of [1, CORES]) record(`logistic d=${d}`, n, variant, workers, await time(() => pool.logisticStats(coef, 0.1, { variant, workers }), workers), f);
    }
  }
  if (ONLY.includes("gram")) {
    const f = d * (d + 1) + 4 * d + 6;
    for (const variant of ["generic", "unrolled"]) {
      for (const workers of [1, CORES]) record(`Gram d=${d}`, n, variant, workers, await time(() => pool.gram({ variant, workers }), workers), f);
    }
  }
  if (ONLY.includes("linmetrics")) {
    const coef = Array.from({ length: d }, (_, j) => (j % 2 ? 0.4 : -0.2));
    const f = 2 * d + 12;
    for (const variant of ["generic", "unrolled"]) {
      for (const workers of [1, CORES]) record(`linear metrics d=${d}`, n, variant, workers, await time(() => pool.linearMetrics(coef, 0.1, { variant, workers }), workers), f);
    }
  }
  if (ONLY.includes("multinomial")) {
    await pool.loadColumns(data.cols, null, data.classes);
    const K = 3;
    const coef = Array.from({ length: K }, (_, c) => Array.from({ length: d }, (_, j) => ((c + j) % 3) * 0.1 - 0.1));
    const f = K * (2 * d + 24) + 4;
    for (const variant of ["generic", "unrolled"]) {
      for (const workers of [1, CORES]) record(`multinomial K=${K} d=${d}`, n, variant, workers, await time(() => pool.multinomialStats(coef, [0, 0.1, -0.1], { variant, workers }), workers), f);
    }
  }
}
await pool.close();

// V8 spill-trap check (../shared/notes/ml-kernels.md): the GMM kernels store each Cholesky
// row's result to a dummy slot, which keeps V8 from loading all of a component's parameters
// at once and spilling them. That depends on V8 internals, so this compiles the k=5, d=8
// kernels with and without the store and times both on one thread (CPU time, best of 5).
const spill = [];
if (ONLY.includes("spill")) {
  const { compileString } = await import("assemblyscript/asc");
  const G = await import("../../scripts/kernels/generate.mjs");
  const asm = new URL("../../src/ml/kernels/assembly/", import.meta.url);
  const libs = { "common.ts": readFileSync(new URL("common.as", asm), "utf8") };
  const memory = new WebAssembly.Memory({ initial: 1200, maximum: 65536, shared: true });
  const build = async (src) => {
    const r = await compileString({ ...libs, "entry.ts": G.HEADER + src + '\nexport { init_constants } from "./common";' }, G.ASC_OPTIONS);
    if (r.error) throw new Error(r.stderr.toString());
    return new WebAssembly.Instance(new WebAssembly.Module(r.binary), { env: { memory } }).exports;
  };
  const k = 5;
  const n = 1 << 20;
  const Q = 1 + d + (d * (d + 1)) / 2;
  const f64 = new Float64Array(memory.buffer);
  const data = 65536;
  const params = data + n * d * 8;
  const scratch = params + 16 * k * Q + 4096;
  const out = scratch + 65536;
  const rnd = xorshift(7);
  for (let i = 0; i < n * d; i++) f64[data / 8 + i] = 4 * rnd() - 2;
  for (let c = 0; c < k; c++) {
    let a = 1 + d;
    const put = (t, v) => f64.fill(v, params / 8 + 2 * (c * Q + t), params / 8 + 2 * (c * Q + t) + 2);
    put(0, -5 - c);
    for (let i = 0; i < d; i++) {
      put(1 + i, 0.1 * c);
      for (let j = 0; j <= i; j++) put(a++, i === j ? 1 : 0.1);
    }
  }
  const f = k * (2 * d * (d + 1) + 2 * d + 22);
  for (const [name, make] of [
    ["specialized k=5 d=8", (dummyStore) => build(G.gmmSpecialized(k, d, { dummyStore })).then((e) => e[`gmm_k${k}_d${d}`])],
    ["unrolled d=8, k at run time", (dummyStore) => build(G.gmmUnrolled(d, { dummyStore })).then((e) => e[`gmm_u${d}`])],
  ]) {
    const ms = {};
    for (const dummyStore of [true, false]) {
      const fn = await make(dummyStore);
      let best = Infinity;
      for (let rep = 0; rep < 6; rep++) {
        const c0 = process.cpuUsage();
        for (let s0 = 0; s0 < n; s0 += 65536) fn(data, n, d, 0, 0, params, k, scratch, out, s0, s0 + 65536);
        const c = process.cpuUsage(c0);
        if (rep > 0) best = Math.min(best, (c.user + c.system) / 1000);
      }
      ms[dummyStore] = best;
    }
    const gf = (t) => ((n * f) / (t / 1000) / 1e9).toFixed(2);
    spill.push(`| ${name} | ${ms.true.toFixed(1)} (${gf(ms.true)}) | ${ms.false.toFixed(1)} (${gf(ms.false)}) | ${(ms.false / ms.true).toFixed(2)}x |`);
  }
}

console.log(`\n## ML kernels (${new Date().toISOString().slice(0, 10)})\n`);
console.log(`Machine: ${CORES} cores, ${cpus()[0]?.model ?? "?"}, ${CLOCK.toFixed(0)} MHz; peak ${PEAK(1).toFixed(1)} GFLOP/s per core (8 flop/cycle), ${PEAK(CORES).toFixed(1)} on ${CORES}. Load average before the run: ${load0.map((x) => x.toFixed(2)).join(", ")}. Median of ${REPS} passes after one warm-up.\n`);
console.log("| kernel | rows | variant | workers | wall ms / pass | GFLOP/s (wall) | CPU ms / worker | GFLOP/s (CPU) | % of peak (CPU) |");
console.log("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(`| ${r.kernel} | ${r.n.toLocaleString("en-US")} | ${r.variant} | ${r.workers} | ${r.wall.toFixed(1)} | ${r.gWall.toFixed(2)} | ${r.cpu.toFixed(1)} | ${r.gCpu.toFixed(2)} | ${r.pct.toFixed(0)}% |`);
}
console.log("");
for (const n of notes) console.log(`- ${n}`);
if (spill.length) {
  console.log("\nV8 spill trap: CPU ms per 2^20 rows on one thread (GFLOP/s); the dummy store should win.\n");
  console.log("| GMM kernel | with dummy store | without | slowdown without |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const l of spill) console.log(l);
}
