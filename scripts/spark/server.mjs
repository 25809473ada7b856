#!/usr/bin/env node
// A local Spark Connect server for tests and development, started from Maven Central jars.
//
//   node scripts/spark/server.mjs start        resolve the jars (first time), start, wait until it accepts connections
//   node scripts/spark/server.mjs start --background [--stop-with=npm|PID]
//                                              return at once; a detached launcher starts the server and,
//                                              with --stop-with, stops it when that process (or the nearest
//                                              npm ancestor) exits
//   node scripts/spark/server.mjs start --for-tests
//                                              what `npm test` runs first: --background --stop-with=npm, skipped
//                                              when QUARRY_BACKENDS leaves out spark or QUARRY_SPARK_REMOTE
//                                              names another server; never fails (the tests report it)
//   node scripts/spark/server.mjs stop         stop the server this script started
//   node scripts/spark/server.mjs status       print the state
//   node scripts/spark/server.mjs wait         wait until the server accepts connections (or failed)
//
// Environment: QUARRY_SPARK_PORT (15002), QUARRY_SPARK_HEAP (3g), QUARRY_SPARK_CACHE (.cache/spark
// in the repo), QUARRY_SPARK_WAIT_S (300), JAVA_HOME (else `java` on PATH, 17 or newer), and `mvn`
// on PATH the first time. Files: <cache>/jars-<version>/ (the class path), <cache>/server.json
// (state), <cache>/server.log (the JVM's output), <cache>/warehouse, <cache>/tmp.
import { spawn, spawnSync, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const cache = path.resolve(process.env.QUARRY_SPARK_CACHE ?? path.join(root, ".cache/spark"));
const port = Number(process.env.QUARRY_SPARK_PORT ?? 15002);
const heap = process.env.QUARRY_SPARK_HEAP ?? "3g";
const waitSeconds = Number(process.env.QUARRY_SPARK_WAIT_S ?? 300);
const stateFile = path.join(cache, "server.json");
const logFile = path.join(cache, "server.log");
const launcherLog = path.join(cache, "launcher.log");

const pom = fs.readFileSync(path.join(here, "pom.xml"), "utf8");
const version = /<spark\.version>([^<]+)<\/spark\.version>/.exec(pom)[1];
// The folder is keyed by the pom's content, so adding a dependency resolves the jars again.
const pomHash = crypto.createHash("sha256").update(pom).digest("hex").slice(0, 10);
const jarsDir = path.join(cache, `jars-${version}-${pomHash}`);

// The module openings Spark's launcher adds on Java 17 (launcher/.../JavaModuleOptions.java).
const OPENS = [
  "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio", "java.util",
  "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref", "sun.nio.ch", "sun.nio.cs",
  "sun.security.action", "sun.util.calendar",
];

const log = (msg) => console.log(`[spark-server] ${msg}`);

function readState() {
  try { return JSON.parse(fs.readFileSync(stateFile, "utf8")); } catch { return null; }
}
function writeState(s) {
  fs.mkdirSync(cache, { recursive: true });
  fs.writeFileSync(stateFile + ".tmp", JSON.stringify(s, null, 2));
  fs.renameSync(stateFile + ".tmp", stateFile);
}
function alive(pid) {
  if (!pid) return false;
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === "EPERM"; }
}

/** Whether something accepts TCP connections on the port. */
export function portOpen(p = port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const s = net.connect({ port: p, host });
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

function javaBin() {
  const bin = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java";
  const r = spawnSync(bin, ["-version"], { encoding: "utf8" });
  if (r.error) throw new Error(`Java 17 or newer is needed to run Spark ${version} and was not found (${bin}): ${r.error.message}. Install a JDK 17 or set JAVA_HOME.`);
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr ?? "");
  const major = m ? (Number(m[1]) === 1 ? Number(m[2]) : Number(m[1])) : 0;
  if (major && major < 17) throw new Error(`Spark ${version} needs Java 17 or newer; ${bin} is Java ${major}. Set JAVA_HOME to a JDK 17+.`);
  return bin;
}

