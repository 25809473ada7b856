// Generates the benchmark data with raw DuckDB SQL. Values are hash-based, so every run
// (and every machine, with the same DuckDB version) produces the same files.
//
//   node bench/gen.mjs            rows10m.{csv,parquet}, rows1m.{csv,parquet,arrow}, keys.{csv,parquet}
//   node bench/gen.mjs --big      also rows100m.parquet (~7 GB; used by the spill test)
//   node bench/gen.mjs --force    regenerate files that already exist
//
// rows: id INTEGER (0..n-1), key VARCHAR ('k00'..'k99'), f0..f7 DOUBLE, label INTEGER (0/1)
//   f0 uniform [0,1) (the join workload keeps f0 > 0.5), f1 uniform [-100,100),
//   f2 uniform [0,1000), f3 uniform [0,1), f4..f7 uniform [-1,1)
// keys: key VARCHAR, region VARCHAR (5 regions), weight DOUBLE
import { DuckDBInstance } from "@duckdb/node-api";
import { tableFromArrays, tableToIPC, vectorFromArray, Utf8 } from "apache-arrow";
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { DATA_DIR, KEYS_CSV, KEYS_PARQUET, TMP_DIR, dataPath } from "./lib.mjs";

const args = new Set(process.argv.slice(2));
const force = args.has("--force");
const big = args.has("--big");
mkdirSync(DATA_DIR, { recursive: true });
mkdirSync(TMP_DIR, { recursive: true });

const instance = await DuckDBInstance.create(":memory:", {
  threads: "2",
  memory_limit: "4GB",
  temp_directory: TMP_DIR,
});
const conn = await instance.connect();

const U = (seed) => `((hash(i, ${seed}) >> 11)::DOUBLE / 9007199254740992.0)`;
function rowsSql(n) {
  return `SELECT
    i::INTEGER AS id,
    'k' || lpad((hash(i, 100) % 100)::VARCHAR, 2, '0') AS key,
    ${U(0)} AS f0,
    ${U(1)} * 200 - 100 AS f1,
    ${U(2)} * 1000 AS f2,
    ${U(3)} AS f3,
    ${U(4)} * 2 - 1 AS f4,
    ${U(5)} * 2 - 1 AS f5,
    ${U(6)} * 2 - 1 AS f6,
    ${U(7)} * 2 - 1 AS f7,
    (hash(i, 200) % 2)::INTEGER AS label
  FROM range(${n}) t(i)`;
}

const REGIONS = ["north", "south", "east", "west", "central"];
const keysSql = `SELECT
    'k' || lpad(i::VARCHAR, 2, '0') AS key,
    (['${REGIONS.join("','")}'])[(i * 7 % 5) + 1] AS region,
    1 + i / 100.0 AS weight
  FROM range(100) t(i)`;

function mib(p) {
  return `${(statSync(p).size / 2 ** 20).toFixed(0)} MiB`;
}

/** Writes `query` to `path` (format csv or parquet) via a temp file renamed at the end. */
async function copyTo(query, path, format) {
  if (existsSync(path) && !force) {
    console.log(`reuse ${path} (${mib(path)})`);
    return;
  }
  const tmp = `${path}.tmp`;
  rmSync(tmp, { force: true });
  const t0 = performance.now();
  const opts = format === "csv" ? "FORMAT csv, HEADER true" : "FORMAT parquet";
  await conn.run(`COPY (${query}) TO '${tmp}' (${opts})`);
  renameSync(tmp, path);
  console.log(`wrote ${path} (${mib(path)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** rows1m.arrow: Arrow IPC file for arquero, built with apache-arrow from DuckDB's chunks. */
async function writeArrow(n, path) {
  if (existsSync(path) && !force) {
    console.log(`reuse ${path} (${mib(path)})`);
    return;
  }
  const t0 = performance.now();
  const id = new Int32Array(n);
  const label = new Int32Array(n);
  const keys = new Array(n);
  const f = Array.from({ length: 8 }, () => new Float64Array(n));
  const res = await conn.stream(`SELECT * FROM read_parquet('${dataPath("rows1m", "parquet")}') ORDER BY id`);
  let off = 0;
  for (;;) {
    const chunk = await res.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const m = chunk.rowCount;
    id.set(chunk.getColumnVector(0).items.subarray(0, m), off);
    const kv = chunk.getColumnVector(1);
    for (let i = 0; i < m; i++) keys[off + i] = kv.getItem(i);
    for (let j = 0; j < 8; j++) f[j].set(chunk.getColumnVector(2 + j).items.subarray(0, m), off);
    label.set(chunk.getColumnVector(10).items.subarray(0, m), off);
    off += m;
  }
  if (off !== n) throw new Error(`expected ${n} rows, read ${off}`);
  const cols = { id, key: vectorFromArray(keys, new Utf8()) };
  for (let j = 0; j < 8; j++) cols[`f${j}`] = f[j];
  cols.label = label;
  const table = tableFromArrays(cols);
  writeFileSync(`${path}.tmp`, tableToIPC(table, "file"));
  renameSync(`${path}.tmp`, path);
  console.log(`wrote ${path} (${mib(path)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

await copyTo(keysSql, KEYS_PARQUET, "parquet");
await copyTo(keysSql, KEYS_CSV, "csv");
await copyTo(rowsSql(1_000_000), dataPath("rows1m", "parquet"), "parquet");
await copyTo(`SELECT * FROM read_parquet('${dataPath("rows1m", "parquet")}')`, dataPath("rows1m", "csv"), "csv");
await writeArrow(1_000_000, dataPath("rows1m", "arrow"));
await copyTo(rowsSql(10_000_000), dataPath("rows10m", "parquet"), "parquet");
await copyTo(`SELECT * FROM read_parquet('${dataPath("rows10m", "parquet")}')`, dataPath("rows10m", "csv"), "csv");
if (big) {
  await conn.run("SET preserve_insertion_order = false");
  await copyTo(rowsSql(100_000_000), dataPath("rows100m", "parquet"), "parquet");
}
conn.closeSync();
instance.closeSync?.();
