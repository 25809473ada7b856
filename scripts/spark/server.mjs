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
// on PATH the first time. Files: <cache>/jars-<version>-<pom hash>/ (the class path), <cache>/server.json
// (state), <cache>/server.log (the JVM's output), <cache>/warehouse, <cache>/tmp.
// The shared machinery (jars, lock, state, launcher) is scripts/lib/jvm-service.mjs.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { jvmService, isMain, portOpen as portOpenAt } from "../lib/jvm-service.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const cache = path.resolve(process.env.QUARRY_SPARK_CACHE ?? path.join(root, ".cache/spark"));
const port = Number(process.env.QUARRY_SPARK_PORT ?? 15002);
const heap = process.env.QUARRY_SPARK_HEAP ?? "3g";

const pomFile = path.join(here, "pom.xml");
const version = /<spark\.version>([^<]+)<\/spark\.version>/.exec(fs.readFileSync(pomFile, "utf8"))[1];

// The module openings Spark's launcher adds on Java 17 (launcher/.../JavaModuleOptions.java).
const OPENS = [
  "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio", "java.util",
  "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref", "sun.nio.ch", "sun.nio.cs",
  "sun.security.action", "sun.util.calendar",
];

const service = jvmService({
  name: "spark-server",
  title: `Spark Connect ${version}`,
  product: `Spark ${version}`,
  script: fileURLToPath(import.meta.url),
  pomFile,
  version,
  cache,
  port,
  address: `sc://127.0.0.1:${port}`,
  waitSeconds: Number(process.env.QUARRY_SPARK_WAIT_S ?? 300),
  requiredJar: "spark-connect_",
  root,
  jvm: ({ jarsDir }) => {
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
    return { args, env: { SPARK_LOCAL_IP: "127.0.0.1" } };
  },
});

/** Whether something accepts TCP connections on the port. */
export function portOpen(p = port, host = "127.0.0.1") {
  return portOpenAt(p, host);
}

/** The spark-connect jar (its .proto files are checked against Quarry's in a test). */
export function connectJar() {
  const jarsDir = service.ensureJars();
  return path.join(jarsDir, fs.readdirSync(jarsDir).find((f) => f.startsWith("spark-connect_") && f.endsWith(".jar")));
}

if (isMain(import.meta.url)) {
  await service.runCli({
    forTests: () => {
      const backends = (process.env.QUARRY_BACKENDS ?? "duckdb,spark").split(",").map((b) => b.trim());
      if (!backends.includes("spark")) return "QUARRY_BACKENDS leaves out spark: not starting a server";
      if (process.env.QUARRY_SPARK_REMOTE) return `using ${process.env.QUARRY_SPARK_REMOTE}`;
      return null;
    },
    extra: { jar: async () => console.log(connectJar()) },
  });
}
