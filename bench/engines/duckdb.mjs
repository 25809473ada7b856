// Raw anchor: the same SQL through @duckdb/node-api, nothing else.
//   node engines/duckdb.mjs <workload> <dataset>
import { DuckDBInstance } from "@duckdb/node-api";
import { tableFromArrays } from "apache-arrow";
import { TMP_DIR, dataPath, ensureDir, outPath, parseArgs, report, workloadSql } from "../lib.mjs";
import { arrowChecksumOf, collectChecksumOf } from "./checksums.mjs";

const { workload, dataset } = parseArgs();
const t0 = performance.now();
const options = { threads: "2" };
if (workload === "spill") {
  options.memory_limit = "1GB";
  options.temp_directory = ensureDir(TMP_DIR);
}
const instance = await DuckDBInstance.create(":memory:", options);
const conn = await instance.connect();
const sql = workloadSql(workload, dataset);

async function rowsOf(query) {
  return (await conn.runAndReadAll(query)).getRowObjectsJS();
}

switch (workload) {
  case "groupby_csv":
  case "groupby_parquet":
  case "filter_join_groupby":
  case "window":
  case "spill": {
    const rows = await rowsOf(sql);
    report(rows, performance.now() - t0);
    break;
  }
  case "csv_to_parquet": {
    const out = outPath("duckdb", dataset);
    await conn.run(`COPY (${sql}) TO '${out}' (FORMAT parquet)`);
    report([], performance.now() - t0, { output: out });
    break;
  }
  case "toarrow": {
    // Copy the streamed chunks' Float64Array views into preallocated columns, then wrap them
    // in an Arrow table (no copy): the floor for `df.toArrow()`.
    const n = Number(
      (await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${dataPath(dataset, "parquet")}')`)).getRows()[0][0],
    );
    const cols = Array.from({ length: 8 }, () => new Float64Array(n));
    const res = await conn.stream(sql);
    let off = 0;
    for (;;) {
      const chunk = await res.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const m = chunk.rowCount;
      for (let j = 0; j < 8; j++) cols[j].set(chunk.getColumnVector(j).items.subarray(0, m), off);
      off += m;
    }
    const table = tableFromArrays(Object.fromEntries(cols.map((c, j) => [`f${j}`, c])));
    const innerMs = performance.now() - t0;
    report([arrowChecksumOf(table)], innerMs);
    break;
  }
  case "collect": {
    // The library's own row conversion: materialize everything, then getRowObjectsJS().
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS();
    const innerMs = performance.now() - t0;
    report([collectChecksumOf(rows)], innerMs);
    break;
  }
  default:
    throw new Error(`duckdb: unknown workload ${workload}`);
}
conn.closeSync();

