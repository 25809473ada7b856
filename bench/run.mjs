// Benchmark runner: each workload x engine runs as its own process, N rounds, engines
// interleaved within each round (and their order rotated) so machine noise hits all alike.
//
//   node bench/run.mjs [--runs 3] [--only groupby_csv,window,...] [--engines quarry,duckdb,...]
//                      [--small] [--write]
//
//   --runs N     rounds (default 3); spill_100m always runs once
//   --only       comma-separated workload names (default: every workload whose data exists)
//   --engines    comma-separated engines (default: quarry,duckdb,polars,arquero,pyspark,naive)
//   --small      run the 10M-row workloads on the 1M-row head instead (a quick smoke test)
//   --write      also write bench/RESULTS.md
//
// Wall time is measured here around the whole process (start-up included); "inner" is what
// the script reports from its own start to having the result; max RSS comes from
// /usr/bin/time (%M) when present, else from the script (process.resourceUsage().maxRSS;
// PySpark reports its Python driver plus the JVM's VmHWM).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { BENCH_DIR, DATA_DIR, dataPath } from "./lib.mjs";

// ---------------------------------------------------------------- options
function parseCli(argv) {
  const o = { runs: 3, only: null, engines: null, small: false, write: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--runs") o.runs = Math.max(1, Number.parseInt(next(), 10));
    else if (a.startsWith("--runs=")) o.runs = Math.max(1, Number.parseInt(a.slice(7), 10));
    else if (a === "--only") o.only = next().split(",").filter(Boolean);
    else if (a.startsWith("--only=")) o.only = a.slice(7).split(",").filter(Boolean);
    else if (a === "--engines") o.engines = next().split(",").filter(Boolean);
    else if (a.startsWith("--engines=")) o.engines = a.slice(10).split(",").filter(Boolean);
    else if (a === "--small") o.small = true;
    else if (a === "--write") o.write = true;
    else if (a === "--help" || a === "-h") {
      console.log(readFileSync(new URL(import.meta.url), "utf8").split("\n").slice(0, 17).join("\n"));
      process.exit(0);
    } else throw new Error(`unknown option '${a}' (see --help)`);
  }
  if (!Number.isFinite(o.runs)) throw new Error("--runs needs a number");
  return o;
}
const opts = parseCli(process.argv.slice(2));

// ---------------------------------------------------------------- workloads
const MAIN = ["quarry", "duckdb", "polars", "pyspark"];
const WITH_ARQUERO = ["quarry", "duckdb", "polars", "arquero", "pyspark"];
const big = opts.small ? "rows1m" : "rows10m";
/**
 * name -> { base: workload the engine scripts know, dataset, engines, metric, needs }
 * metric: which time the targets use ("wall" for whole-process workloads, "inner" for the
 * extraction micro-workloads whose process start-up is not what they measure).
 */
