#!/usr/bin/env node
// k-means passes with and without Hamerly's bounds (KernelPool.kmeansStats `bounds` option) on
// the same pool, side by side: 5 Gaussian blobs (centres ~N(0, 6^2) per coordinate, unit spread)
// in d = 8, k = 8 centres started at data rows, Lloyd steps. Prints the CPU ms of each pass
// (main thread + workers; the pool runs the passes) for both variants, rounds alternating.
//
//   npm run build
//   node bench/ml-kernels/kmeans-bounds.mjs [--rows 1000000] [--passes 12] [--workers 1] [--rounds 2]
import { KernelPool } from "../../dist/ml/kernels/index.js";
import { loadavg } from "node:os";

const argv = process.argv.slice(2);
const arg = (name, def) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : def; };
const n = arg("rows", 1_000_000), passes = arg("passes", 12), workers = arg("workers", 1), rounds = arg("rounds", 2);
const d = 8, k = 8;
let seed = 1;
const rand = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
const gauss = () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
const means = Array.from({ length: 5 }, () => Array.from({ length: d }, () => 6 * gauss()));
const cols = Array.from({ length: d }, () => new Float64Array(n));
for (let i = 0; i < n; i++) { const m = means[i % 5]; for (let j = 0; j < d; j++) cols[j][i] = m[j] + gauss(); }
const init = Array.from({ length: k }, (_, c) => cols.map((col) => col[c * 101]));

const pool = new KernelPool({ workers });
console.log(`rows ${n}, d ${d}, k ${k}, workers ${workers}, load average ${loadavg().map((v) => v.toFixed(2)).join(" ")}`);
console.log("| round | bounds | CPU ms per pass | total | cost after the last pass |\n| --- | --- | --- | ---: | ---: |");
for (let round = 0; round < rounds; round++) {
  for (const bounds of round % 2 === 0 ? [false, true] : [true, false]) {
    await pool.loadColumns(cols); // fresh data: the bounds start over
    let centers = init, cost = 0;
    const per = [];
    for (let p = 0; p < passes; p++) {
      const c0 = process.cpuUsage();
      const s = await pool.kmeansStats(centers, { bounds });
      const c = process.cpuUsage(c0);
      per.push((c.user + c.system) / 1000);
      cost = s.cost;
      centers = centers.map((ctr, m) => (s.counts[m] > 0 ? Array.from(s.sums[m], (v) => v / s.counts[m]) : ctr));
    }
    console.log(`| ${round} | ${bounds} | ${per.map((v) => v.toFixed(1)).join(" ")} | ${per.reduce((a, b) => a + b, 0).toFixed(0)} | ${cost.toFixed(3)} |`);
  }
}
await pool.close();
