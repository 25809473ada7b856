// Checks a converted Parquet output (a file, or a directory of part files as Spark writes)
// with raw DuckDB and prints its checksum in the RESULT protocol. Not timed.
//   node engines/verify.mjs <path>
import { DuckDBInstance } from "@duckdb/node-api";
import { statSync } from "node:fs";
import { report } from "../lib.mjs";

const path = process.argv[2];
const src = statSync(path).isDirectory() ? `${path}/**/*.parquet` : path;
const conn = await (await DuckDBInstance.create(":memory:", { threads: "2" })).connect();
const rows = (
  await conn.runAndReadAll(
    `SELECT count(*) AS rows, sum(id) AS sum_id, count(DISTINCT key) AS keys, sum(f0) AS sum_f0,
       sum(f1) AS sum_f1, sum(f7) AS sum_f7, sum(label) AS sum_label FROM read_parquet('${src}')`,
  )
).getRowObjectsJS();
report(rows, 0);
conn.closeSync();