const WORKLOADS = {
  groupby_csv: { base: "groupby_csv", dataset: big, engines: MAIN, metric: "wall", needs: ["csv"] },
  groupby_parquet: { base: "groupby_parquet", dataset: big, engines: MAIN, metric: "wall", needs: ["parquet"] },
  csv_to_parquet: { base: "csv_to_parquet", dataset: big, engines: MAIN, metric: "wall", needs: ["csv"] },
  filter_join_groupby: { base: "filter_join_groupby", dataset: big, engines: MAIN, metric: "wall", needs: ["parquet"] },
  window: { base: "window", dataset: big, engines: MAIN, metric: "wall", needs: ["parquet"] },
  groupby_csv_1m: { base: "groupby_csv", dataset: "rows1m", engines: WITH_ARQUERO, metric: "wall", needs: ["csv"] },
  groupby_parquet_1m: { base: "groupby_parquet", dataset: "rows1m", engines: WITH_ARQUERO, metric: "wall", needs: ["parquet", "arrow"] },
  filter_join_groupby_1m: { base: "filter_join_groupby", dataset: "rows1m", engines: WITH_ARQUERO, metric: "wall", needs: ["parquet", "arrow"] },
  window_1m: { base: "window", dataset: "rows1m", engines: WITH_ARQUERO, metric: "wall", needs: ["parquet", "arrow"] },
  toarrow_10m: { base: "toarrow", dataset: big, engines: ["quarry", "duckdb"], metric: "inner", needs: ["parquet"] },
  collect_1m: { base: "collect", dataset: "rows1m", engines: ["quarry", "duckdb", "naive"], metric: "inner", needs: ["parquet"] },
  spill_100m: { base: "spill", dataset: "rows100m", engines: ["quarry", "duckdb"], metric: "wall", needs: ["parquet"], once: true },
};
const ENGINE_LABEL = {
  quarry: "quarry",
  duckdb: "duckdb (raw node-api)",
  polars: "nodejs-polars (lazy)",
  arquero: "arquero",
  pyspark: "pyspark local[2]",
  naive: "naive row-by-row",
};
const ENGINE_LABEL_BY_WORKLOAD = {
  groupby_parquet: { arquero: "arquero (reads Arrow IPC)" },
  filter_join_groupby: { arquero: "arquero (reads Arrow IPC)" },
  window: { arquero: "arquero (reads Arrow IPC)" },
  toarrow: { duckdb: "duckdb chunks -> Float64Array" },
  collect: { duckdb: "duckdb getRowObjectsJS()" },
};

const PYTHON = join(BENCH_DIR, ".venv", "bin", "python");
const QUARRY_DIST = join(BENCH_DIR, "..", "dist", "index.js");
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const LOG_DIR = join(DATA_DIR, "logs");
mkdirSync(LOG_DIR, { recursive: true });

function engineCommand(engine, base, dataset) {
  if (engine === "pyspark") return [PYTHON, join(BENCH_DIR, "engines", "pyspark_engine.py"), base, dataset];
  return [process.execPath, join(BENCH_DIR, "engines", `${engine}.mjs`), base, dataset];
}

function missingData(w) {
  const missing = w.needs.map((fmt) => dataPath(w.dataset, fmt)).filter((p) => !existsSync(p));
  return missing;
}

// ---------------------------------------------------------------- running one process
/** Runs one engine process; resolves to { ok, wallMs, innerMs, rssKiB, rows, output, error }. */
function runOnce(engine, w, round) {
  const cmd = engineCommand(engine, w.base, w.dataset);
  const timeFile = join(LOG_DIR, `.time-${process.pid}`);
  const argv = TIME ? [TIME, "-f", "%M", "-o", timeFile, ...cmd] : cmd;
  const logFile = join(LOG_DIR, `${w.name}.${engine}.${round}.log`);
  const env = { ...process.env, POLARS_MAX_THREADS: "2", PYSPARK_PYTHON: PYTHON };
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { cwd: BENCH_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const limit = setTimeout(() => child.kill("SIGKILL"), 60 * 60 * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(limit);
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      writeFileSync(logFile, `$ ${cmd.join(" ")}\nexit ${code} ${signal ?? ""}\n--- stdout\n${out}\n--- stderr\n${err}`);
      let rssKiB = null;
      if (TIME && existsSync(timeFile)) {
        const lines = readFileSync(timeFile, "utf8").trim().split("\n");
        const v = Number.parseInt(lines[lines.length - 1], 10);
        if (Number.isFinite(v)) rssKiB = v;
        rmSync(timeFile, { force: true });
      }
      const line = out.split("\n").reverse().find((l) => l.startsWith("RESULT "));
      let result = null;
      try {
        result = line ? JSON.parse(line.slice(7)) : null;
      } catch {
        result = null;
      }
      if (result?.unsupported) return resolve({ ok: false, unsupported: true, error: result.unsupported });
      if (code !== 0 || !result) {
        const lines = (err || out).trim().split("\n").filter(Boolean);
        const errLine = lines.find((l) => /^\s*(\w*Error\b|Error \[|Exception|Traceback|\w+Exception:)/.test(l));
        const tail = errLine ? errLine.trim() : lines.slice(-3).join(" | ");
        return resolve({ ok: false, wallMs, error: `exit ${code ?? signal}: ${tail.slice(0, 300)} (log: ${logFile})` });
      }
      // /usr/bin/time sees the process it started (and children it reaped); the script's own
      // number covers a JVM that outlives it (PySpark). Take the larger.
      const rss = Math.max(rssKiB ?? 0, result.maxRSS ?? 0) || null;
      resolve({ ok: true, wallMs, innerMs: result.innerMs, rssKiB: rss, rows: result.rows, output: result.output, extra: result });
    });
  });
}

