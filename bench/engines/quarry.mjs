// Quarry, public API only (DESIGN.md): the library under test.
//   node engines/quarry.mjs <workload> <dataset>
// Needs the library built (`npm run build` in the repo root: dist/index.js).
import { Session, F, Window } from "quarry";
import { KEYS_PARQUET, TMP_DIR, dataPath, ensureDir, outPath, parseArgs, report, unsupported } from "../lib.mjs";
import { arrowChecksumOf, collectChecksumOf } from "./checksums.mjs";

const { workload, dataset } = parseArgs();
const t0 = performance.now();
let builder = Session.builder().appName(`quarry-bench ${workload}`);
if (workload === "spill") {
  builder = builder.config("memory_limit", "1GB").config("temp_directory", ensureDir(TMP_DIR));
}
const spark = await builder.getOrCreate();
const csv = () => spark.read.csv(dataPath(dataset, "csv"), { header: true, inferSchema: true });
const pq = () => spark.read.parquet(dataPath(dataset, "parquet"));

const groupBy = (df) =>
  df.groupBy("key").agg(
    F.count("*").alias("n"),
    F.avg("f0").alias("avg_f0"),
    F.sum("f1").alias("sum_f1"),
    F.max("f2").alias("max_f2"),
  );

switch (workload) {
  case "groupby_csv":
    report(await groupBy(csv()).collect(), performance.now() - t0);
    break;
  case "groupby_parquet":
    report(await groupBy(pq()).collect(), performance.now() - t0);
    break;
  case "csv_to_parquet": {
    const out = outPath("quarry", dataset);
    await csv().write.mode("overwrite").parquet(out);
    report([], performance.now() - t0, { output: out });
    break;
  }
  case "filter_join_groupby": {
    const rows = await pq()
      .filter(F.col("f0").gt(0.5))
      .join(spark.read.parquet(KEYS_PARQUET), "key")
      .groupBy("region")
      .agg(F.count("*").alias("n"), F.avg("f3").alias("avg_f3"))
      .collect();
    report(rows, performance.now() - t0);
    break;
  }
  case "window": {
    const w = Window.partitionBy("key").orderBy(F.col("f0").desc());
    const rows = await pq()
      .select("id", "key", "f0")
      .withColumn("rn", F.row_number().over(w))
      .filter(F.col("rn").le(3))
      .collect();
    report(rows, performance.now() - t0);
    break;
  }
  case "toarrow": {
    const table = await pq().select("f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7").toArrow();
    const innerMs = performance.now() - t0;
    report([arrowChecksumOf(table)], innerMs);
    break;
  }
  case "collect": {
    const rows = await pq().select("id", "key", "f0", "f1", "label").collect();
    const innerMs = performance.now() - t0;
    report([collectChecksumOf(rows)], innerMs);
    break;
  }
  case "spill": {
    // 100M distinct groups under a 1 GB memory limit: the aggregate has to spill.
    const rows = await pq()
      .groupBy("id")
      .agg(F.sum("f0").alias("s"))
      .agg(F.count("*").alias("n"), F.sum("s").alias("total"))
      .collect();
    report(rows, performance.now() - t0);
    break;
  }
  default:
    unsupported("quarry", workload);
}
await spark.stop();
