// Quarry's side of the ML benchmark: the same data, starting points and parameters as
// bench/ml/sklearn_anchors.py and spark_anchors.py (see README.md). One JSON line per task.
//   node bench/ml/quarry.mjs --sizes 1m [--tasks gmm,kmeans,logreg,linreg] [--provider auto|sql|kernel] [--gmm-max-iter N]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Session } from "quarry";
import { VectorAssembler, GaussianMixture, KMeans, LogisticRegression, LinearRegression } from "quarry/ml";

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : dflt; };
const sizes = arg("sizes", "1m").split(",");
const tasks = arg("tasks", "gmm,kmeans,logreg,linreg").split(",");
const provider = arg("provider", "auto");
const gmmMaxIter = arg("gmm-max-iter", null);
const init = JSON.parse(fs.readFileSync(path.join(here, "init.json"), "utf8"));

const spark = await Session.builder().appName("bench-ml").master("local[2]").getOrCreate();
for (const size of sizes) {
  const file = path.join(here, "..", "data", `ml_${size}.parquet`);
  const ref = JSON.parse(fs.readFileSync(path.join(here, "..", "data", `ml_${size}_reference.json`), "utf8"));
  const df = new VectorAssembler({ inputCols: ["f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"], outputCol: "features" }).transform(spark.read.parquet(file));
  const n = await df.count();
  const out = (o) => process.stdout.write(JSON.stringify({ anchor: "quarry", provider, n, d: 8, ...o }) + "\n");
  const maxRel = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.max(Math.abs(b[i]), 1e-300)));
  for (const task of tasks) {
    const iterTimes = [];
    let last = performance.now();
    const onProgress = () => { const now = performance.now(); iterTimes.push((now - last) / 1000); last = now; };
    const t0 = performance.now();
    last = t0;
    if (task === "gmm") {
      const g = init.gmm;
      const m = await new GaussianMixture({ k: g.k, initialModel: { weights: g.weights_init, means: g.means_init, covs: g.covs_init }, regCovar: g.reg_covar, tol: g.tol_per_sample * n, maxIter: gmmMaxIter ? Number(gmmMaxIter) : g.max_iter, statsProvider: provider, onProgress }).fit(df);
      const total = (performance.now() - t0) / 1000;
      const per = [...iterTimes].sort((a, b) => a - b)[Math.floor(iterTimes.length / 2)];
      out({ task, k: g.k, seconds_total: total, seconds_per_iter: per, iterations: m.summary.numIter, objective: m.summary.logLikelihood, stats: m.summary.statsProvider, weights: m.weights });
    } else if (task === "kmeans") {
      const k = init.kmeans;
      const m = await new KMeans({ k: k.k, initialModel: { clusterCenters: k.init }, maxIter: k.max_iter, tol: k.tol, statsProvider: provider, onProgress }).fit(df);
      const total = (performance.now() - t0) / 1000;
      const per = [...iterTimes].sort((a, b) => a - b)[Math.floor(iterTimes.length / 2)];
      out({ task, k: k.k, seconds_total: total, seconds_per_iter: per, iterations: m.summary.numIter, objective: m.summary.trainingCost, stats: m.summary.statsProvider, centers: m.clusterCenters });
    } else if (task === "logreg") {
      const m = await new LogisticRegression({ labelCol: "label", regParam: 0, tol: init.logreg.tol, maxIter: init.logreg.max_iter, solver: "lbfgs", statsProvider: provider, onProgress }).fit(df);
      const total = (performance.now() - t0) / 1000;
      const exact = [...ref.logreg_none.coefficients, ref.logreg_none.intercept];
      out({ task, seconds_total: total, seconds_per_iter: total / Math.max(1, m.summary.totalIterations), iterations: m.summary.totalIterations, objective: m.summary.objectiveHistory.at(-1), stats: m.summary.statsProvider, coef_max_rel_err: maxRel([...m.coefficients, m.intercept], exact) });
    } else if (task === "linreg") {
      const m = await new LinearRegression({ labelCol: "y", solver: "normal", statsProvider: provider }).fit(df);
      const total = (performance.now() - t0) / 1000;
      const exact = [...ref.linreg_ols.coefficients, ref.linreg_ols.intercept];
      out({ task, seconds_total: total, iterations: 1, objective: m.summary.meanSquaredError, stats: m.summary.statsProvider, coef_max_rel_err: maxRel([...m.coefficients, m.intercept], exact) });
    }
  }
}
await spark.stop();