// ---------------------------------------------------------------- checksums
const KEYS_OF = {
  groupby_csv: ["key"],
  groupby_parquet: ["key"],
  filter_join_groupby: ["region"],
  window: ["key", "rn"],
  toarrow: [],
  collect: [],
  spill: [],
  csv_to_parquet: [],
};

/** Rows in a canonical order with plain values. */
function canonical(base, rows) {
  const keys = KEYS_OF[base] ?? [];
  const norm = rows.map((r) => {
    const o = {};
    for (const k of Object.keys(r).sort()) o[k] = typeof r[k] === "string" || r[k] === null ? r[k] : Number(r[k]);
    return o;
  });
  norm.sort((a, b) => {
    for (const k of keys) {
      if (a[k] < b[k]) return -1;
      if (a[k] > b[k]) return 1;
    }
    return 0;
  });
  return norm;
}

/** Short display checksum: rows and the sum of every numeric value at 6 significant digits. */
function displayChecksum(rows) {
  let total = 0;
  for (const r of rows) for (const v of Object.values(r)) if (typeof v === "number") total += v;
  return `${rows.length} rows, Σ=${Number(total.toPrecision(6))}`;
}

/** Compares two canonical row sets; numbers within a relative 1e-9. Returns null or a reason. */
function disagreement(a, b) {
  if (a.length !== b.length) return `${a.length} vs ${b.length} rows`;
  for (let i = 0; i < a.length; i++) {
    const ka = Object.keys(a[i]);
    const kb = Object.keys(b[i]);
    if (ka.join() !== kb.join()) return `columns ${ka.join()} vs ${kb.join()}`;
    for (const k of ka) {
      const x = a[i][k];
      const y = b[i][k];
      if (typeof x === "number" && typeof y === "number") {
        if (Math.abs(x - y) > 1e-9 * Math.max(1, Math.abs(x), Math.abs(y))) return `row ${i} ${k}: ${x} vs ${y}`;
      } else if (x !== y) return `row ${i} ${k}: ${x} vs ${y}`;
    }
  }
  return null;
}

// ---------------------------------------------------------------- main loop
const selected = (opts.only ?? Object.keys(WORKLOADS)).map((name) => {
  if (!WORKLOADS[name]) throw new Error(`unknown workload '${name}'; known: ${Object.keys(WORKLOADS).join(", ")}`);
  return { name, ...WORKLOADS[name] };
});
const engineFilter = opts.engines ?? Object.keys(ENGINE_LABEL);
for (const e of engineFilter) if (!ENGINE_LABEL[e]) throw new Error(`unknown engine '${e}'; known: ${Object.keys(ENGINE_LABEL).join(", ")}`);

const notes = [];
const plan = [];
for (const w of selected) {
  const missing = missingData(w);
  if (missing.length) {
    const hint = w.dataset === "rows100m" ? "node bench/gen.mjs --big" : "node bench/gen.mjs";
    if (opts.only || w.dataset !== "rows100m") notes.push(`${w.name}: skipped, missing ${missing.join(", ")} (run \`${hint}\`)`);
    continue;
  }
  let engines = w.engines.filter((e) => engineFilter.includes(e));
  if (engines.includes("pyspark") && !existsSync(PYTHON)) {
    notes.push(`${w.name}: pyspark skipped, no bench/.venv (run bench/setup-pyspark.sh)`);
    engines = engines.filter((e) => e !== "pyspark");
  }
  if (engines.includes("quarry") && !existsSync(QUARRY_DIST)) {
    notes.push(`${w.name}: quarry skipped, the library is not built (${QUARRY_DIST} missing: run \`npm run build\` in the repo root)`);
    engines = engines.filter((e) => e !== "quarry");
  }
  if (engines.length) plan.push({ ...w, engines });
}

