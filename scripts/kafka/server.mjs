#!/usr/bin/env node
// A local single-node Kafka broker (KRaft, combined broker + controller) for tests and development,
// started from Maven Central jars.
//
//   node scripts/kafka/server.mjs start        resolve the jars (first time), format the storage (first time),
//                                              start, wait until a metadata request lists the broker
//   node scripts/kafka/server.mjs start --background [--stop-with=npm|PID]
//                                              return at once; a detached launcher starts the broker and,
//                                              with --stop-with, stops it when that process (or the nearest
//                                              npm ancestor) exits
//   node scripts/kafka/server.mjs start --for-tests
//                                              what `npm test` runs first: --background --stop-with=npm, skipped
//                                              when QUARRY_KAFKA_BOOTSTRAP names another broker; never fails
//                                              (the tests report it)
//   node scripts/kafka/server.mjs stop         stop the broker this script started
//   node scripts/kafka/server.mjs status       print the state
//   node scripts/kafka/server.mjs wait         wait until the broker answers (or failed)
//
// A broker that already answers on the port is reused. Environment: QUARRY_KAFKA_PORT (9092),
// QUARRY_KAFKA_CONTROLLER_PORT (the port + 1), QUARRY_KAFKA_HEAP (512m), QUARRY_KAFKA_CACHE
// (.cache/kafka in the repo), QUARRY_KAFKA_WAIT_S (300), JAVA_HOME (else `java` on PATH, 17 or
// newer), and `mvn` on PATH the first time. Files: <cache>/jars-<version>-<pom hash>/ (the class
// path), <cache>/server.properties, <cache>/data (the log dirs, formatted once), <cache>/server.json
// (state), <cache>/server.log (the JVM's output).
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { jvmService, isMain } from "../lib/jvm-service.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const cache = path.resolve(process.env.QUARRY_KAFKA_CACHE ?? path.join(root, ".cache/kafka"));
const port = Number(process.env.QUARRY_KAFKA_PORT ?? 9092);
const controllerPort = Number(process.env.QUARRY_KAFKA_CONTROLLER_PORT ?? port + 1);
const heap = process.env.QUARRY_KAFKA_HEAP ?? "512m";
const dataDir = path.join(cache, "data");

const pomFile = path.join(here, "pom.xml");
const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(pomFile, "utf8"))[1];

function properties() {
  return {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.bootstrap.servers": `127.0.0.1:${controllerPort}`,
    "listeners": `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "log.dirs": dataDir,
    "num.partitions": "1",
    // One node: every internal topic has one replica. Few partitions, so the first group or
    // transaction does not wait for 50 partitions to be created.
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "4",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "4",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "share.coordinator.state.topic.num.partitions": "1",
    "group.initial.rebalance.delay.ms": "0",
  };
}

/** A cluster id as `StorageTool random-uuid` prints it: 16 random bytes, URL-safe base64, no padding. */
function randomClusterId() {
  for (;;) {
    const id = crypto.randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/** Formats the log dirs once (`kafka.tools.StorageTool format --standalone`). */
function formatStorage(java, classPath, propsFile) {
  if (fs.existsSync(path.join(dataDir, "meta.properties"))) return;
  const clusterId = randomClusterId();
  const r = spawnSync(java, ["-cp", classPath, `-Dlog4j2.configurationFile=${path.join(here, "log4j2.properties")}`, "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", propsFile, "--standalone"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`formatting the Kafka storage in ${dataDir} failed (exit ${r.status}):\n${r.stderr || r.stdout}\nDelete ${dataDir} and retry.`);
}

/**
 * Whether the broker answers a Metadata request (v4, all topics) listing at least one broker:
 * an open port alone is not enough, the broker registers with its controller after listening.
 */
export function brokerAnswers(p = port, host = "127.0.0.1", timeoutMs = 2000) {
  return new Promise((resolve) => {
    const clientId = Buffer.from("quarry-probe");
    const body = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4 + 1);
    let o = 4;
    o = body.writeInt16BE(3, o); // Metadata
    o = body.writeInt16BE(4, o);
    o = body.writeInt32BE(1, o); // correlation id
    o = body.writeInt16BE(clientId.length, o);
    o += clientId.copy(body, o);
    o = body.writeInt32BE(-1, o); // all topics
    body.writeInt8(0, o); // no auto-creation
    body.writeInt32BE(body.length - 4, 0);
    const s = net.connect({ port: p, host });
    let buf = Buffer.alloc(0);
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("error", () => done(false));
    s.once("connect", () => s.write(body));
    s.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      // size, correlation id, throttle time, brokers count
      done(buf.length >= 16 && buf.readInt32BE(4) === 1 && buf.readInt32BE(12) >= 1);
    });
  });
}

const service = jvmService({
  name: "kafka-server",
  title: `Kafka ${version}`,
  product: `Kafka ${version}`,
  script: fileURLToPath(import.meta.url),
  pomFile,
  version,
  cache,
  port,
  address: `127.0.0.1:${port}`,
  waitSeconds: Number(process.env.QUARRY_KAFKA_WAIT_S ?? 300),
  requiredJar: "kafka_2.13-",
  root,
  ready: () => brokerAnswers(),
  jvm: ({ java, jarsDir }) => {
    const classPath = `${jarsDir}${path.sep}*`;
    const propsFile = path.join(cache, "server.properties");
    fs.writeFileSync(propsFile, Object.entries(properties()).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
    formatStorage(java, classPath, propsFile);
    const args = [
      `-Xmx${heap}`,
      "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${path.join(here, "log4j2.properties")}`,
      "-cp", classPath,
      "kafka.Kafka", propsFile,
    ];
    return { args };
  },
});

if (isMain(import.meta.url)) {
  await service.runCli({
    forTests: () => (process.env.QUARRY_KAFKA_BOOTSTRAP ? `using ${process.env.QUARRY_KAFKA_BOOTSTRAP}` : null),
  });
}
