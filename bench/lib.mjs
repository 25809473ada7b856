// Shared helpers of the benchmark scripts: data paths, the workload table, and the one-line
// result protocol between an engine script and the runner.
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const DATA_DIR = join(BENCH_DIR, "data");
export const OUT_DIR = join(DATA_DIR, "out");
export const TMP_DIR = join(DATA_DIR, "tmp");

/** Data set name ("rows10m", "rows1m", "rows100m") -> file path of the given format. */
export function dataPath(dataset, format) {
  return join(DATA_DIR, `${dataset}.${format}`);
}
export const KEYS_CSV = join(DATA_DIR, "keys.csv");
export const KEYS_PARQUET = join(DATA_DIR, "keys.parquet");

/** Output path of a conversion, one per engine, so engines never read each other's files. */
export function outPath(engine, dataset) {
  mkdirSync(OUT_DIR, { recursive: true });
  return join(OUT_DIR, `${engine}_${dataset}.parquet`);
}

export function ensureDir(p) {
  mkdirSync(p, { recursive: true });
  return resolve(p);
}

export function exists(p) {
  return existsSync(p);
}

/**
 * The SQL every engine implements (the raw DuckDB engine runs it as is). `src(fmt)` is the
 * scan of the rows file; `keys` the dimension table.
 */
export function workloadSql(workload, dataset) {
  const csv = `read_csv('${dataPath(dataset, "csv")}', header = true)`;
  const pq = `read_parquet('${dataPath(dataset, "parquet")}')`;
  const keys = `read_parquet('${KEYS_PARQUET}')`;
  const groupBy = (src) =>
    `SELECT key, count(*) AS n, avg(f0) AS avg_f0, sum(f1) AS sum_f1, max(f2) AS max_f2 FROM ${src} GROUP BY key`;
  switch (workload) {
    case "groupby_csv":
      return groupBy(csv);
    case "groupby_parquet":
      return groupBy(pq);
    case "csv_to_parquet":
      return `SELECT * FROM ${csv}`;
    case "filter_join_groupby":
      return `SELECT k.region AS region, count(*) AS n, avg(r.f3) AS avg_f3 FROM ${pq} r JOIN ${keys} k ON r.key = k.key WHERE r.f0 > 0.5 GROUP BY k.region`;
    case "window":
      return `SELECT id, key, f0, rn FROM (SELECT id, key, f0, row_number() OVER (PARTITION BY key ORDER BY f0 DESC) AS rn FROM ${pq}) WHERE rn <= 3`;
    case "toarrow":
      return `SELECT f0, f1, f2, f3, f4, f5, f6, f7 FROM ${pq}`;
    case "collect":
      return `SELECT id, key, f0, f1, label FROM ${pq}`;
    case "spill":
      return `SELECT count(*) AS n, sum(s) AS total FROM (SELECT id, sum(f0) AS s FROM ${pq} GROUP BY id)`;
    default:
      throw new Error(`unknown workload '${workload}'`);
  }
}

/** Parses `node engines/X.mjs <workload> <dataset>`. */
export function parseArgs(argv = process.argv.slice(2)) {
  const [workload, dataset] = argv;
  if (!workload || !dataset) {
    console.error("usage: node engines/<engine>.mjs <workload> <dataset>   e.g. groupby_csv rows10m");
    process.exit(2);
  }
  return { workload, dataset };
}

/**
 * The last line an engine script prints: `RESULT {"rows": [...], "innerMs": ..., "maxRSS": ...}`.
 * `rows` are small plain objects the runner turns into a checksum; `innerMs` is the time spent
 * from the script's start (after imports) to having the result; maxRSS is in KiB.
 */
export function report(rows, innerMs, extra = {}) {
  const maxRSS = process.resourceUsage().maxRSS;
  const norm = rows.map((r) => {
    const o = {};
    for (const [k, v] of Object.entries(r)) o[k] = typeof v === "bigint" ? Number(v) : v;
    return o;
  });
  process.stdout.write(`RESULT ${JSON.stringify({ rows: norm, innerMs, maxRSS, ...extra })}\n`);
}

export function unsupported(engine, workload) {
  process.stdout.write(`RESULT ${JSON.stringify({ unsupported: `${engine} does not run ${workload}` })}\n`);
  process.exit(0);
}
