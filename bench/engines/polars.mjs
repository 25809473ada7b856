// nodejs-polars anchor, lazy API (scanCSV / scanParquet, collect at the end).
//   node engines/polars.mjs <workload> <dataset>
import pl from "nodejs-polars";
import { KEYS_PARQUET, dataPath, outPath, parseArgs, report, unsupported } from "../lib.mjs";

const { workload, dataset } = parseArgs();
const t0 = performance.now();
const csv = () => pl.scanCSV(dataPath(dataset, "csv"));
const pq = () => pl.scanParquet(dataPath(dataset, "parquet"));

const groupBy = (lf) =>
  lf.groupBy("key").agg(
    pl.len().alias("n"),
    pl.col("f0").mean().alias("avg_f0"),
    pl.col("f1").sum().alias("sum_f1"),
    pl.col("f2").max().alias("max_f2"),
  );

async function records(lf) {
  const df = await lf.collect();
  return df.toRecords();
}

switch (workload) {
  case "groupby_csv":
    report(await records(groupBy(csv())), performance.now() - t0);
    break;
  case "groupby_parquet":
    report(await records(groupBy(pq())), performance.now() - t0);
    break;
  case "csv_to_parquet": {
    const out = outPath("polars", dataset);
    await csv().sinkParquet(out).collect();
    report([], performance.now() - t0, { output: out });
    break;
  }
  case "filter_join_groupby": {
    const lf = pq()
      .filter(pl.col("f0").gt(0.5))
      .join(pl.scanParquet(KEYS_PARQUET), { on: "key", how: "inner" })
      .groupBy("region")
      .agg(pl.len().alias("n"), pl.col("f3").mean().alias("avg_f3"));
    report(await records(lf), performance.now() - t0);
    break;
  }
  case "window": {
    const lf = pq()
      .select("id", "key", "f0")
      .withColumns(pl.col("f0").rank("ordinal", true).over("key").alias("rn"))
      .filter(pl.col("rn").ltEq(3));
    report(await records(lf), performance.now() - t0);
    break;
  }
  default:
    unsupported("polars", workload);
}
