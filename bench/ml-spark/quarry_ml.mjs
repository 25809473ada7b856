// Quarry's GaussianMixture and LogisticRegression on a Spark Connect server (one engine aggregate
// per iteration, run by Spark). Called by bench/ml-spark/run.mjs:
//   node quarry_ml.mjs <sc://url> <parquet path> <gmm extra iterations N> <repeats>
// Prints one JSON line: seconds of GMM fits with maxIter 1 and 1+N (tol 0), and of a
// LogisticRegression fit to convergence, each repeated `repeats` times after one warm-up fit.
import { Session } from "../../dist/index.js";
import { GaussianMixture, LogisticRegression, VectorAssembler } from "../../dist/ml/index.js";

const [url, file, extra, repeats] = [process.argv[2], process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const spark = await Session.builder().appName("bench-ml-spark").remote(url).getOrCreate();
const cols = Array.from({ length: 8 }, (_, i) => `f${i}`);
const df = new VectorAssembler({ inputCols: cols, outputCol: "features" }).transform(spark.read.parquet(file));

const time = async (f) => { const t = performance.now(); const r = await f(); return [(performance.now() - t) / 1000, r]; };
const gmm = (maxIter) => new GaussianMixture({ k: 5, seed: 1, maxIter, tol: 0 });
const lr = new LogisticRegression({ regParam: 0, tol: 1e-6, maxIter: 100, family: "binomial" });

await gmm(1).fit(df); // warm-up: the server compiles the queries' code on their first run
const out = { gmm_1: [], gmm_n: [], logreg: [] };
let g = null, m = null;
for (let r = 0; r < repeats; r++) {
  out.gmm_1.push((await time(() => gmm(1).fit(df)))[0]);
  const [t, model] = await time(() => gmm(1 + extra).fit(df));
  out.gmm_n.push(t); g = model;
  const [t2, lrModel] = await time(() => lr.fit(df));
  out.logreg.push(t2); m = lrModel;
}
console.log(JSON.stringify({
  ...out,
  gmm_provider: g.summary.statsProvider, gmm_loglik: g.summary.logLikelihood,
  logreg_iterations: m.summary.totalIterations, logreg_objective: m.summary.objectiveHistory.at(-1),
  logreg_coefficients: m.coefficients, logreg_intercept: m.intercept,
}));
await spark.stop();