const results = new Map(); // `${workload}|${engine}` -> runs[]
const key = (w, e) => `${w}|${e}`;
const started = new Date();
const loadAtStart = loadavg();
for (let round = 1; round <= opts.runs; round++) {
  for (const w of plan) {
    if (w.once && round > 1) continue;
    const rot = (round - 1) % w.engines.length;
    const order = [...w.engines.slice(rot), ...w.engines.slice(0, rot)];
    for (const e of order) {
      const prev = results.get(key(w.name, e)) ?? [];
      if (prev.some((r) => r.unsupported)) continue;
      process.stderr.write(`round ${round}/${opts.runs}  ${w.name.padEnd(24)} ${e.padEnd(8)} `);
      const r = await runOnce(e, w, round);
      process.stderr.write(
        r.ok
          ? `${(r.wallMs / 1000).toFixed(2)} s  ${r.rssKiB ? (r.rssKiB / 1024).toFixed(0) + " MiB" : ""}\n`
          : `${r.unsupported ? "n/a" : "FAILED"}: ${r.error}\n`,
      );
      if (r.ok && r.output && round === 1) {
        const v = await runOnce("verify", { name: `${w.name}.verify`, base: r.output, dataset: "", needs: [] }, round);
        r.rows = v.ok ? v.rows : [];
        if (!v.ok) r.verifyError = v.error;
      }
      prev.push(r);
      results.set(key(w.name, e), prev);
    }
  }
}

// ---------------------------------------------------------------- summarising
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtS = (ms) => (ms == null ? "" : (ms / 1000).toFixed(2));
const fmtX = (x) => (x == null || !Number.isFinite(x) ? "" : `${x.toFixed(2)}x`);

const summary = []; // per workload: { w, rows: [{engine, wall, inner, rss, check, ...}] }
for (const w of plan) {
  const rowsOut = [];
  for (const e of w.engines) {
    const runs = results.get(key(w.name, e)) ?? [];
    if (runs.some((r) => r.unsupported)) continue;
    const ok = runs.filter((r) => r.ok);
    const failed = runs.filter((r) => !r.ok);
    rowsOut.push({
      engine: e,
      label: ENGINE_LABEL_BY_WORKLOAD[w.base]?.[e] ?? ENGINE_LABEL[e],
      n: ok.length,
      wall: ok.length ? median(ok.map((r) => r.wallMs)) : null,
      best: ok.length ? Math.min(...ok.map((r) => r.wallMs)) : null,
      inner: ok.length ? median(ok.map((r) => r.innerMs)) : null,
      rss: ok.length ? Math.max(...ok.map((r) => r.rssKiB ?? 0)) || null : null,
      canon: ok.length ? canonical(w.base, ok[0].rows ?? []) : null,
      error: failed.length ? failed[0].error : ok.find((r) => r.verifyError)?.verifyError ?? null,
      sessionMs: ok.length && ok[0].extra?.sessionMs != null ? median(ok.map((r) => r.extra.sessionMs)) : null,
    });
  }
  // Reference for the checksum: raw DuckDB, else the first engine that finished.
  const ref = rowsOut.find((r) => r.engine === "duckdb" && r.canon) ?? rowsOut.find((r) => r.canon);
  const byEngine = Object.fromEntries(rowsOut.map((r) => [r.engine, r]));
  for (const r of rowsOut) {
    if (!r.canon) r.check = "failed";
    else if (r === ref) r.check = `ref: ${displayChecksum(r.canon)}`;
    else {
      const why = disagreement(ref.canon, r.canon);
      r.check = why ? `DIFFERS (${why})` : "agrees";
    }
    const duck = byEngine.duckdb;
    r.vsDuckWall = duck?.wall && r.wall ? r.wall / duck.wall : null;
    r.vsDuckInner = duck?.inner && r.inner ? r.inner / duck.inner : null;
    const q = byEngine.quarry;
    r.quarryOver = q?.wall && r.wall && r.engine !== "quarry" ? q.wall / r.wall : null;
  }
  summary.push({ w, rows: rowsOut, byEngine });
}

