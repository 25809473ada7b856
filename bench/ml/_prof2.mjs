import { DuckDBInstance } from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
const size = process.argv[2] ?? "1m";
const inst = await DuckDBInstance.create(":memory:", { threads: "2" });
const conn = await inst.connect();
const file = `/work/wt-mlspeed/bench/data/ml_${size}.parquet`;
const cols = ["f0","f1","f2","f3","f4","f5","f6","f7","label"];
const cpu0 = process.cpuUsage();
let t = performance.now();
const lap = (what) => { const now = performance.now(); const c = process.cpuUsage(cpu0); console.log(what, ((now - t)/1000).toFixed(3), "cpu", ((c.user+c.system)/1e6).toFixed(2)); t = now; };
for (let rep = 0; rep < 2; rep++) {
const r = await conn.run(`SELECT ${cols.join(",")} FROM read_parquet('${file}')`); lap("materialize");
const n = r.rowCount, cc = r.chunkCount;
const dst = cols.map(() => new Float64Array(n)); lap("alloc");
let off = 0;
for (let i = 0; i < cc; i++) {
  const ch = duckdb.result_get_chunk(r.result, i);
  const m = duckdb.data_chunk_get_size(ch);
  for (let j = 0; j < cols.length; j++) {
    const v = duckdb.data_chunk_get_vector(ch, j);
    const data = duckdb.vector_get_data(v, m * 8);
    dst[j].set(new Float64Array(data.buffer, data.byteOffset, m), off);
  }
  off += m;
}
lap(`copy ${n} rows ${cc} chunks`);
off = 0;
for (let i = 0; i < cc; i++) {
  const ch = duckdb.result_get_chunk(r.result, i);
  const m = duckdb.data_chunk_get_size(ch);
  for (let j = 0; j < cols.length; j++) {
    const v = duckdb.data_chunk_get_vector(ch, j);
    const data = duckdb.vector_get_data(v, m * 8);
    dst[j].set(new Float64Array(data.buffer, data.byteOffset, m), off);
  }
  off += m;
}
lap(`copy again (touched)`);
}
const s = await conn.stream(`SELECT ${cols.join(",")} FROM read_parquet('${file}')`); lap("stream start");
let rows = 0, nch = 0;
for (;;) { const ch = await duckdb.fetch_chunk(s.result); if (!ch) break; const m = duckdb.data_chunk_get_size(ch); if (!m) break; rows += m; nch++; }
lap(`stream fetch ${rows} ${nch}`);
const c2 = await conn.run(`SELECT count(*) FROM read_parquet('${file}')`); lap("count");
