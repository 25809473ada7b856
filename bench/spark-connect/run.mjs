#!/usr/bin/env node
// Quarry's Spark Connect client against PySpark's (pyspark-client) on the same local server:
// round-trip latency of spark.range(10).count(), and fetching a 10M-row x 8-double result.
//
//   bash bench/spark-connect/setup.sh        # once: pyspark-client into .cache/pyspark-client-venv
//   npm run build
//   node bench/spark-connect/run.mjs [--url sc://host:port] [--rows 10000000] [--iterations 200] [--repeats 3] [--rounds 2]
//                                    [--baseline path/to/another/dist]
//
// --baseline runs a third client, Quarry built from another commit (its `dist` directory, inside a
// checkout with node_modules), in the same rounds, so a change is measured against its parent.
//
// Starts the repository's local server (scripts/spark/server.mjs, with a 6 GB heap unless
// QUARRY_SPARK_HEAP says otherwise) when nothing listens on the URL and stops it afterwards. Each
// client runs in its own process; rounds alternate the two clients.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : def; };
const url = arg("url", "sc://127.0.0.1:15002");
const rows = Number(arg("rows", 10_000_000));
const iterations = Number(arg("iterations", 200));
const repeats = Number(arg("repeats", 3));
const rounds = Number(arg("rounds", 2));
const python = arg("python", path.join(root, ".cache/pyspark-client-venv/bin/python"));
const baseline = arg("baseline", null) && path.resolve(arg("baseline", null));

const [host, port] = url.replace("sc://", "").split("/")[0].split(":");
const open = await new Promise((r) => { const s = net.connect(Number(port ?? 15002), host); s.once("connect", () => { s.destroy(); r(true); }); s.once("error", () => r(false)); });
let started = false;
if (!open) {
  // A 10M x 8 double result is collected in the driver before it is sent (about 1.5 GB at peak).
  const r = spawnSync(process.execPath, [path.join(root, "scripts/spark/server.mjs"), "start"], { stdio: "inherit", env: { QUARRY_SPARK_HEAP: "6g", ...process.env } });
  if (r.status !== 0) process.exit(1);
  started = true;
}

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

const q = { latency: [], arrow: [], collect: [], arrowCpu: [], collectCpu: [] };
const b = { latency: [], arrow: [], collect: [], arrowCpu: [], collectCpu: [] };
const p = { latency: [], arrow: [], pandas: [], arrowCpu: [], pandasCpu: [], collect: [], collectCpu: [] };
let pysparkVersion = null;
const hasPython = fs.existsSync(python);
try {
  for (let round = 0; round < rounds; round++) {
    const quarryWith = (into, env) => {
      const r = run(process.execPath, ["--expose-gc", "--max-old-space-size=12288", path.join(here, "quarry_connect.mjs"), url, String(iterations), String(rows), String(repeats)], env);
      into.latency.push(...r.latency_ms); into.arrow.push(...r.to_arrow_s); into.collect.push(...r.collect_s);
      into.arrowCpu.push(...(r.to_arrow_cpu_s ?? [])); into.collectCpu.push(...(r.collect_cpu_s ?? []));
    };
    const quarry = () => quarryWith(q, process.env);
    const pyspark = () => {
      if (!hasPython) return;
      const r = run(python, [path.join(here, "pyspark_connect.py"), url, String(iterations), String(rows), String(repeats)]);
      pysparkVersion = r.version;
      p.latency.push(...r.latency_ms); p.arrow.push(...r.to_arrow_s); p.pandas.push(...r.to_pandas_s);
      p.arrowCpu.push(...(r.to_arrow_cpu_s ?? [])); p.pandasCpu.push(...(r.to_pandas_cpu_s ?? []));
      p.collect.push(...(r.collect_s ?? [])); p.collectCpu.push(...(r.collect_cpu_s ?? []));
    };
    // The clients take turns at going first: a client that follows another meets a server still
    // cleaning up after it (its JVM collecting the last results), so a fixed order is a bias.
    const clients = baseline ? [quarry, () => quarryWith(b, { ...process.env, QUARRY_DIST: baseline }), pyspark] : [quarry, pyspark];
    const shift = round % clients.length;
    for (const client of [...clients.slice(shift), ...clients.slice(0, shift)]) client();
  }
} finally {
  if (started) spawnSync(process.execPath, [path.join(root, "scripts/spark/server.mjs"), "stop"], { stdio: "inherit" });
}

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => { const s = sorted(xs); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; };
const pct = (xs, k) => { const s = sorted(xs); return s.length ? s[Math.min(s.length - 1, Math.floor(k * s.length))] : NaN; };
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
const mrows = (secs) => f(rows / median(secs) / 1e6, 2);
const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : "n/a");

