/**
 * `npm start`: the main job. Generates (or reuses) a realistic sales dataset of 1.2M rows under
 * `data/`, loads it from CSV, joins it with a product dimension, aggregates, ranks with a window
 * function, queries it with SQL, and writes partitioned Parquet, printing results and timings.
 */
import fs from "node:fs";
import path from "node:path";
import { Session, F, Window } from "../index.js";
import {
  VectorAssembler, StringIndexer, OneHotEncoder, StandardScaler, Pipeline, GaussianMixture, LogisticRegression,
  BinaryClassificationEvaluator, MulticlassClassificationEvaluator, type FitProgress, type LogisticRegressionModel,
} from "../ml/index.js";

const DATA = path.resolve(process.env.QUARRY_DATA_DIR ?? "data");
const OUT = path.resolve(process.env.QUARRY_OUT_DIR ?? "out");
const ROWS = Number(process.env.QUARRY_ROWS ?? 1_200_000);

const timings: [string, number][] = [];

/** Runs one step, printing a progress line every second while it runs and its time at the end. */
async function step<T>(name: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  // A progress line after one second, then every five.
  let ticks = 0;
  const tick = setInterval(() => {
    if (ticks++ % 5 === 0) process.stdout.write(`  ... ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s elapsed\n`);
  }, 1000);
  try {
    const r = await f();
    const s = (performance.now() - t0) / 1000;
    timings.push([name, s]);
    process.stdout.write(`✔ ${name} (${s.toFixed(2)} s)\n`);
    return r;
  } finally {
    clearInterval(tick);
  }
}

