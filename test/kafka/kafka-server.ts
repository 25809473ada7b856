/**
 * The Kafka broker the tests run against. `npm test` starts one in the background first
 * (scripts/kafka/server.mjs start --for-tests); a test run started another way starts it here, tied
 * to the test runner's lifetime, on a machine that has never seen Kafka (the jars come from Maven
 * Central the first time). QUARRY_KAFKA_BOOTSTRAP points the tests at another broker instead.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { repoRoot } from "../backends/spark-connect/spark-server.js";

const port = Number(process.env.QUARRY_KAFKA_PORT ?? 9092);

/** The bootstrap servers the Kafka tests connect to. */
export const KAFKA_BOOTSTRAP = process.env.QUARRY_KAFKA_BOOTSTRAP ?? `127.0.0.1:${port}`;

function serverScript(...args: string[]): Promise<string> {
  const script = path.join(repoRoot(), "scripts/kafka/server.mjs");
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(script)} ${args.join(" ")} failed: ${stderr || stdout || err.message}`));
      else resolve(stdout);
    });
  });
}

let ready: Promise<string> | null = null;

/**
 * Resolves to the bootstrap servers once the broker answers a metadata request, starting the local
 * broker when none runs or is starting (bounded by QUARRY_KAFKA_WAIT_S, 300 s by default).
 */
export function kafkaBootstrap(): Promise<string> {
  if (process.env.QUARRY_KAFKA_BOOTSTRAP) return Promise.resolve(process.env.QUARRY_KAFKA_BOOTSTRAP);
  // `start` reuses a broker that answers or is starting; the test runner (this process's parent)
  // bounds the life of one it starts.
  ready ??= serverScript("start", "--background", `--stop-with=${process.ppid}`)
    .then(() => serverScript("wait"))
    .then(() => KAFKA_BOOTSTRAP);
  return ready;
}

let counter = 0;
/** A topic name no earlier run used (the broker's data outlives test runs). */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${process.pid}-${++counter}`;
}

/** Creates a topic with `partitions` partitions (the public API has no topic admin). */
export async function createTopic(servers: string, topic: string, partitions: number): Promise<void> {
  const { Admin } = await import("@platformatic/kafka");
  const admin = new Admin({ clientId: "quarry-test", bootstrapBrokers: servers.split(",") });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/**
 * Asserts that `read()` comes to equal `want` within 15 s. A Kafka transaction's commit returns
 * before its markers reach the partitions and the group coordinator, so what it wrote (and the
 * offsets it committed) become visible to read_committed readers a moment later.
 */
export async function eventually<T>(read: () => Promise<T>, want: T, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const got = await read();
    try {
      assert.deepEqual(got, want, what);
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
