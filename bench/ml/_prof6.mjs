import { DuckDBInstance } from "@duckdb/node-api";
const size = process.argv[2] ?? "10m";
const inst = await DuckDBInstance.create(":memory:", { threads: "2" });
const conn = await inst.connect();
const file = `/work/wt-mlspeed/bench/data/ml_${size}.parquet`;
const cols = ["f0","f1","f2","f3","f4","f5","f6","f7","y"];
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
for (let rep = 0; rep < 2; rep++) {
let c0 = cpu(), t0 = performance.now();
await conn.run(`SELECT ${cols.map(c => `sum(${c})`).join(",")} FROM read_parquet('${file}')`);
console.log("agg", ((performance.now() - t0)/1000).toFixed(3), "cpu", (cpu() - c0).toFixed(3));
c0 = cpu(); t0 = performance.now();
const s = await conn.stream(`SELECT ${cols.join(",")} FROM read_parquet('${file}')`);
let n = 0; for (;;) { const ch = await s.fetchChunk(); if (!ch || ch.rowCount === 0) break; n += ch.rowCount; }
console.log("stream fetch only", n, ((performance.now() - t0)/1000).toFixed(3), "cpu", (cpu() - c0).toFixed(3));
}