async function main(): Promise<void> {
  const spark = await Session.builder().appName("quarry demo").master("local[*]").getOrCreate();
  console.log(`Quarry demo on the embedded engine (${spark.backendName}); data in ${DATA}, output in ${OUT}\n`);

  const salesDir = path.join(DATA, `sales_${ROWS}`);
  const productsDir = path.join(DATA, "products");
  if (!fs.existsSync(path.join(salesDir, "_SUCCESS")) || !fs.existsSync(path.join(productsDir, "_SUCCESS"))) {
    await step(`generate ${ROWS.toLocaleString("en")} sales rows as CSV`, async () => {
      // Deterministic pseudo-random columns from hashes of the row id.
      const h = (salt: number) => F.expr(`hash(id, ${salt}) % 1000000`).cast("double").divide(1e6);
      const sales = spark.range(ROWS)
        .withColumn("order_id", F.col("id"))
        .withColumn("customer_id", F.expr("CAST(hash(id, 1) % 50000 AS INTEGER)"))
        .withColumn("product_id", F.expr("CAST(hash(id, 2) % 1000 AS INTEGER)"))
        .withColumn("quantity", F.expr("CAST(hash(id, 3) % 5 AS INTEGER)").plus(1))
        .withColumn("unit_price", F.round(h(4).multiply(200).plus(1), 2))
        .withColumn("discount", F.when(h(5).lt(0.2), F.round(h(6).multiply(0.3), 2)).otherwise(0.0))
        .withColumn("ts", F.expr("TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(CAST(hash(id, 7) % 31536000 AS BIGINT))"))
        .drop("id");
      await sales.write.mode("overwrite").option("header", true).csv(salesDir);
      const categories = ["books", "garden", "toys", "electronics", "grocery", "sports", "music", "home"];
      const products = spark.createDataFrame(
        Array.from({ length: 1000 }, (_, i) => ({ product_id: i, category: categories[(i * 7919) % categories.length], brand: `brand-${(i * 31) % 97}` })),
        "product_id INT, category STRING, brand STRING",
      );
      await products.write.mode("overwrite").option("header", true).csv(productsDir);
    });
  } else {
    console.log(`reusing ${salesDir}`);
  }

  const sales = spark.read.csv(salesDir, { header: true, inferSchema: true });
  const products = spark.read.csv(productsDir, { header: true, inferSchema: true });
  await step("load CSV and count rows", async () => {
    console.log(`  sales rows: ${(await sales.count()).toLocaleString("en")}`);
    await sales.printSchema();
  });

  const enriched = sales
    .filter(F.col("quantity").gt(0))
    .withColumn("revenue", F.col("quantity").multiply(F.col("unit_price")).multiply(F.lit(1).minus(F.col("discount"))))
    .join(products, "product_id", "inner")
    .cache();

  await step("revenue by category (filter + join + group-by)", async () => {
    await enriched.groupBy("category")
      .agg(F.round(F.sum("revenue"), 2).alias("revenue"), F.count("*").alias("orders"), F.round(F.avg("unit_price"), 2).alias("avg_price"),
        F.countDistinct("customer_id").alias("customers"))
      .orderBy(F.col("revenue").desc())
      .show();
  });

  await step("top 3 products per category (window function)", async () => {
    const perProduct = enriched.groupBy("category", "product_id").agg(F.round(F.sum("revenue"), 2).alias("revenue"));
    const w = Window.partitionBy("category").orderBy(F.col("revenue").desc());
    await perProduct.withColumn("rank", F.row_number().over(w)).filter(F.col("rank").le(3)).orderBy("category", "rank").show(12);
  });

  await step("monthly revenue (SQL over a temp view)", async () => {
    enriched.createOrReplaceTempView("sales");
    await spark.sql(`SELECT strftime(ts, '%Y-%m') AS month, round(sum(revenue), 2) AS revenue, count(*) AS orders
                     FROM sales GROUP BY 1 ORDER BY 1`).show(12);
  });

  await step("write Parquet partitioned by category", async () => {
    const target = path.join(OUT, "sales_by_category");
    await enriched.write.mode("overwrite").partitionBy("category").parquet(target);
    const back = spark.read.parquet(target);
    console.log(`  wrote ${(await back.count()).toLocaleString("en")} rows to ${target}`);
  });

  // Machine learning on the same data: trained where the data is, one pass per iteration.
  const progress = (p: FitProgress) => {
    if (p.iteration % 5 === 0 || p.iteration <= 2) process.stdout.write(`  ... ${p.estimator} iteration ${p.iteration}: objective ${p.objective.toPrecision(8)} (${(p.elapsedMs / 1000).toFixed(1)} s)\n`);
  };
  const basket = enriched.select("unit_price", "quantity", "discount", "category", "revenue")
    .withColumn("big_order", F.when(F.col("revenue").gt(300), 1).otherwise(0));
  await step("Gaussian mixture (k = 3) on price, quantity and discount", async () => {
    const features = new VectorAssembler({ inputCols: ["unit_price", "quantity", "discount"], outputCol: "features" }).transform(basket);
    const gmm = await new GaussianMixture({ k: 3, maxIter: 50, tol: 1, seed: 7, onProgress: progress }).fit(features);
    const s = gmm.summary!;
    console.log(`  ${s.numIter} EM iterations (${s.statsProvider} statistics), total log-likelihood ${s.logLikelihood.toFixed(1)}`);
    gmm.gaussians.forEach((g, j) => console.log(`  component ${j}: weight ${gmm.weights[j].toFixed(3)}, mean [${g.mean.map((v) => v.toFixed(2)).join(", ")}], ${s.clusterSizes[j].toLocaleString("en")} rows`));
  });
  await step("logistic regression: will an order exceed 300? (pipeline, 80/20 split)", async () => {
    // Cached, as in Spark: every stage's fit and the evaluations read the split parts again.
    const [train, test] = basket.randomSplit([0.8, 0.2], 42).map((part) => part.cache());
    const pipeline = new Pipeline({ stages: [
      new StringIndexer({ inputCol: "category", outputCol: "category_index" }),
      new OneHotEncoder({ inputCols: ["category_index"], outputCols: ["category_vec"] }),
      // 8 categories, one-hot encoded with the last dropped: 7 entries.
      new VectorAssembler({ inputCols: ["unit_price", "quantity", "discount", "category_vec"], outputCol: "raw_features", inputSizes: { category_vec: 7 } }),
      new StandardScaler({ inputCol: "raw_features", outputCol: "features", withMean: true }),
      new LogisticRegression({ labelCol: "big_order", maxIter: 100, regParam: 0.001, onProgress: progress }),
    ] });
    const model = await pipeline.fit(train);
    const lr = model.stages[model.stages.length - 1] as LogisticRegressionModel;
    const scored = model.transform(test);
    const auc = await new BinaryClassificationEvaluator({ labelCol: "big_order" }).evaluate(scored);
    const acc = await new MulticlassClassificationEvaluator({ labelCol: "big_order", metricName: "accuracy" }).evaluate(scored);
    console.log(`  ${lr.summary!.totalIterations} L-BFGS iterations; training accuracy ${lr.summary!.accuracy.toFixed(4)}, training AUC ${lr.summary!.areaUnderROC!.toFixed(4)}`);
    console.log(`  held-out AUC ${auc.toFixed(4)}, accuracy ${acc.toFixed(4)}; coefficients [${lr.coefficients.map((v) => v.toFixed(3)).join(", ")}], intercept ${lr.intercept.toFixed(3)}`);
  });

  await spark.stop();
  console.log("\nTimings:");
  for (const [name, s] of timings) console.log(`  ${s.toFixed(2).padStart(7)} s  ${name}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
  process.exit(1);
});
