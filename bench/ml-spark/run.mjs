#!/usr/bin/env node
// Training on Spark: Quarry's GaussianMixture (k=5, full covariance) and LogisticRegression
// (L-BFGS, no regularization) against Spark MLlib's, driven by PySpark's Spark Connect client,
// on the same Spark Connect server and the same Parquet file (bench/ml-spark/README.md).
//
//   npm run build
//   bash bench/spark-connect/setup.sh     # once: pyspark-client into .cache/pyspark-client-venv
//   node bench/ml-spark/run.mjs [--url sc://127.0.0.1:15002] [--rows 100000] [--gmm-iters 5] [--repeats 2] [--rounds 2] [--python path]
//
// Needs a running server (npm run spark:start). The data is written once by Quarry through Spark
// (seeded randn, so it is the same on every run) to bench/data/ml_spark_<rows>.parquet. Each
// client runs in its own process; rounds alternate which goes first.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : def; };
const url = arg("url", "sc://127.0.0.1:15002");
const rows = Number(arg("rows", 100_000));
const extra = Number(arg("gmm-iters", 5));
const repeats = Number(arg("repeats", 2));
const rounds = Number(arg("rounds", 2));
const python = arg("python", path.join(root, ".cache/pyspark-client-venv/bin/python"));
const file = path.join(root, "bench/data", `ml_spark_${rows}.parquet`);

if (!fs.existsSync(file)) {
  const { Session, F } = await import("../../dist/index.js");
  const spark = await Session.builder().remote(url).getOrCreate();
  // Five clusters with different spreads; the label depends on the features through a logistic model.
  const c = F.expr("id % 5");
  const feats = Array.from({ length: 8 }, (_, i) => F.expr(`(id % 5) * ${(i % 3) + 1} + (1 + (id % 5) * 0.2) * randn(${11 + i})`).alias(`f${i}`));
  const base = spark.range(rows).select(c.alias("cluster"), ...feats);
  const margin = "0.8 * f0 - 0.5 * f1 + 0.3 * f2 - 0.2 * f5 - 1.0";
  await base.withColumn("label", F.expr(`cast(rand(7) < 1 / (1 + exp(-(${margin}))) as double)`)).write.mode("overwrite").parquet(file);
  await spark.stop();
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

const args = [url, file, String(extra), String(repeats)];
const res = { quarry: [], pyspark: [] };
const hasPython = fs.existsSync(python);
for (let round = 0; round < rounds; round++) {
  const quarry = () => res.quarry.push(run(process.execPath, [path.join(here, "quarry_ml.mjs"), ...args]));
  const pyspark = () => { if (hasPython) res.pyspark.push(run(python, [path.join(here, "pyspark_ml.py"), ...args])); };
  if (round % 2 === 0) { quarry(); pyspark(); } else { pyspark(); quarry(); }
}

const min = (xs) => Math.min(...xs);
const all = (side, key) => side.flatMap((r) => r[key]);
const perIter = (side) => (min(all(side, "gmm_n")) - min(all(side, "gmm_1"))) / extra;
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : "n/a");
const q = res.quarry, p = res.pyspark;
const ql = q.at(-1), pl = p.at(-1);
const coefErr = pl ? Math.max(...ql.logreg_coefficients.map((v, i) => Math.abs(v - pl.logreg_coefficients[i]))) / Math.max(...pl.logreg_coefficients.map(Math.abs)) : NaN;

console.log(`\nML on Spark: ${url} (Spark ${pl?.version ?? "?"}), ${rows.toLocaleString("en")} rows x 8 features, Node ${process.version}`);
console.log(`${rounds} rounds x ${repeats} fits per client after one warm-up fit; minimum over all fits\n`);
console.log("| measurement | Quarry (engine aggregate per iteration) | Spark MLlib (PySpark Connect) | Quarry / MLlib |");
console.log("| --- | ---: | ---: | ---: |");
console.log(`| GaussianMixture k=5, s per EM iteration, (T(1+${extra}) - T(1)) / ${extra} | ${f(perIter(q))} | ${f(perIter(p))} | ${ratio(perIter(q), perIter(p))} |`);
console.log(`| GaussianMixture k=5, fit with maxIter=1 (init + 1 iteration), s | ${f(min(all(q, "gmm_1")))} | ${f(min(all(p, "gmm_1")))} | ${ratio(min(all(q, "gmm_1")), min(all(p, "gmm_1")))} |`);
console.log(`| LogisticRegression L-BFGS tol 1e-6, fit to convergence, s | ${f(min(all(q, "logreg")))} | ${f(min(all(p, "logreg")))} | ${ratio(min(all(q, "logreg")), min(all(p, "logreg")))} |`);
console.log(`| LogisticRegression iterations | ${ql.logreg_iterations} | ${pl?.logreg_iterations ?? "n/a"} | |`);
console.log(`\nQuarry's provider: ${ql.gmm_provider}. LogisticRegression final objective: Quarry ${ql.logreg_objective}, MLlib ${pl?.logreg_objective}; coefficients max relative difference ${coefErr.toExponential(2)}.`);
console.log(`Every fit (s): ${JSON.stringify({ quarry: { gmm_1: all(q, "gmm_1"), gmm_n: all(q, "gmm_n"), logreg: all(q, "logreg") }, pyspark: { gmm_1: all(p, "gmm_1"), gmm_n: all(p, "gmm_n"), logreg: all(p, "logreg") } }, (_k, v) => (typeof v === "number" ? Number(v.toFixed(2)) : v))}`);