console.log(`\nSpark Connect client benchmark: ${url}, Node ${process.version}, pyspark-client ${pysparkVersion ?? "(not installed: bash bench/spark-connect/setup.sh)"}`);
console.log(`${rounds} rounds; latency: ${iterations} calls per round after 5 warm-up calls; fetch: ${rows.toLocaleString("en")} rows x 8 doubles, ${repeats} fetches per round, median\n`);
console.log("| measurement | Quarry | PySpark Connect | Quarry / PySpark |");
console.log("| --- | --- | --- | --- |");
console.log(`| range(10).count() latency, median (ms) | ${f(median(q.latency))} | ${f(median(p.latency))} | ${ratio(median(q.latency), median(p.latency))} (target <= 1.2x) |`);
console.log(`| range(10).count() latency, p95 (ms) | ${f(pct(q.latency, 0.95))} | ${f(pct(p.latency, 0.95))} | ${ratio(pct(q.latency, 0.95), pct(p.latency, 0.95))} |`);
console.log(`| fetch, Arrow table: Quarry toArrow() vs PySpark toArrow() (M rows/s) | ${mrows(q.arrow)} | ${mrows(p.arrow)} | ${ratio(median(p.arrow), median(q.arrow))} (target >= 1x) |`);
console.log(`| fetch, columnar: Quarry toArrow() vs PySpark toPandas() (M rows/s) | ${mrows(q.arrow)} | ${mrows(p.pandas)} | ${ratio(median(p.pandas), median(q.arrow))} (target >= 1x) |`);
console.log(`| fetch, host objects: Quarry collect() vs PySpark toPandas() (M rows/s) | ${mrows(q.collect)} | ${mrows(p.pandas)} | ${ratio(median(p.pandas), median(q.collect))} |`);
console.log(`| fetch, row objects: Quarry collect() vs PySpark collect() (M rows/s) | ${mrows(q.collect)} | ${mrows(p.collect)} | ${ratio(median(p.collect), median(q.collect))} |`);
console.log(`| fetch seconds, median: toArrow / collect vs toArrow / toPandas | ${f(median(q.arrow), 2)} / ${f(median(q.collect), 2)} | ${f(median(p.arrow), 2)} / ${f(median(p.pandas), 2)} | |`);
if (baseline) {
  console.log(`\nbaseline ${baseline} (same rounds): latency median ${f(median(b.latency))} ms; toArrow ${mrows(b.arrow)} M rows/s (PySpark / baseline ${ratio(median(p.arrow), median(b.arrow))}), ` +
    `collect ${mrows(b.collect)} M rows/s (PySpark toPandas / baseline ${ratio(median(p.pandas), median(b.collect))}); this build / baseline: toArrow ${ratio(median(b.arrow), median(q.arrow))}, collect ${ratio(median(b.collect), median(q.collect))}`);
}
// Client CPU per 1M rows: on a shared machine the client's CPU is taken from the server's, so it
// predicts the wall-clock ratio on a quiet machine better than wall time under load does.
const cpu = (xs) => median(xs) / (rows / 1e6);
console.log(`\nclient CPU s per 1M rows, median: Quarry toArrow ${f(cpu(q.arrowCpu), 3)}, collect ${f(cpu(q.collectCpu), 3)}; PySpark toArrow ${f(cpu(p.arrowCpu), 3)}, toPandas ${f(cpu(p.pandasCpu), 3)}` +
  (baseline ? `; baseline toArrow ${f(cpu(b.arrowCpu), 3)}, collect ${f(cpu(b.collectCpu), 3)}` : "") +
  `\nclient CPU ratios: Quarry / PySpark toArrow ${ratio(cpu(q.arrowCpu), cpu(p.arrowCpu))}, collect / toPandas ${ratio(cpu(q.collectCpu), cpu(p.pandasCpu))}` +
  (baseline ? `; this build / baseline toArrow ${ratio(cpu(q.arrowCpu), cpu(b.arrowCpu))}, collect ${ratio(cpu(q.collectCpu), cpu(b.collectCpu))}` : ""));
const list = (xs) => xs.map((x) => x.toFixed(2)).join(", ");
console.log(`\nfetch samples (s): Quarry toArrow [${list(q.arrow)}], collect [${list(q.collect)}]; PySpark toArrow [${list(p.arrow)}], toPandas [${list(p.pandas)}]` +
  (baseline ? `; baseline toArrow [${list(b.arrow)}], collect [${list(b.collect)}]` : ""));
