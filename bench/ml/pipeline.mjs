// A Spark-ML-style feature pipeline on the demo's data: StringIndexer -> OneHotEncoder ->
// VectorAssembler -> StandardScaler -> LogisticRegression, fitted on 1.2M rows (the frame cached
// in the engine first, as `npm start` does). Prints the seconds each fit takes, one JSON line per
// round. `--dist DIR` runs another build (e.g. a parent commit's dist/) for a before/after.
//   npm start                                   # once: writes data/sales_1200000 and data/products
//   node bench/ml/pipeline.mjs [--rounds 3] [--dist /path/to/other/dist]
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const argv = process.argv.slice(2);
const arg = (name, def) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def; };
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dist = path.resolve(arg("dist", path.join(root, "dist")));
const rounds = Number(arg("rounds", "3"));
const data = path.resolve(arg("data", path.join(root, "data")));
const { Session, F } = await import(pathToFileURL(path.join(dist, "index.js")).href);
const ml = await import(pathToFileURL(path.join(dist, "ml/index.js")).href);

const spark = await Session.builder().appName("pipeline bench").master("local[*]").getOrCreate();
const sales = spark.read.csv(path.join(data, "sales_1200000"), { header: true, inferSchema: true });
const products = spark.read.csv(path.join(data, "products"), { header: true, inferSchema: true });
const basket = sales.filter(F.col("quantity").gt(0))
  .withColumn("revenue", F.col("quantity").multiply(F.col("unit_price")).multiply(F.lit(1).minus(F.col("discount"))))
  .join(products, "product_id", "inner")
  .select("unit_price", "quantity", "discount", "category", "revenue")
  .withColumn("big_order", F.when(F.col("revenue").gt(300), 1).otherwise(0))
  .cache();
const rows = await basket.count();
for (let round = 0; round < rounds; round++) {
  const t = {};
  const time = async (name, f) => { const t0 = performance.now(); const r = await f(); t[name] = +((performance.now() - t0) / 1000).toFixed(3); return r; };
  const si = await time("stringIndexer", () => new ml.StringIndexer({ inputCol: "category", outputCol: "category_index" }).fit(basket));
  const a = si.transform(basket);
  const ohe = await time("oneHotEncoder", () => new ml.OneHotEncoder({ inputCols: ["category_index"], outputCols: ["category_vec"] }).fit(a));
  const b = new ml.VectorAssembler({ inputCols: ["unit_price", "quantity", "discount", "category_vec"], outputCol: "raw_features", inputSizes: { category_vec: 7 } }).transform(ohe.transform(a));
  const sc = await time("standardScaler", () => new ml.StandardScaler({ inputCol: "raw_features", outputCol: "features", withMean: true }).fit(b));
  const c = sc.transform(b);
  const lr = await time("logisticRegression", () => new ml.LogisticRegression({ labelCol: "big_order", maxIter: 100, regParam: 0.001 }).fit(c));
  console.log(JSON.stringify({ dist, rows, round, seconds: t, total: +Object.values(t).reduce((x, y) => x + y, 0).toFixed(3), iterations: lr.summary.totalIterations, intercept: lr.intercept }));
}
await spark.stop();
