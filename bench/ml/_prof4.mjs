import { DuckDBInstance } from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
const inst = await DuckDBInstance.create(":memory:", { threads: "2" });
const conn = await inst.connect();
const file = `/work/wt-mlspeed/bench/data/ml_1m.parquet`;
const r = await conn.run(`SELECT f0 FROM read_parquet('${file}')`);
const ch = duckdb.result_get_chunk(r.result, 0);
const v = duckdb.data_chunk_get_vector(ch, 0);
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
for (const bytes of [8, 2048*8]) {
  let c0 = cpu(); const t0 = performance.now();
  let s = 0;
  for (let i = 0; i < 20000; i++) { const d = duckdb.vector_get_data(v, bytes); s += d[0]; }
  console.log(bytes, "per call us cpu", ((cpu() - c0) / 20000 * 1e6).toFixed(2), "wall", ((performance.now()-t0)/20000*1000).toFixed(2));
}
const d1 = duckdb.vector_get_data(v, 16); const d2 = duckdb.vector_get_data(v, 16);
console.log("same buffer?", d1.buffer === d2.buffer, d1.byteOffset, d1.buffer.byteLength);
d1[0] = 77; console.log("aliases?", d2[0] === 77);
let c0 = cpu();
for (let i = 0; i < 2000; i++) duckdb.result_get_chunk(r.result, i % r.chunkCount);
console.log("get_chunk us", ((cpu() - c0) / 2000 * 1e6).toFixed(1));
