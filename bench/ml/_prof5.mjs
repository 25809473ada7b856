import { DuckDBInstance } from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
const size = process.argv[2] ?? "1m";
const threads = process.argv[3] ?? "2";
const inst = await DuckDBInstance.create(":memory:", { threads });
const conn = await inst.connect();
const file = `/work/wt-mlspeed/bench/data/ml_${size}.parquet`;
const cols = ["f0","f1","f2","f3","f4","f5","f6","f7","label"];
const N = size === "1m" ? 1e6 : 1e7;
const dst = cols.map(() => new Float64Array(N).fill(1));
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
for (let rep = 0; rep < 2; rep++) {
let c0 = cpu(), t0 = performance.now();
const s = await conn.stream(`SELECT ${cols.join(",")} FROM read_parquet('${file}')`);
let off = 0;
for (;;) {
  const ch = await duckdb.fetch_chunk(s.result); if (!ch) break;
  const m = duckdb.data_chunk_get_size(ch); if (!m) break;
  for (let j = 0; j < cols.length; j++) {
    const d = duckdb.vector_get_data(duckdb.data_chunk_get_vector(ch, j), m * 8);
    dst[j].set(new Float64Array(d.buffer, d.byteOffset, m), off);
  }
  off += m;
}
console.log("stream+copy", off, "wall", ((performance.now() - t0)/1000).toFixed(3), "cpu", (cpu() - c0).toFixed(3));
}