// ---------------------------------------------------------------- targets
const targets = [];
function target(name, met, detail) {
  targets.push({ name, met, detail });
}
for (const { w, byEngine } of summary) {
  const q = byEngine.quarry;
  const d = byEngine.duckdb;
  const isMain = ["groupby_csv", "groupby_parquet", "csv_to_parquet", "filter_join_groupby", "window"].includes(w.name);
  if (isMain) {
    const ratio = q?.wall && d?.wall ? q.wall / d.wall : null;
    target(`${w.name}: quarry/duckdb wall <= 1.05`, ratio != null ? ratio <= 1.05 : null,
      ratio != null ? `${ratio.toFixed(3)}` : q?.error ?? "not measured");
  }
  if (w.name === "toarrow_10m") {
    const ratio = q?.inner && d?.inner ? q.inner / d.inner : null;
    target("toarrow_10m: quarry toArrow() <= 2x raw chunk copy (inner)", ratio != null ? ratio <= 2 : null,
      ratio != null ? `${ratio.toFixed(2)}x (${fmtS(q.inner)} s vs ${fmtS(d.inner)} s)` : q?.error ?? "not measured");
  }
  if (w.name === "collect_1m") {
    const ratio = q?.inner && d?.inner ? q.inner / d.inner : null;
    target("collect_1m: quarry collect() faster than getRowObjectsJS() (inner)", ratio != null ? ratio < 1 : null,
      ratio != null ? `${ratio.toFixed(2)}x (${fmtS(q.inner)} s vs ${fmtS(d.inner)} s)` : q?.error ?? "not measured");
  }
  if (w.name === "groupby_csv" && !opts.small) {
    const mb = q?.rss ? (q.rss * 1024) / 1e6 : null;
    target("groupby_csv (10M): quarry peak RSS < 400 MB", mb != null ? mb < 400 : null,
      mb != null ? `${mb.toFixed(0)} MB (${(q.rss / 1024).toFixed(0)} MiB)` : q?.error ?? "not measured");
  }
  if (w.name === "spill_100m") {
    target("spill_100m: quarry group-by, memory_limit 1GB, completes", q ? q.canon != null && !String(q.check).startsWith("DIFFERS") : null,
      q?.canon ? `${fmtS(q.wall)} s, ${q.rss ? (q.rss / 1024).toFixed(0) + " MiB" : ""} ${q.check}` : q?.error ?? "not measured");
  }
}
for (const { w, rows } of summary) {
  const bad = rows.filter((r) => String(r.check).startsWith("DIFFERS"));
  if (bad.length) target(`${w.name}: engines agree`, false, bad.map((r) => `${r.engine} ${r.check}`).join("; "));
}

// ---------------------------------------------------------------- output
function table() {
  const lines = [];
  lines.push("| workload | engine | wall s (median) | wall s (best) | inner s (median) | max RSS MiB | wall vs duckdb | inner vs duckdb | quarry ÷ engine | checksum |");
  lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const { w, rows } of summary) {
    const wname = `${w.name}${opts.small && !w.name.endsWith("_1m") && w.dataset === "rows1m" ? " [rows1m]" : ""}`;
    for (const r of rows) {
      const checkCell = r.error && !r.canon ? `FAILED: ${r.error.replace(/\|/g, "/")}` : r.check + (r.error ? ` (also: ${r.error.replace(/\|/g, "/")})` : "");
      lines.push(
        `| ${wname} | ${r.label} | ${fmtS(r.wall)} | ${fmtS(r.best)} | ${fmtS(r.inner)} | ${r.rss ? (r.rss / 1024).toFixed(0) : ""} | ${fmtX(r.vsDuckWall)} | ${fmtX(r.vsDuckInner)} | ${fmtX(r.quarryOver)} | ${checkCell} |`,
      );
    }
  }
  return lines.join("\n");
}
function targetList() {
  if (!targets.length) return "(no targets measured in this run)";
  return targets
    .map((t) => `- ${t.met === true ? "MET" : t.met === false ? "MISSED" : "NOT MEASURED"}: ${t.name} — ${t.detail}`)
    .join("\n");
}

