// Quarry's Spark Connect client on the benchmarks of run.mjs (the same queries as
// pyspark_connect.py). Usage: node quarry_connect.mjs <sc://url> <latency-iterations> <rows> <repeats>
// Prints one JSON object: latency samples (ms) of spark.range(10).count(), and seconds per fetch
// of an 8-double-column result with toArrow() and with collect() (plain JS row objects).
// QUARRY_DIST points at another build of Quarry (run.mjs --baseline), to compare two versions side by side.
const { Session, F } = await import(process.env.QUARRY_DIST ? new URL(`file://${process.env.QUARRY_DIST}/index.js`).href : "../../dist/index.js");

const [url, iterations, rows, repeats] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const spark = await Session.builder().remote(url).getOrCreate();

for (let i = 0; i < 5; i++) await spark.range(10).count(); // warm-up
const latency = [];
for (let i = 0; i < iterations; i++) {
  const t0 = performance.now();
  const n = await spark.range(10).count();
  latency.push(performance.now() - t0);
  if (n !== 10) throw new Error(`count() gave ${n}`);
}

const df = spark.range(rows).select(...Array.from({ length: 8 }, (_, i) => F.col("id").multiply(i + 1).divide(F.lit(7.0)).alias(`c${i}`)));
// One untimed fetch first: the server compiles the query's code on its first run.
if ((await df.toArrow()).numRows !== rows) throw new Error("warm-up fetch");
global.gc?.();
const toArrow = [], collect = [], toArrowCpu = [], collectCpu = [];
// Client CPU (user + system, all threads) per fetch: the server shares the machine, so what the client takes decides its speed.
const cpuSince = (c0) => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
// All toArrow() fetches first, then all collect() fetches: a toArrow() right after a collect()
// would also pay for V8 cleaning up 2M row objects (even after gc(), about twice the client CPU),
// which says more about the order than about toArrow(). PySpark's script runs in the same order.
for (let r = 0; r < repeats; r++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let table = await df.toArrow();
  toArrow.push((performance.now() - t0) / 1000);
  toArrowCpu.push(cpuSince(c0));
  if (table.numRows !== rows) throw new Error(`toArrow() gave ${table.numRows} rows`);
  table = null;
  global.gc?.();
}
for (let r = 0; r < repeats; r++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let out = await df.collect();
  collect.push((performance.now() - t0) / 1000);
  collectCpu.push(cpuSince(c0));
  if (out.length !== rows || out[rows - 1].c7 !== ((rows - 1) * 8) / 7) throw new Error(`collect() gave ${out.length} rows, last ${JSON.stringify(out[rows - 1])}`);
  out = null;
  global.gc?.();
}
console.log(JSON.stringify({ version: process.version, latency_ms: latency, to_arrow_s: toArrow, collect_s: collect, to_arrow_cpu_s: toArrowCpu, collect_cpu_s: collectCpu }));
await spark.stop();
