#!/usr/bin/env node
// Compiles the ML kernels (AssemblyScript -> WebAssembly SIMD) into dist/ml/kernels/wasm/:
//   core.wasm       generic-loop kernels for any k and d, and the k-means, logistic,
//                   multinomial and Gram kernels unrolled over d = 1..16;
//   gmm-unrolled.wasm  GMM kernels unrolled over d = 1..16, k read at run time;
//   gmm-d{d}.wasm   GMM kernels unrolled over both k and d, for the grid below;
//   manifest.json   what was built, read by src/ml/kernels/index.ts.
// Sources: src/ml/kernels/assembly/*.as (hand-written) and scripts/kernels/generate.mjs.
// The compile is skipped when manifest.json records the same inputs (use --force to redo).
//
// Usage: node scripts/kernels/build.mjs [--force] [--out DIR] [--emit-sources DIR]
//                                       [--grid D1-D2:K1-K2] [--no-dummy-store]
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { join, dirname } from "node:path";
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { ASC_OPTIONS, KMEANS_BLOCK_PAIRS, coreModule, gmmUnrolledModule, specializedModule } from "./generate.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ASM_DIR = join(ROOT, "src", "ml", "kernels", "assembly");

/** Unrolled-over-d kernels in core.wasm cover d = 1..UNROLLED_MAX_D. */
const UNROLLED_MAX_D = 16;

/**
 * Specialized GMM grid: every k in K for every d in D. Compile time grows like k d^2
 * (k=5, d=8: ~0.8 s; k=8, d=16: ~5 s; k=16, d=16: ~16 s on one core), so the grid stays
 * where specialization pays and the whole build fits in well under a minute on two cores.
 */
const DEFAULT_GRID = { d: [2, 3, 4, 5, 6, 7, 8], k: [2, 3, 4, 5, 6, 7, 8] };

function parseArgs(argv) {
  const args = { force: false, out: join(ROOT, "dist", "ml", "kernels", "wasm"), emit: null, grid: DEFAULT_GRID, dummyStore: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--force") args.force = true;
    else if (a === "--out") args.out = argv[++i];
    else if (a === "--emit-sources") args.emit = argv[++i];
    else if (a === "--no-dummy-store") args.dummyStore = false;
    else if (a === "--grid") {
      const m = /^(\d+)-(\d+):(\d+)-(\d+)$/.exec(argv[++i] ?? "");
      if (!m) throw new Error("--grid wants D1-D2:K1-K2, e.g. 2-8:2-8 (or 0-0:0-0 for none)");
      const span = (a, b) => (a > 0 ? Array.from({ length: b - a + 1 }, (_, j) => a + j) : []);
      args.grid = { d: span(+m[1], +m[2]), k: span(+m[3], +m[4]) };
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

function sources() {
  return {
    "common.ts": readFileSync(join(ASM_DIR, "common.as"), "utf8"),
    "generic.ts": readFileSync(join(ASM_DIR, "generic.as"), "utf8"),
  };
}

/** The compile jobs: [file name, entry source]. */
function jobs(args) {
  const list = [
    ["core.wasm", coreModule(UNROLLED_MAX_D)],
    ["gmm-unrolled.wasm", gmmUnrolledModule(UNROLLED_MAX_D)],
  ];
  for (const d of args.grid.d) list.push([`gmm-d${d}.wasm`, specializedModule(d, args.grid.k, { dummyStore: args.dummyStore })]);
  return list;
}

async function compileJobs(list, libs) {
  const { compileString } = await import("assemblyscript/asc");
  const results = [];
  for (const [file, src] of list) {
    const t0 = performance.now();
    const r = await compileString({ ...libs, "entry.ts": src }, ASC_OPTIONS);
    if (r.error) throw new Error(`asc failed on ${file}:\n${r.stderr.toString()}`);
    results.push({ file, binary: r.binary, ms: performance.now() - t0 });
  }
  return results;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const libs = sources();
  const list = jobs(args);
  const { version } = JSON.parse(readFileSync(join(ROOT, "node_modules", "assemblyscript", "package.json"), "utf8"));
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ version, ASC_OPTIONS, grid: args.grid, dummyStore: args.dummyStore, UNROLLED_MAX_D }));
  for (const v of Object.values(libs)) hash.update(v);
  for (const [f, s] of list) hash.update(f).update(s);
  const digest = hash.digest("hex");
  const manifestPath = join(args.out, "manifest.json");

  if (args.emit) {
    mkdirSync(args.emit, { recursive: true });
    for (const [f, s] of Object.entries(libs)) writeFileSync(join(args.emit, f), s);
    for (const [f, s] of list) writeFileSync(join(args.emit, f.replace(/\.wasm$/, ".ts")), s);
  }
  if (!args.force && existsSync(manifestPath)) {
    const old = JSON.parse(readFileSync(manifestPath, "utf8"));
    if (old.hash === digest && list.every(([f]) => existsSync(join(args.out, f)))) {
      console.log(`ML kernels up to date (${args.out})`);
      return;
    }
  }

  // Split the jobs over worker threads, the largest first, so both cores stay busy.
  const sizes = list.map(([, s]) => s.length);
  const order = list.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a]);
  const nThreads = Math.min(availableParallelism(), list.length);
  const buckets = Array.from({ length: nThreads }, () => ({ load: 0, items: [] }));
  for (const i of order) {
    const b = buckets.reduce((m, x) => (x.load < m.load ? x : m));
    b.load += sizes[i];
    b.items.push(list[i]);
  }
  const results = (
    await Promise.all(
      buckets.map(
        (b) =>
          new Promise((resolve, reject) => {
            const w = new Worker(new URL(import.meta.url), { workerData: { items: b.items, libs } });
            w.once("message", resolve);
            w.once("error", reject);
          }),
      ),
    )
  ).flat();

  mkdirSync(args.out, { recursive: true });
  for (const r of results) writeFileSync(join(args.out, r.file), r.binary);
  const manifest = {
    hash: digest,
    assemblyscript: version,
    unrolledMaxD: UNROLLED_MAX_D,
    kmeansBlockPairs: KMEANS_BLOCK_PAIRS,
    core: "core.wasm",
    gmmUnrolled: "gmm-unrolled.wasm",
    specialized: Object.fromEntries(args.grid.d.map((d) => [String(d), { file: `gmm-d${d}.wasm`, ks: args.grid.k }])),
    compileMs: Object.fromEntries(results.map((r) => [r.file, Math.round(r.ms)])),
  };
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
  const bytes = results.reduce((s, r) => s + r.binary.length, 0);
  console.log(`ML kernels: ${results.length} modules, ${(bytes / 1024).toFixed(0)} KiB, ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${args.out}`);
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
} else {
  compileJobs(workerData.items, workerData.libs).then(
    (r) => parentPort.postMessage(r),
    (e) => {
      throw e;
    },
  );
}