const tableMd = table();
const targetsMd = targetList();
console.log(`\n${tableMd}\n\nTargets:\n${targetsMd}`);
if (notes.length) console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join("\n")}`);
const pysparkSession = summary.flatMap((s) => s.rows).filter((r) => r.engine === "pyspark" && r.sessionMs != null);

mkdirSync(join(DATA_DIR, "results"), { recursive: true });
writeFileSync(
  join(DATA_DIR, "results", `${started.toISOString().replace(/[:.]/g, "-")}.json`),
  JSON.stringify({ started, opts, summary: summary.map((s) => ({ workload: s.w.name, dataset: s.w.dataset, rows: s.rows.map(({ canon: _canon, ...r }) => r) })), targets }, null, 2),
);

if (opts.write) {
  const cpuModel = (readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? cpus()[0]?.model ?? "unknown";
  const mem = (readFileSync("/proc/meminfo", "utf8").match(/^MemTotal:\s*(\d+)/m) ?? [])[1];
  const cmdLine = `node bench/run.mjs ${process.argv.slice(2).join(" ")}`.trim();
  const md = `# Quarry benchmark results

Generated by \`bench/run.mjs\`; see \`bench/README.md\` for what each workload does.

- Date: ${started.toISOString()}
- Command: \`${cmdLine}\`
- Load average (1/5/15 min) at start: ${loadAtStart}; at end: ${loadavg()} (other work on the machine makes numbers noisy)
- Machine: ${cpus().length} cores (nproc), ${cpuModel}, ${mem ? (Number(mem) / 2 ** 20).toFixed(1) + " GiB" : "?"} RAM
- Node ${process.version}; DuckDB via @duckdb/node-api 1.5.6-r.1; nodejs-polars 0.25.2; arquero 8.0.3; ${pysparkVersion()}
- Each cell: median of ${opts.runs} run(s) of a whole separate process (spill_100m: one run); engines interleaved within each round.
- wall: whole process, start-up included. inner: from the script's start (after imports) to
  having the result, session/connection start included${pysparkSession.length ? ` (PySpark's session alone takes ~${fmtS(median(pysparkSession.map((r) => r.sessionMs)))} s)` : ""}.
  max RSS: largest over the runs (${TIME ? "/usr/bin/time %M" : "process.resourceUsage().maxRSS"}; PySpark: driver + JVM).
- Ratios: "wall vs duckdb" = engine ÷ raw DuckDB (lower is faster); "quarry ÷ engine" < 1 means Quarry is faster.
- Targets for the extraction workloads use inner time; the others use wall time.

${tableMd}

## Targets

${targetsMd}
${notes.length ? `\n## Notes\n\n${notes.map((n) => `- ${n}`).join("\n")}\n` : ""}`;
  writeFileSync(join(BENCH_DIR, "RESULTS.md"), md);
  console.log(`\nwrote ${join(BENCH_DIR, "RESULTS.md")}`);
}

function loadavg() {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}

function pysparkVersion() {
  try {
    const dirs = readFileSync(join(BENCH_DIR, ".venv", "pyvenv.cfg"), "utf8");
    const site = dirs.match(/version\s*=\s*(\d+\.\d+)/);
    const py = site ? site[1] : null;
    const meta = py ? join(BENCH_DIR, ".venv", "lib", `python${py}`, "site-packages") : null;
    if (meta && existsSync(meta)) {
      const m = readFileSync(join(meta, "pyspark", "version.py"), "utf8").match(/__version__[^=]*=\s*["']([^"']+)["']/);
      if (m) return `PySpark ${m[1]} (Java 17)`;
    }
  } catch {
    /* not installed */
  }
  return "PySpark not installed";
}
