import { DuckDBInstance } from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
const size = process.argv[2] ?? "1m";
const inst = await DuckDBInstance.create(":memory:", { threads: "2" });
const conn = await inst.connect();
const file = `/work/wt-mlspeed/bench/data/ml_${size}.parquet`;
const cols = ["f0","f1","f2","f3","f4","f5","f6","f7","label"];
const r = await conn.run(`SELECT ${cols.join(",")} FROM read_parquet('${file}')`);
const n = r.rowCount, cc = r.chunkCount;
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
let c0 = cpu();
const chunks = [];
for (let i = 0; i < cc; i++) chunks.push(duckdb.result_get_chunk(r.result, i));
let c1 = cpu(); console.log("get_chunk", (c1 - c0).toFixed(3)); c0 = c1;
const vecs = [];
for (const ch of chunks) { const m = duckdb.data_chunk_get_size(ch); for (let j = 0; j < 9; j++) vecs.push([duckdb.data_chunk_get_vector(ch, j), m]); }
c1 = cpu(); console.log("get_vector", (c1 - c0).toFixed(3)); c0 = c1;
const datas = vecs.map(([v, m]) => duckdb.vector_get_data(v, m * 8));
c1 = cpu(); console.log("get_data", (c1 - c0).toFixed(3)); c0 = c1;
const dst = new Float64Array(n * 9); dst.fill(1);
c1 = cpu(); console.log("alloc+fill", (c1 - c0).toFixed(3)); c0 = c1;
let off = 0;
for (const d of datas) { const f = new Float64Array(d.buffer, d.byteOffset, d.byteLength / 8); dst.set(f, off); off += f.length; }
c1 = cpu(); console.log("set", (c1 - c0).toFixed(3)); c0 = c1;
