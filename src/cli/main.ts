/**
 * `npm start`: the main job. Generates (or reuses) a realistic sales dataset of 1.2M rows under
 * `data/`, loads it from CSV, joins it with a product dimension, aggregates, ranks with a window
 * function, queries it with SQL, and writes partitioned Parquet, printing results and timings.
 */
import fs from "node:fs";
import path from "node:path";
import { Session, F, Window } from "../index.js";

const DATA = path.resolve(process.env.QUARRY_DATA_DIR ?? "data");
const OUT = path.resolve(process.env.QUARRY_OUT_DIR ?? "out");
const ROWS = Number(process.env.QUARRY_ROWS ?? 1_200_000);

const timings: [string, number][] = [];

/** Runs one step, printing a progress line every second while it runs and its time at the end. */
async function step<T>(name: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const tick = setInterval(() => {
    process.stdout.write(`  ... ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s elapsed\n`);
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

  await spark.stop();
  console.log("\nTimings:");
  for (const [name, s] of timings) console.log(`  ${s.toFixed(2).padStart(7)} s  ${name}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
  process.exit(1);
});
