/**
 * The Spark Connect server the tests run against. `npm test` starts one in the background first
 * (scripts/spark/server.mjs start --for-tests); a test run started another way starts it here, tied
 * to the test runner's lifetime. QUARRY_SPARK_REMOTE points the tests at another server instead.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const port = Number(process.env.QUARRY_SPARK_PORT ?? 15002);

/** The URL the Spark backend entry of the conformance suite connects to. */
/**
 * The backends this test run covers: both by default; QUARRY_BACKENDS=duckdb runs the embedded
 * engine alone (no JVM). scripts/spark/server.mjs reads the same variable with the same default.
 */
export const ENABLED_BACKENDS: readonly string[] = (process.env.QUARRY_BACKENDS ?? "duckdb,spark").split(",").map((b) => b.trim()).filter(Boolean);
/** Whether the Spark backend runs in this test run. */
export const SPARK_ENABLED = ENABLED_BACKENDS.includes("spark");
/** The reason given when Spark tests are skipped. */
export const SPARK_SKIP: string | false = SPARK_ENABLED ? false : "QUARRY_BACKENDS leaves out spark";

export const SPARK_REMOTE = process.env.QUARRY_SPARK_REMOTE ?? `sc://127.0.0.1:${port}`;

/** The repository root (where package.json names "quarry"). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, "utf8")).name === "quarry") return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error("cannot find the quarry repository root");
    dir = up;
  }
}

/** The server script, run with node. */
export function serverScript(...args: string[]): Promise<string> {
  const script = path.join(repoRoot(), "scripts/spark/server.mjs");
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(script)} ${args.join(" ")} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Whether something accepts connections on host:port. */
export function portOpen(p = port, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port: p, host });
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

let ready: Promise<string> | null = null;

/**
 * Resolves to the Spark Connect URL once the server accepts connections, starting the local
 * server if nothing is starting it (bounded by QUARRY_SPARK_WAIT_S, 300 s by default).
 */
export function sparkRemote(): Promise<string> {
  if (process.env.QUARRY_SPARK_REMOTE) return Promise.resolve(process.env.QUARRY_SPARK_REMOTE);
  ready ??= (async () => {
    if (await portOpen()) return SPARK_REMOTE;
    const state = (() => {
      try { return JSON.parse(fs.readFileSync(path.join(repoRoot(), ".cache/spark/server.json"), "utf8")) as { status?: string; launcherPid?: number }; } catch { return null; }
    })();
    const starting = state?.status === "starting" && state.launcherPid !== undefined && (() => { try { process.kill(state.launcherPid!, 0); return true; } catch { return false; } })();
    // The test runner is this process's parent: the server lives as long as the run.
    if (!starting) await serverScript("start", "--background", `--stop-with=${process.ppid}`);
    await serverScript("wait");
    return SPARK_REMOTE;
  })();
  return ready;
}
