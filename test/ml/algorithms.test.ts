/**
 * The algorithms against reference values: scikit-learn and Spark ML results produced by
 * test/ml/fixtures/gen_algorithms.py (same data, same initialisation), and closed forms.
 */
import assert from "node:assert/strict";
import { F } from "quarry";
import { fixture, close, closeAll, frame } from "./helpers.js";
import { GaussianMixture, KMeans, LinearRegression, LogisticRegression } from "quarry/ml";
import { conformance } from "../conformance/harness.js";

conformance("ML algorithms match scikit-learn and Spark", (ctx) => {
  // Every training iteration on Spark is a Spark job (0.1-2 s on the local test server, against
  // milliseconds on the embedded engine). To keep the suite to minutes, fits that need more than
  // SPARK_ITERATIONS iterations (EM to convergence on gmm_overlap, OWL-QN to tol 1e-14, 3000 steps
  // of gradient descent) run on the embedded engine only; on Spark the same fixtures are checked
  // through the fits that stay under it (EM step by step, L-BFGS without L1, the normal equations).
  // The per-pass statistics on Spark are checked against the kernels in providers.test.ts.
  const SPARK_ITERATIONS = 40;
  const tooLong = (iterations: number) => ctx.backend.name === "spark" && iterations > SPARK_ITERATIONS;
  /** OWL-QN (L1) to tol 1e-14 takes 50-220 iterations on these fixtures. */
  const owlqnTooLong = (params: { regParam: number; elasticNetParam: number }) => tooLong(params.regParam > 0 && params.elasticNetParam > 0 ? 200 : 20);

  for (const name of ["gmm_separated.json", "gmm_overlap.json", "gmm_degenerate.json"]) {
    ctx.it(`GaussianMixture EM follows scikit-learn on ${name}`, async () => {
      const fx = fixture(name);
      const df = frame(ctx.spark, fx.X);
      const init = { weights: fx.init.weights_init, means: fx.init.means_init, covs: fx.init.covs_init };
      const gm = new GaussianMixture({ k: fx.k, initialModel: init, maxIter: fx.params.max_iter, tol: fx.params.tol * fx.n, regCovar: fx.params.reg_covar, statsProvider: "sql" });
      const e = fx.expected;
      // Iteration by iteration: exactly m EM steps from the same start.
      for (const step of fx.steps) {
        const m = await gm.copy({ maxIter: step.max_iter, tol: 0 }).fit(df);
        closeAll(m.weights, step.weights, 1e-8, `weights after ${step.max_iter} iterations`);
        m.gaussians.forEach((g, j) => closeAll(g.mean, step.means[j], 1e-8, `mean ${j} after ${step.max_iter} iterations`));
        close(m.summary!.logLikelihood, step.lower_bound_total, 1e-8, `log-likelihood of iteration ${step.max_iter}`);
      }
      if (tooLong(e.n_iter)) return;
      const model = await gm.fit(df);
      assert.equal(model.summary!.numIter, e.n_iter);
      close(model.summary!.logLikelihood, e.lower_bound_total, 1e-6, "logLikelihood");
      closeAll(model.weights, e.weights, 1e-6, "weights");
      model.gaussians.forEach((g, j) => {
        closeAll(g.mean, e.means[j], 1e-6, `mean ${j}`);
        g.cov.forEach((row, a) => closeAll(row, e.covariances[j][a], 1e-6, `cov ${j}[${a}]`));
      });
      assert.deepEqual([...model.summary!.clusterSizes], e.cluster_sizes);
      // Probabilities of the first rows.
      const probs = (await model.transform(df).orderBy("id").select("probability").limit(20).collect()).map((r) => r["probability"] as number[]);
      probs.forEach((p, i) => closeAll(p, e.proba_head[i], 1e-6, `probability of row ${i}`));
    });
  }

  ctx.it("GaussianMixture does not produce NaN when a component collapses", async () => {
    // 50 identical points plus a spread cluster: one component sits on a single point.
    const X = [...Array.from({ length: 50 }, () => [1, 1]), ...Array.from({ length: 50 }, (_, i) => [5 + Math.sin(i), 5 + Math.cos(3 * i)])];
    const m = await new GaussianMixture({ k: 2, seed: 3, maxIter: 50 }).fit(frame(ctx.spark, X));
    for (const g of m.gaussians) for (const v of [...g.mean, ...g.cov.flat()]) assert.ok(Number.isFinite(v));
    assert.ok(Number.isFinite(m.summary!.logLikelihood));
  });

  for (const name of ["kmeans_blobs.json", "kmeans_overlap.json"]) {
    ctx.it(`KMeans Lloyd iterations follow Spark's rules on ${name}`, async () => {
      const fx = fixture(name);
      const df = frame(ctx.spark, fx.X);
      const s = fx.spark_semantics[0];
      const km = new KMeans({ k: fx.k, initialModel: { clusterCenters: fx.init }, tol: s.tol, maxIter: s.maxIter, statsProvider: "sql" });
      const model = await km.fit(df);
      assert.equal(model.summary!.numIter, s.numIter);
      close(model.summary!.trainingCost, s.trainingCost, 1e-9, "trainingCost");
      model.clusterCenters.forEach((c, j) => closeAll(c, s.centers[j], 1e-9, `centre ${j}`));
      const one = await km.copy({ maxIter: 1, tol: 0 }).fit(df);
      one.clusterCenters.forEach((c, j) => closeAll(c, fx.steps[0].centers[j], 1e-9, `centre ${j} after one iteration`));
      close(one.summary!.trainingCost, fx.steps[0].training_cost_spark, 1e-9, "trainingCost after one iteration");
    });
  }

  ctx.it("LinearRegression (normal equations) matches OLS, its standard errors and p values", async () => {
    const fx = fixture("linreg_ols.json");
    for (const c of fx.cases) {
      const model = await new LinearRegression({ ...c.spark_params, solver: "normal" }).fit(frame(ctx.spark, fx.X, fx.y));
      const e = c.expected;
      closeAll(model.coefficients, e.coefficients, 1e-9, `${c.name} coefficients`);
      close(model.intercept, e.intercept, 1e-9, `${c.name} intercept`);
      const s = model.summary!;
      close(s.r2, e.r2_spark, 1e-9, "r2"); close(s.r2adj, e.r2adj_spark, 1e-9, "r2adj");
      close(s.meanSquaredError, e.meanSquaredError, 1e-9, "mse"); close(s.rootMeanSquaredError, e.rootMeanSquaredError, 1e-9, "rmse");
      close(s.meanAbsoluteError, e.meanAbsoluteError, 1e-9, "mae"); close(s.explainedVariance, e.explainedVariance_spark, 1e-9, "explainedVariance");
      assert.equal(s.degreesOfFreedom, e.degreesOfFreedom);
      closeAll(s.coefficientStandardErrors, e.coefficientStandardErrors, 1e-8, "standard errors");
      closeAll(s.tValues, e.tValues, 1e-8, "t values");
      closeAll(s.pValues, e.pValues, 1e-8, "p values");
    }
  });

  ctx.it("LinearRegression with weights, and every solver, reaches the same optimum", async () => {
    const fx = fixture("linreg_weighted.json");
    for (const c of fx.cases) {
      for (const solver of ["normal", "lbfgs"] as const) {
        if (solver === "normal" && c.spark_params.elasticNetParam > 0 && c.spark_params.regParam > 0) continue;
        if (solver === "lbfgs" && owlqnTooLong(c.spark_params)) continue;
        const model = await new LinearRegression({ ...c.spark_params, weightCol: "w", solver, tol: 1e-14, maxIter: 1000 }).fit(frame(ctx.spark, fx.X, fx.y, fx.w));
        const e = c.expected_by_solver?.[solver === "lbfgs" ? "l-bfgs" : "normal"] ?? c.expected;
        closeAll(model.coefficients, e.coefficients, 1e-6, `${c.name}/${solver} coefficients`);
        close(model.intercept, e.intercept, 1e-6, `${c.name}/${solver} intercept`);
      }
    }
  });

  ctx.it("LinearRegression regularization follows Spark's objective (ridge, lasso, elastic net)", async () => {
    const fx = fixture("linreg_regularized.json");
    const df = frame(ctx.spark, fx.X, fx.y);
    for (const c of fx.cases) {
      for (const solver of ["normal", "l-bfgs"] as const) {
        const e = c.expected_by_solver[solver];
        if (!e || (solver === "normal" && c.spark_params.elasticNetParam > 0)) continue;
        if (solver === "l-bfgs" && owlqnTooLong(c.spark_params)) continue;
        const model = await new LinearRegression({ ...c.spark_params, solver: solver === "l-bfgs" ? "lbfgs" : "normal", tol: 1e-14, maxIter: 2000 }).fit(df);
        closeAll(model.coefficients, e.coefficients, 1e-6, `${c.name}/${solver} coefficients`);
        close(model.intercept, e.intercept, 1e-6, `${c.name}/${solver} intercept`);
      }
    }
    // Gradient descent heads for the same optimum (looser: a first-order method).
    if (tooLong(3000)) return;
    const ridge = fx.cases.find((c: { name: string }) => c.name === "ridge");
    const gd = await new LinearRegression({ ...ridge.spark_params, solver: "gd", maxIter: 3000, tol: 1e-12 }).fit(df);
    closeAll(gd.coefficients, ridge.expected_by_solver["l-bfgs"].coefficients, 1e-3, "gd coefficients");
  });

  ctx.it("LogisticRegression (binomial) matches the exact optimum of Spark's objective", async () => {
    const fx = fixture("logreg_binomial.json");
    for (const c of fx.cases) {
      const df = frame(ctx.spark, fx.X, fx.y, fx.w);
      const model = await new LogisticRegression({ ...c.spark_params, tol: 1e-14, maxIter: 1000 }).fit(df);
      const e = c.expected;
      closeAll(model.coefficients, e.coefficients, 1e-6, `${c.name} coefficients`);
      close(model.intercept, e.intercept, 1e-6, `${c.name} intercept`);
      close(model.summary!.accuracy, e.accuracy, 1e-12, `${c.name} accuracy`);
      close(model.summary!.areaUnderROC!, e.areaUnderROC, 1e-9, `${c.name} areaUnderROC`);
      const probs = (await model.transform(df).orderBy("id").select("probability").limit(20).collect()).map((r) => (r["probability"] as number[])[1]);
      closeAll(probs, e.probability_head, 1e-6, `${c.name} probabilities`);
    }
  });

  ctx.it("LogisticRegression (multinomial) matches scikit-learn's probabilities", async () => {
    const fx = fixture("logreg_multinomial.json");
    const df = frame(ctx.spark, fx.X, fx.y);
    for (const c of fx.cases) {
      const model = await new LogisticRegression({ ...c.spark_params, tol: 1e-14, maxIter: 2000 }).fit(df);
      const e = c.expected;
      const probs = (await model.transform(df).orderBy("id").select("probability").limit(20).collect()).map((r) => r["probability"] as number[]);
      probs.forEach((p, i) => closeAll(p, e.probability_head[i], 1e-6, `${c.name} probability row ${i}`));
      const diff = model.coefficientMatrix.map((row) => row.map((v, j) => v - model.coefficientMatrix[0][j]));
      diff.forEach((row, k) => closeAll(row, e.coefficient_diff_vs_class0[k], 1e-5, `${c.name} coefficient differences, class ${k}`));
      close(model.summary!.accuracy, e.accuracy, 1e-12, "accuracy");
    }
  });

  ctx.it("fits on a features column built with F.array, and rejects bad input clearly", async () => {
    const df = ctx.spark.createDataFrame([{ a: 1, b: 2, y: 0 }, { a: 2, b: 1, y: 1 }, { a: 3, b: 3, y: 2 }]).withColumn("features", F.array("a", "b").cast("array<double>"));
    await assert.rejects(new KMeans({ k: 5 }).fit(df), /larger than the number of rows/);
    await assert.rejects(new LogisticRegression({ family: "binomial", labelCol: "y" }).fit(df), /labels 0 and 1/);
    await assert.rejects(new KMeans({ featuresCol: "nope" }).fit(df), /`nope` does not exist/);
    await assert.rejects(new KMeans({ featuresCol: "a" }).fit(df), /vector/);
    await assert.rejects(new GaussianMixture({ k: 1 }).fit(df), /k must be > 1/);
  });

  // Expected behaviour by hand (Spark ML rejects negative weights and cannot train on NaN or
  // infinite values): every estimator, on every provider this backend has, refuses such rows with
  // one clear error instead of returning a model trained on them.
  ctx.it("infinite features, NaN or infinite labels and null, NaN or negative weights fail clearly on every provider", async () => {
    const base = ctx.spark.createDataFrame([[1, 1.1, 0], [2, 2.3, 0], [3, 2.9, 1], [4, 4.2, 1], [5, 5.1, 1], [6, 5.8, 0]], "x DOUBLE, y DOUBLE, l DOUBLE");
    const at = (col: string, value: number | null, where = F.col("x").gt(4)) => base.withColumn(col, F.when(where, F.lit(value)).otherwise(F.col(col)));
    const withW = (value: number | null) => base.withColumn("w", F.when(F.col("x").eq(2), F.lit(value)).otherwise(F.lit(1.0)));
    const feat = (df: typeof base) => df.withColumn("features", F.array("x").cast("array<double>"));
    const providers = ctx.backend.name === "spark" ? (["sql"] as const) : (["kernel", "sql"] as const);
    for (const statsProvider of providers) {
      const on = `(${statsProvider} provider)`;
      for (const [name, fit] of [
        ["LinearRegression", (df: typeof base) => new LinearRegression({ labelCol: "y", statsProvider }).fit(df)],
        ["LinearRegression lbfgs", (df: typeof base) => new LinearRegression({ labelCol: "y", solver: "lbfgs", statsProvider }).fit(df)],
        ["LogisticRegression", (df: typeof base) => new LogisticRegression({ labelCol: "l", statsProvider }).fit(df)],
      ] as const) {
        await assert.rejects(fit(feat(at("x", Infinity))), /: 2 rows have null, NaN or infinite features in `features`/, `${name} ${on}: infinite feature`);
        const label = name.startsWith("Logistic") ? "l" : "y";
        for (const v of [NaN, Infinity]) await assert.rejects(fit(feat(at(label, v))), new RegExp(`: 2 rows have a NaN or infinite label in \`${label}\``), `${name} ${on}: label ${v}`);
      }
      for (const [name, fit] of [
        ["LinearRegression", (df: typeof base) => new LinearRegression({ labelCol: "y", weightCol: "w", statsProvider }).fit(df)],
        ["LogisticRegression", (df: typeof base) => new LogisticRegression({ labelCol: "l", weightCol: "w", statsProvider }).fit(df)],
        ["KMeans", (df: typeof base) => new KMeans({ k: 2, seed: 1, weightCol: "w", statsProvider }).fit(df)],
        ["GaussianMixture", (df: typeof base) => new GaussianMixture({ k: 2, seed: 1, weightCol: "w", statsProvider }).fit(df)],
      ] as const) {
        for (const v of [-1, NaN, null]) await assert.rejects(fit(feat(withW(v))), new RegExp(`${name}: 1 row has a null, NaN, infinite or negative weight in \`w\``), `${name} ${on}: weight ${v}`);
      }
      for (const [name, fit] of [
        ["KMeans", (df: typeof base) => new KMeans({ k: 2, seed: 1, statsProvider }).fit(df)],
        ["GaussianMixture", (df: typeof base) => new GaussianMixture({ k: 2, seed: 1, statsProvider }).fit(df)],
      ] as const) {
        // Two rows, counted as two (a mean shift must not spread them to the others).
        await assert.rejects(fit(feat(at("x", -Infinity))), new RegExp(`${name}: 2 rows have null, NaN or infinite features`), `${name} ${on}: infinite feature`);
      }
      const zero = feat(at("x", 0, F.col("x").eq(3)));
      await assert.rejects(new KMeans({ k: 2, seed: 1, distanceMeasure: "cosine", statsProvider }).fit(zero), /KMeans: 1 row has null, NaN or infinite features in `features` \(or zero vectors, for which cosine distance is undefined\)/, `cosine KMeans ${on}: zero vector`);
    }
  });

  // Expected by invariance: Spark's normal solver (WeightedLeastSquares) standardizes with the
  // features' population standard deviations, so a ridge fit with standardization equals one
  // without it on the features divided by those deviations (computed here by hand).
  ctx.it("the normal solver's ridge with standardization uses the features' population deviations", async () => {
    const rows = Array.from({ length: 12 }, (_, i) => [i % 5, (i * 7) % 3 + 0.5 * (i % 2), 1 + 2 * (i % 5) - 3 * ((i * 7) % 3) + 0.1 * (i % 4)]);
    const sd = [0, 1].map((j) => { const m = rows.reduce((s, r) => s + r[j], 0) / rows.length; return Math.sqrt(rows.reduce((s, r) => s + (r[j] - m) ** 2, 0) / rows.length); });
    const df = ctx.spark.createDataFrame(rows, "a DOUBLE, b DOUBLE, y DOUBLE")
      .withColumn("features", F.array("a", "b").cast("array<double>"))
      .withColumn("scaled", F.array(F.col("a").divide(sd[0]), F.col("b").divide(sd[1])).cast("array<double>"));
    const std = await new LinearRegression({ labelCol: "y", solver: "normal", regParam: 0.3 }).fit(df);
    const manual = await new LinearRegression({ labelCol: "y", solver: "normal", regParam: 0.3, standardization: false, featuresCol: "scaled" }).fit(df);
    closeAll(std.coefficients, manual.coefficients.map((c, j) => c / sd[j]), 1e-10, "coefficients");
    close(std.intercept, manual.intercept, 1e-10, "intercept");
  });

  // Expected (Spark's rule): a binomial fit with an intercept on labels of one class trains
  // nothing and returns zero coefficients with an infinite intercept.
  ctx.it("LogisticRegression on labels of a single class returns zero coefficients and an infinite intercept", async () => {
    for (const [label, intercept] of [[1, Infinity], [0, -Infinity]] as const) {
      const df = ctx.spark.createDataFrame(Array.from({ length: 20 }, (_, i) => [i, i % 3, label]), "a DOUBLE, b DOUBLE, l DOUBLE")
        .withColumn("features", F.array("a", "b").cast("array<double>"));
      const m = await new LogisticRegression({ labelCol: "l" }).fit(df);
      assert.deepEqual([...m.coefficients], [0, 0]);
      assert.equal(m.intercept, intercept);
      assert.equal(m.summary!.totalIterations, 0);
      assert.equal(m.summary!.accuracy, 1);
      const [row] = await m.transform(df).select("prediction", "probability").limit(1).collect();
      assert.equal(row["prediction"], label);
      assert.deepEqual(row["probability"], label === 1 ? [0, 1] : [1, 0]);
    }
  });

  // Expected: a row of weight 0 counts for nothing, so fits with it match fits without it (as in
  // Spark, where the initialisation weighs rows too); all-zero weights fail clearly.
  ctx.it("rows of weight 0 do not seed k-means or mixture components", async () => {
    const rows: number[][] = [];
    for (let i = 0; i < 20; i++) rows.push([(i % 5) * 0.2, (i % 3) * 0.1, 1], [10 + (i % 5) * 0.2, (i % 3) * 0.1, 1]);
    for (let i = 0; i < 40; i++) rows.push([100 + i, 50, 0]);
    const all = ctx.spark.createDataFrame(rows, "a DOUBLE, b DOUBLE, w DOUBLE").withColumn("features", F.array("a", "b").cast("array<double>"));
    const kept = all.filter(F.col("w").gt(0));
    const providers = ctx.backend.name === "spark" ? (["sql"] as const) : (["kernel", "sql"] as const);
    const sorted = (c: number[][]) => [...c].sort((x, y) => x[0] - y[0]);
    for (const statsProvider of providers) {
      const km = await new KMeans({ k: 2, seed: 3, weightCol: "w", statsProvider }).fit(all);
      const ref = await new KMeans({ k: 2, seed: 3, statsProvider }).fit(kept);
      sorted(km.clusterCenters).forEach((c, j) => closeAll(c, sorted(ref.clusterCenters)[j], 1e-9, `k-means centre ${j} (${statsProvider})`));
      // Cluster sizes count rows (weight 0 included), as Spark's summary does, not weights.
      assert.deepEqual([...km.summary!.clusterSizes].sort((a, b) => a - b), [20, 60], `k-means cluster sizes (${statsProvider})`);
      const gm = await new GaussianMixture({ k: 2, seed: 3, weightCol: "w", statsProvider }).fit(all);
      closeAll([...gm.weights].sort(), [0.5, 0.5], 1e-6, `mixture weights (${statsProvider})`);
      await assert.rejects(new KMeans({ k: 2, weightCol: "w", statsProvider }).fit(all.withColumn("w", F.lit(0.0))), /KMeans: the weights in `w` sum to 0/);
    }
  });

  // Expected values: ordinary least squares solved in the test on centred data (3x3 normal
  // equations by hand), and invariances (a shifted feature changes only the intercept; a label
  // scaled by 1e9 or 1e-9 scales the coefficients). Before the optimizer centred the features and
  // scaled the label, L-BFGS stopped at all-zero coefficients on such data.
  ctx.it("L-BFGS fits are unaffected by a large feature offset (Unix timestamps within a day) or the label's scale", async () => {
    // 200 rows from a fixed Park-Miller sequence: a time within one day, another feature, noise.
    let seed = 9;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const rows: number[][] = [];
    for (let i = 0; i < 200; i++) {
      const a = rnd(), b = rnd(), e = rnd();
      rows.push([1.7e9 + a * 86400, a * 30, b, 3 + 2 * a - b + 0.1 * e, a - b + 0.3 * (e - 0.5) > 0 ? 1 : 0]);
    }
    // OLS of y on (day, x2) with centred columns: solve the 2x2 system.
    const n = rows.length, mean = (j: number) => rows.reduce((s, r) => s + r[j], 0) / n;
    const [md, mx, my] = [mean(1), mean(2), mean(3)];
    let sdd = 0, sdx = 0, sxx = 0, sdy = 0, sxy = 0;
    for (const r of rows) { const a = r[1] - md, b = r[2] - mx, y = r[3] - my; sdd += a * a; sdx += a * b; sxx += b * b; sdy += a * y; sxy += b * y; }
    const det = sdd * sxx - sdx * sdx, bDay = (sxx * sdy - sdx * sxy) / det, bX = (sdd * sxy - sdx * sdy) / det;
    const df = ctx.spark.createDataFrame(rows, "ts DOUBLE, day DOUBLE, x2 DOUBLE, y DOUBLE, l DOUBLE")
      .withColumn("features", F.array("ts", "x2").cast("array<double>"))
      .withColumn("shifted", F.array(F.col("ts").minus(1.7e9), F.col("x2")).cast("array<double>"));
    // Default tolerance, as a user would fit (it was the one that stopped at zero).
    const lin = await new LinearRegression({ labelCol: "y", solver: "lbfgs" }).fit(df);
    closeAll([lin.coefficients[0] * 2880, lin.coefficients[1]], [bDay, bX], 1e-4, "coefficients on the timestamp column");
    for (const k of [1e9, 1e-9]) {
      const scaled = await new LinearRegression({ labelCol: "ys", featuresCol: "shifted", solver: "lbfgs", tol: 1e-12 }).fit(df.withColumn("ys", F.col("y").multiply(k)));
      closeAll([scaled.coefficients[0] * 2880 / k, scaled.coefficients[1] / k], [bDay, bX], 1e-6, `coefficients with the label times ${k}`);
    }
    // The normal solver (the default) on a feature 1e7 from zero with a spread of 0.3: its Gram
    // matrix is taken about the mean, so nothing cancels; the intercept comes back to x = 0.
    const far = df.withColumn("far", F.array(F.col("day").divide(30).plus(1e7), F.col("x2")).cast("array<double>"));
    const normal = await new LinearRegression({ labelCol: "y", featuresCol: "far" }).fit(far);
    closeAll([normal.coefficients[0] / 30, normal.coefficients[1]], [bDay, bX], 1e-6, "normal-solver coefficients 1e7 from zero");
    close(normal.intercept, my - bDay * md - bX * mx - normal.coefficients[0] * 1e7, 1e-9, "normal-solver intercept");
    const near = await new LinearRegression({ labelCol: "y", featuresCol: "shifted" }).fit(df);
    closeAll(normal.summary!.coefficientStandardErrors.slice(0, 2).map((v, j) => (j === 0 ? v / 30 : v)), [near.summary!.coefficientStandardErrors[0] * 2880, near.summary!.coefficientStandardErrors[1]], 1e-6, "standard errors do not depend on the offset");
    const log = await new LogisticRegression({ labelCol: "l" }).fit(df);
    const ref = await new LogisticRegression({ labelCol: "l", featuresCol: "shifted", tol: 1e-12 }).fit(df);
    closeAll(log.coefficients, ref.coefficients, 1e-3, "logistic coefficients on timestamps and on shifted timestamps");
    assert.ok(Math.abs(ref.coefficients[0]) > 1e-6, "the timestamp carries the signal");
  });

  // Expected by hand: a model applied to vectors of another length than it was fitted on fails
  // with its own error (as the scaler models do); a null vector gives null outputs.
  ctx.it("models check the vector length in transform and predict, and give null outputs for a null vector", async () => {
    const train = ctx.spark.createDataFrame([[0, 0, 0, 0], [1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 2, 1], [5, 5, 10, 1], [6, 5, 11, 0], [5, 6, 11, 1], [6, 6, 12, 0]], "a DOUBLE, b DOUBLE, y DOUBLE, l DOUBLE")
      .withColumn("features", F.array("a", "b").cast("array<double>"));
    const models = [
      await new KMeans({ k: 2, seed: 1 }).fit(train),
      await new KMeans({ k: 2, seed: 1, distanceMeasure: "cosine" }).fit(train.filter(F.col("a").plus(F.col("b")).gt(0))),
      await new GaussianMixture({ k: 2, seed: 1 }).fit(train),
      await new LinearRegression({ labelCol: "y" }).fit(train),
      await new LogisticRegression({ labelCol: "l" }).fit(train),
      await new LogisticRegression({ labelCol: "a", family: "multinomial" }).fit(train),
    ];
    const short = ctx.spark.createDataFrame([[1]], "v DOUBLE").withColumn("features", F.array("v").cast("array<double>"));
    const long = ctx.spark.createDataFrame([[1]], "v DOUBLE").withColumn("features", F.array("v", "v", "v").cast("array<double>"));
    const nulls = ctx.spark.createDataFrame([[1]], "v DOUBLE").withColumn("features", F.when(F.col("v").gt(5), F.array("v", "v")).cast("array<double>"));
    const partial = ctx.spark.createDataFrame([[1]], "v DOUBLE").withColumn("features", F.array(F.col("v"), F.lit(null).cast("double")).cast("array<double>"));
    for (const m of models) {
      const name = m.constructor.name;
      for (const df of [short, long]) await assert.rejects(m.transform(df).collect(), new RegExp(`${name}: the column \`features\` has a vector whose length is not 2, the number of features the model was fitted on`), name);
      for (const v of [[1], [1, 2, 3]]) assert.throws(() => m.predict(v), new RegExp(`${name}: expected a vector of 2 features, got ${v.length}`), `${name}.predict`);
      for (const [what, df] of [["a null vector", nulls], ["a null element", partial]] as const) {
        const [row] = await m.transform(df).collect();
        for (const col of ["prediction", "probability", "rawPrediction"]) if (col in row) assert.equal(row[col], null, `${name} ${col} for ${what}`);
      }
      const [row] = await m.transform(nulls).collect();
      assert.ok("prediction" in row, name);
    }
    const zero = ctx.spark.createDataFrame([[0]], "v DOUBLE").withColumn("features", F.array("v", "v").cast("array<double>"));
    await assert.rejects(models[1].transform(zero).collect(), /KMeansModel: the column `features` has a zero vector, for which cosine distance is undefined/);
  });
});
