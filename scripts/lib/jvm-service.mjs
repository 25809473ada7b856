// What the local JVM services (Spark Connect, Kafka) share: jars resolved once from Maven Central
// into a cache folder keyed by the pom's content (one download at a time, across processes), a
// JSON state file, a detached JVM, a readiness wait, a background launcher that can stop the
// service when another process ends, and the start/stop/status/wait command line.
//
// A service script describes itself (`jvmService({...})`) and calls `runCli()`; see
// scripts/spark/server.mjs and scripts/kafka/server.mjs.
import { spawn, spawnSync, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";

/** Whether something accepts TCP connections on host:port. */
export function portOpen(port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

export function alive(pid) {
  if (!pid) return false;
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === "EPERM"; }
}

const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A JVM service run from Maven Central jars.
 *
 * @param {object} spec
 * @param {string} spec.name         log prefix and usage name, e.g. "spark-server"
 * @param {string} spec.title        what the messages call it, e.g. "Spark Connect 4.2.0"
 * @param {string} spec.product      what needs Java, e.g. "Spark 4.2.0"
 * @param {string} spec.script       the service script's file (the background launcher runs it)
 * @param {string} spec.pomFile      the pom whose runtime dependencies are the class path
 * @param {string} spec.version      goes into the jars folder's name
 * @param {string} spec.cache        the cache folder (state, logs, jars)
 * @param {number} spec.port         the port clients connect to
 * @param {string} spec.address      how the ready message shows the address, e.g. "sc://127.0.0.1:15002"
 * @param {number} spec.waitSeconds  how long start-up may take
 * @param {string} spec.requiredJar  a jar name prefix the class path must contain
 * @param {(ctx: {java: string, jarsDir: string, cache: string}) => {args: string[], env?: object, cwd?: string}} spec.jvm
 *                                   the JVM's arguments (prepares files it needs first)
 * @param {() => Promise<boolean>} [spec.ready]  whether the service answers (default: the port is open)
 * @param {string} spec.root         the repository root (for relative paths in messages)
 */
export function jvmService(spec) {
  const { name, title, product, cache, port, waitSeconds, root } = spec;
  const stateFile = path.join(cache, "server.json");
  const logFile = path.join(cache, "server.log");
  const launcherLog = path.join(cache, "launcher.log");
  const pom = fs.readFileSync(spec.pomFile, "utf8");
  // The folder is keyed by the pom's content, so adding a dependency resolves the jars again.
  const pomHash = crypto.createHash("sha256").update(pom).digest("hex").slice(0, 10);
  const jarsDir = path.join(cache, `jars-${spec.version}-${pomHash}`);
  const ready = spec.ready ?? (() => portOpen(port));
  const log = (msg) => console.log(`[${name}] ${msg}`);

  function readState() {
    try { return JSON.parse(fs.readFileSync(stateFile, "utf8")); } catch { return null; }
  }
  function writeState(s) {
    fs.mkdirSync(cache, { recursive: true });
    fs.writeFileSync(stateFile + ".tmp", JSON.stringify(s, null, 2));
    fs.renameSync(stateFile + ".tmp", stateFile);
  }

  function javaBin() {
    const bin = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java";
    const r = spawnSync(bin, ["-version"], { encoding: "utf8" });
    if (r.error) throw new Error(`Java 17 or newer is needed to run ${product} and was not found (${bin}): ${r.error.message}. Install a JDK 17 or set JAVA_HOME.`);
    const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr ?? "");
    const major = m ? (Number(m[1]) === 1 ? Number(m[2]) : Number(m[1])) : 0;
    if (major && major < 17) throw new Error(`${product} needs Java 17 or newer; ${bin} is Java ${major}. Set JAVA_HOME to a JDK 17+.`);
    return bin;
  }

  /** Downloads the service's jars into the cache once (Maven Central through `mvn`). */
  function ensureJars() {
    const marker = path.join(jarsDir, ".complete");
    if (fs.existsSync(marker)) return jarsDir;
    // One download at a time: a second process waits for the first one's jars.
    fs.mkdirSync(cache, { recursive: true });
    const lock = `${jarsDir}.lock`;
    for (;;) {
      try {
        fs.mkdirSync(lock);
        fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
        break;
      } catch {
        if (fs.existsSync(marker)) return jarsDir;
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
    return jarsDir;
  }

  function download(marker) {
    log(`resolving ${product} jars from Maven Central into ${path.relative(root, jarsDir) || jarsDir} (first run only)...`);
    fs.rmSync(jarsDir, { recursive: true, force: true });
    const args = ["-B", "-q", "-f", spec.pomFile, "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${jarsDir}`];
    const r = spawnSync("mvn", args, { stdio: "inherit" });
    if (r.error) throw new Error(`Maven (mvn) is needed once to download ${product}'s jars and was not found: ${r.error.message}. Install Maven or put mvn on PATH.`);
    if (r.status !== 0) throw new Error(`mvn dependency:copy-dependencies failed (exit ${r.status}); see the output above.`);
    const jars = fs.readdirSync(jarsDir).filter((f) => f.endsWith(".jar"));
    if (!jars.some((j) => j.startsWith(spec.requiredJar))) throw new Error(`the jars in ${jarsDir} lack ${spec.requiredJar}; delete the folder and retry.`);
    fs.writeFileSync(marker, `${jars.length} jars\n`);
    log(`${jars.length} jars ready`);
  }

  function startJvm() {
    const java = javaBin();
    ensureJars();
    const { args, env, cwd } = spec.jvm({ java, jarsDir, cache });
    const out = fs.openSync(logFile, "w");
    const child = spawn(java, args, { detached: true, stdio: ["ignore", out, out], cwd: cwd ?? cache, env: { ...process.env, ...env } });
    child.unref();
    fs.closeSync(out);
    return child.pid;
  }

  async function waitReady(pid, seconds) {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      if (await ready()) return;
      if (pid && !alive(pid)) {
        const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n") : "";
        throw new Error(`the ${title} server exited during start-up; the end of ${logFile}:\n${tail}`);
      }
      await sleep(500);
    }
    throw new Error(`the ${title} server did not answer on 127.0.0.1:${port} within ${seconds} s; see ${logFile}`);
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

  /** The process whose exit stops the service: a PID, or the nearest `npm` ancestor of this process. */
  function resolveStopWith(stopSpec) {
    if (!stopSpec) return null;
    if (/^\d+$/.test(stopSpec)) return Number(stopSpec);
    const chain = ancestors(process.ppid);
    const npm = chain.find((a) => /(^|[\s/])npm(-cli\.js)?(\s|$)/.test(a.cmd));
    return (npm ?? chain[1] ?? chain[0])?.pid ?? null;
  }

  async function start({ background, stopWith }) {
    if (await portOpen(port)) {
      log(`a server already listens on 127.0.0.1:${port}`);
      if (!background) await waitFor();
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
      const child = spawn(process.execPath, [spec.script, "launch", ...(watch ? [`--stop-with=${watch}`] : [])], { detached: true, stdio: ["ignore", out, out] });
      child.unref();
      fs.closeSync(out);
      log(`starting ${title} on 127.0.0.1:${port} in the background (log: ${path.relative(root, logFile)})`);
      return;
    }
    await launch({ stopWith: null });
  }

  async function launch({ stopWith }) {
    const startedAt = new Date().toISOString();
    const version = spec.version;
    try {
      writeState({ status: "starting", launcherPid: process.pid, port, version, startedAt, stopWith });
      const pid = startJvm();
      writeState({ status: "starting", launcherPid: process.pid, pid, port, version, startedAt, stopWith });
      const t0 = Date.now();
      await waitReady(pid, waitSeconds);
      writeState({ status: "ready", pid, port, version, startedAt, stopWith, launcherPid: stopWith ? process.pid : undefined });
      log(`${title} ready on ${spec.address} after ${((Date.now() - t0) / 1000).toFixed(1)} s (pid ${pid})`);
      if (stopWith) {
        while (alive(stopWith) && alive(pid)) await sleep(1000);
        if (alive(pid)) { log(`process ${stopWith} ended: stopping the server`); await stop(); }
      }
    } catch (e) {
      writeState({ status: "failed", error: String(e.message ?? e), port, version, startedAt });
      console.error(`[${name}] failed: ${e.message ?? e}`);
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
    while (alive(s.pid) && Date.now() < deadline) await sleep(200);
    if (alive(s.pid)) process.kill(s.pid, "SIGKILL");
    if (s.launcherPid && s.launcherPid !== process.pid && alive(s.launcherPid)) {
      try { process.kill(s.launcherPid, "SIGTERM"); } catch { /* already gone */ }
    }
    writeState({ ...s, status: "stopped" });
    log(`stopped (pid ${s.pid})`);
  }

  /** Waits until the service answers, or its launcher reports a failure. */
  async function waitFor() {
    const deadline = Date.now() + waitSeconds * 1000;
    while (Date.now() < deadline) {
      if (await ready()) return;
      const s = readState();
      if (s?.status === "failed") throw new Error(s.error);
      if (s && s.status === "starting" && !alive(s.launcherPid) && !alive(s.pid)) throw new Error(`the server launcher exited; see ${launcherLog} and ${logFile}`);
      await sleep(500);
    }
    throw new Error(`no ${title} server answering on 127.0.0.1:${port} after ${waitSeconds} s; see ${logFile}`);
  }

  /**
   * The command line: start [--background] [--stop-with=npm|PID] [--for-tests] | launch | stop | status | wait,
   * plus `extra` commands. `forTests()` returns a reason to skip the start, or null.
   */
  async function runCli({ forTests = () => null, extra = {} } = {}) {
    const [cmd, ...rest] = process.argv.slice(2);
    const flag = (n) => rest.find((a) => a === `--${n}` || a.startsWith(`--${n}=`));
    const value = (n) => flag(n)?.split("=")[1];
    try {
      switch (cmd) {
        case "start":
          if (flag("for-tests")) {
            const skip = forTests();
            if (skip) { log(skip); break; }
            try { await start({ background: true, stopWith: "npm" }); } catch (e) { console.error(`[${name}] ${e.message ?? e}`); }
            break;
          }
          await start({ background: Boolean(flag("background")), stopWith: flag("stop-with") ? value("stop-with") ?? "npm" : null });
          break;
        case "launch": await launch({ stopWith: value("stop-with") ? Number(value("stop-with")) : null }); break;
        case "stop": await stop(); break;
        case "wait": await waitFor(); log(`ready on ${spec.address}`); break;
        case "status": {
          const s = readState();
          console.log(JSON.stringify({ ...s, listening: await portOpen(port), answering: await ready(), jars: fs.existsSync(path.join(jarsDir, ".complete")) ? jarsDir : null }, null, 2));
          break;
        }
        default:
          if (extra[cmd]) { await extra[cmd](); break; }
          console.error(`usage: node ${path.relative(root, spec.script)} start [--background] [--stop-with=npm|PID] [--for-tests] | stop | status | wait${Object.keys(extra).map((k) => ` | ${k}`).join("")}`);
          process.exitCode = 2;
      }
    } catch (e) {
      console.error(`[${name}] ${e.message ?? e}`);
      process.exitCode = 1;
    }
  }

  return { ensureJars, jarsDir, logFile, start, stop, waitFor, runCli, log };
}

/** Whether `metaUrl` is the module node was asked to run. */
export function isMain(metaUrl) {
  return fileURLToPath(metaUrl) === path.resolve(process.argv[1] ?? "");
}