const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Downloads the server's jars into the cache once (Maven Central through `mvn`). */
function ensureJars() {
  const marker = path.join(jarsDir, ".complete");
  if (fs.existsSync(marker)) return;
  // One download at a time: a second process waits for the first one's jars.
  fs.mkdirSync(cache, { recursive: true });
  const lock = `${jarsDir}.lock`;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
      break;
    } catch {
      if (fs.existsSync(marker)) return;
      let owner = 0;
      try { owner = Number(fs.readFileSync(path.join(lock, "pid"), "utf8")); } catch { /* being created */ }
      if (owner && !alive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      else sleepSync(1000);
    }
  }
  try {
    if (!fs.existsSync(marker)) download(marker);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function download(marker) {
  log(`resolving Spark ${version} jars from Maven Central into ${path.relative(root, jarsDir) || jarsDir} (first run only)...`);
  fs.rmSync(jarsDir, { recursive: true, force: true });
  const args = ["-B", "-q", "-f", path.join(here, "pom.xml"), "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${jarsDir}`];
  const r = spawnSync("mvn", args, { stdio: "inherit" });
  if (r.error) throw new Error(`Maven (mvn) is needed once to download Spark's jars and was not found: ${r.error.message}. Install Maven or put mvn on PATH.`);
  if (r.status !== 0) throw new Error(`mvn dependency:copy-dependencies failed (exit ${r.status}); see the output above.`);
  const jars = fs.readdirSync(jarsDir).filter((f) => f.endsWith(".jar"));
  if (!jars.some((j) => j.startsWith("spark-connect_"))) throw new Error(`the jars in ${jarsDir} lack spark-connect; delete the folder and retry.`);
  fs.writeFileSync(marker, `${jars.length} jars\n`);
  log(`${jars.length} jars ready`);
}

/** The spark-connect jar (its .proto files are checked against Quarry's in a test). */
export function connectJar() {
  ensureJars();
  return path.join(jarsDir, fs.readdirSync(jarsDir).find((f) => f.startsWith("spark-connect_") && f.endsWith(".jar")));
}

function startJvm() {
  const java = javaBin();
  ensureJars();
  for (const d of ["warehouse", "tmp"]) fs.mkdirSync(path.join(cache, d), { recursive: true });
  const conf = {
    "spark.master": "local[2]",
    "spark.app.name": "quarry-spark-connect",
    "spark.connect.grpc.binding.address": "127.0.0.1",
    "spark.connect.grpc.binding.port": String(port),
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    // Small data on 2 cores: 200 shuffle partitions would cost more than the work itself.
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.warehouse.dir": path.join(cache, "warehouse"),
    "spark.local.dir": path.join(cache, "tmp"),
  };
  const args = [
    `-Xmx${heap}`,
    "-XX:+IgnoreUnrecognizedVMOptions",
    "--add-modules=jdk.incubator.vector",
    ...OPENS.map((p) => `--add-opens=java.base/${p}=ALL-UNNAMED`),
    "--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Duser.timezone=UTC",
    `-Djava.io.tmpdir=${path.join(cache, "tmp")}`,
    `-Dlog4j2.configurationFile=${path.join(here, "log4j2.properties")}`,
    ...Object.entries(conf).map(([k, v]) => `-D${k}=${v}`),
    "-cp", `${jarsDir}${path.sep}*`,
    "org.apache.spark.sql.connect.service.SparkConnectServer",
  ];
  const out = fs.openSync(logFile, "w");
  const child = spawn(java, args, { detached: true, stdio: ["ignore", out, out], cwd: cache, env: { ...process.env, SPARK_LOCAL_IP: "127.0.0.1" } });
  child.unref();
  fs.closeSync(out);
  return child.pid;
}

async function waitReady(pid, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await portOpen()) return;
    if (pid && !alive(pid)) {
      const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n") : "";
      throw new Error(`the Spark Connect server exited during start-up; the end of ${logFile}:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the Spark Connect server did not accept connections on 127.0.0.1:${port} within ${seconds} s; see ${logFile}`);
}

function ancestors(pid) {
  const out = [];
  let cur = pid;
  for (let i = 0; i < 10 && cur > 1; i++) {
    let ppid, cmd = "";
    try {
      const stat = fs.readFileSync(`/proc/${cur}/stat`, "utf8");
      ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      cmd = fs.readFileSync(`/proc/${cur}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      try {
        ppid = Number(execFileSync("ps", ["-o", "ppid=", "-p", String(cur)], { encoding: "utf8" }).trim());
        cmd = execFileSync("ps", ["-o", "command=", "-p", String(cur)], { encoding: "utf8" }).trim();
      } catch { break; }
    }
    out.push({ pid: cur, cmd });
    cur = ppid;
  }
  return out;
}

/** The process whose exit stops the server: a PID, or the nearest `npm` ancestor of this process. */
function resolveStopWith(spec) {
  if (!spec) return null;
  if (/^\d+$/.test(spec)) return Number(spec);
  const chain = ancestors(process.ppid);
  const npm = chain.find((a) => /(^|[\s/])npm(-cli\.js)?(\s|$)/.test(a.cmd));
  return (npm ?? chain[1] ?? chain[0])?.pid ?? null;
}

async function start({ background, stopWith }) {
  if (await portOpen()) {
    log(`a server already listens on 127.0.0.1:${port}`);
    return;
  }
  const s = readState();
  if (s && s.status !== "failed" && s.status !== "stopped" && alive(s.launcherPid ?? s.pid)) {
    log(`a server is already starting (pid ${s.launcherPid ?? s.pid}); waiting`);
    if (!background) await waitFor();
    return;
  }
  if (background) {
    const watch = resolveStopWith(stopWith);
    fs.mkdirSync(cache, { recursive: true });
    const out = fs.openSync(launcherLog, "w");
    // The launcher records its own state as it starts.
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "launch", ...(watch ? [`--stop-with=${watch}`] : [])], { detached: true, stdio: ["ignore", out, out] });
    child.unref();
    fs.closeSync(out);
    log(`starting Spark Connect ${version} on 127.0.0.1:${port} in the background (log: ${path.relative(root, logFile)})`);
    return;
  }
  await launch({ stopWith: null });
}

async function launch({ stopWith }) {
  const startedAt = new Date().toISOString();
  try {
    writeState({ status: "starting", launcherPid: process.pid, port, version, startedAt, stopWith });
    const pid = startJvm();
    writeState({ status: "starting", launcherPid: process.pid, pid, port, version, startedAt, stopWith });
    const t0 = Date.now();
    await waitReady(pid, waitSeconds);
    writeState({ status: "ready", pid, port, version, startedAt, stopWith, launcherPid: stopWith ? process.pid : undefined });
    log(`Spark Connect ${version} ready on sc://127.0.0.1:${port} after ${((Date.now() - t0) / 1000).toFixed(1)} s (pid ${pid})`);
    if (stopWith) {
      while (alive(stopWith) && alive(pid)) await new Promise((r) => setTimeout(r, 1000));
      if (alive(pid)) { log(`process ${stopWith} ended: stopping the server`); await stop(); }
    }
  } catch (e) {
    writeState({ status: "failed", error: String(e.message ?? e), port, version, startedAt });
    console.error(`[spark-server] failed: ${e.message ?? e}`);
    process.exitCode = 1;
  }
}

async function stop() {
  const s = readState();
  if (!s?.pid || !alive(s.pid)) {
    log("no server started by this script is running");
    if (s) writeState({ ...s, status: "stopped" });
    return;
  }
  process.kill(s.pid, "SIGTERM");
  const deadline = Date.now() + 20_000;
  while (alive(s.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (alive(s.pid)) process.kill(s.pid, "SIGKILL");
  if (s.launcherPid && s.launcherPid !== process.pid && alive(s.launcherPid)) {
    try { process.kill(s.launcherPid, "SIGTERM"); } catch { /* already gone */ }
  }
  writeState({ ...s, status: "stopped" });
  log(`stopped (pid ${s.pid})`);
}

/** Waits until the server accepts connections, or its launcher reports a failure. */
async function waitFor() {
  const deadline = Date.now() + waitSeconds * 1000;
  while (Date.now() < deadline) {
    if (await portOpen()) return;
    const s = readState();
    if (s?.status === "failed") throw new Error(s.error);
    if (s && s.status === "starting" && !alive(s.launcherPid) && !alive(s.pid)) throw new Error(`the server launcher exited; see ${launcherLog} and ${logFile}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no Spark Connect server on 127.0.0.1:${port} after ${waitSeconds} s; see ${logFile}`);
}

const [cmd, ...rest] = process.argv.slice(2);
const flag = (name) => rest.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
const value = (name) => flag(name)?.split("=")[1];
if (import.meta.url === `file://${process.argv[1]}` || fileURLToPath(import.meta.url) === path.resolve(process.argv[1] ?? "")) {
  try {
    switch (cmd) {
      case "start":
        if (flag("for-tests")) {
          const backends = (process.env.QUARRY_BACKENDS ?? "duckdb,spark").split(",").map((b) => b.trim());
          if (!backends.includes("spark")) { log("QUARRY_BACKENDS leaves out spark: not starting a server"); break; }
          if (process.env.QUARRY_SPARK_REMOTE) { log(`using ${process.env.QUARRY_SPARK_REMOTE}`); break; }
          try { await start({ background: true, stopWith: "npm" }); } catch (e) { console.error(`[spark-server] ${e.message ?? e}`); }
          break;
        }
        await start({ background: Boolean(flag("background")), stopWith: flag("stop-with") ? value("stop-with") ?? "npm" : null });
        break;
      case "launch": await launch({ stopWith: value("stop-with") ? Number(value("stop-with")) : null }); break;
      case "stop": await stop(); break;
      case "wait": await waitFor(); log(`ready on sc://127.0.0.1:${port}`); break;
      case "status": {
        const s = readState();
        console.log(JSON.stringify({ ...s, listening: await portOpen(), jars: fs.existsSync(path.join(jarsDir, ".complete")) ? jarsDir : null }, null, 2));
        break;
      }
      case "jar": console.log(connectJar()); break;
      default:
        console.error("usage: node scripts/spark/server.mjs start [--background] [--stop-with=npm|PID] | stop | status | wait | jar");
        process.exitCode = 2;
    }
  } catch (e) {
    console.error(`[spark-server] ${e.message ?? e}`);
    process.exitCode = 1;
  }
}
