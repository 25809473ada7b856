#!/usr/bin/env node
// Client CPU of decoding a Spark Connect result, without the server in the measurement: the
// ExecutePlanResponse messages of one 8-double-column result are captured once, then replayed
// (each into a fresh buffer, as gRPC hands them over) through Quarry's decoding, toArrow() and
// collect() style, for this build and optionally a baseline build, alternating processes.
//
//   npm run build
//   node bench/spark-connect/decode.mjs [--url sc://127.0.0.1:15002] [--rows 1000000] [--times 2] [--rounds 4] [--baseline path/to/other/dist]
//
// Prints CPU seconds (user + system, all threads) per 1M rows, median over rounds x 3 repeats.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : def; };
const rows = Number(arg("rows", 1_000_000));
const capture = path.join(root, `.cache/spark-connect-result-${rows}.bin`);

if (process.argv[2] === "--replay") {
  // Child: replay the captured messages through one build's decoding.
  const [, , , dist, mode, times] = process.argv;
  const imp = (p) => import(pathToFileURL(path.join(dist, p)).href);
  const { fromBinary } = await import("@bufbuild/protobuf");
  const pb = await imp("backends/spark-connect/gen/spark/connect/base_pb.js");
  const { batchRows } = await imp("backends/spark-connect/spark-connect-arrow.js");
  const ipc = await imp("backends/spark-connect/spark-connect-ipc.js").catch(() => null);
  const arrow = await import("apache-arrow");
  const f = fs.readFileSync(capture);
  const n = f.readUInt32LE(0);
  const msgs = [];
  for (let i = 0, p = 4 + 4 * n; i < n; i++) { const l = f.readUInt32LE(4 + 4 * i); msgs.push(f.subarray(p, p + l)); p += l; }
  // The parent build read each message with apache-arrow's RecordBatchReader.
  const readerOf = () => (ipc ? new ipc.ArrowResultReader() : { read: (d) => ({ batches: [...arrow.RecordBatchReader.from(d)] }) });
  const out = [];
  for (let r = 0; r < 3; r++) {
    global.gc();
    const c0 = process.cpuUsage();
    const reader = readerOf();
    const batches = [];
    let kept = [];
    for (let t = 0; t < Number(times); t++) {
      for (const m of msgs) {
        const b = Buffer.allocUnsafeSlow(m.length);
        m.copy(b);
        const res = fromBinary(pb.ExecutePlanResponseSchema, b, { readUnknownFields: false });
        if (res.responseType.case !== "arrowBatch") continue;
        for (const batch of reader.read(res.responseType.value.data).batches) {
          if (mode === "arrow") batches.push(batch);
          else for (const row of batchRows(batch, "number")) kept.push(row);
        }
      }
    }
    const total = mode === "arrow" ? new arrow.Table(batches).numRows : kept.length;
    const c = process.cpuUsage(c0);
    out.push((c.user + c.system) / 1e6 / (total / 1e6));
    kept = null;
  }
  console.log(JSON.stringify(out));
  process.exit(0);
}

if (!fs.existsSync(capture)) {
  const { Session, F } = await import("../../dist/index.js");
  const { create, toBinary } = await import("@bufbuild/protobuf");
  const pb = await import("../../dist/backends/spark-connect/gen/spark/connect/base_pb.js");
  const spark = await Session.builder().remote(arg("url", "sc://127.0.0.1:15002")).getOrCreate();
  const df = spark.range(rows).select(...Array.from({ length: 8 }, (_, i) => F.col("id").multiply(i + 1).divide(F.lit(7.0)).alias(`c${i}`)));
  // The raw gRPC stream, through the client's channel: the bytes as the server sent them.
  const backend = spark.backend;
  const client = backend.client;
  const req = create(pb.ExecutePlanRequestSchema, { ...client.common(), operationId: randomUUID(), plan: backend.root(df.plan) });
  const msgs = await new Promise((resolve, reject) => {
    const call = client.client.makeServerStreamRequest("/spark.connect.SparkConnectService/ExecutePlan", (m) => Buffer.from(toBinary(pb.ExecutePlanRequestSchema, m)), (b) => b, req, client.metadata(), {});
    const keep = [];
    call.on("data", (b) => keep.push(Buffer.from(b)));
    call.on("end", () => resolve(keep));
    call.on("error", reject);
  });
  await spark.stop();
  const lens = Buffer.alloc(4 * msgs.length);
  msgs.forEach((m, i) => lens.writeUInt32LE(m.length, 4 * i));
  fs.mkdirSync(path.dirname(capture), { recursive: true });
  fs.writeFileSync(capture, Buffer.concat([Buffer.from(Uint32Array.of(msgs.length).buffer), lens, ...msgs]));
}

const times = arg("times", "2");
const rounds = Number(arg("rounds", 4));
const builds = [["this build", path.join(root, "dist")]];
if (arg("baseline", null)) builds.push(["baseline", path.resolve(arg("baseline", null))]);
const samples = new Map();
for (let r = 0; r < rounds; r++) {
  for (const mode of ["arrow", "collect"]) {
    for (const [name, dist] of r % 2 ? [...builds].reverse() : builds) {
      const res = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=8192", fileURLToPath(import.meta.url), "--replay", dist, mode, times, "--rows", String(rows)], { encoding: "utf8" });
      if (res.status !== 0) throw new Error(`replay failed:\n${res.stderr}`);
      const key = `${name}|${mode}`;
      samples.set(key, [...(samples.get(key) ?? []), ...JSON.parse(res.stdout.trim().split("\n").pop())]);
    }
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
console.log(`\nDecoding ${rows.toLocaleString("en")} rows x 8 doubles x ${times} per fetch, replayed; client CPU s per 1M rows (median of ${rounds * 3})\n`);
console.log(`| path | ${builds.map(([n]) => n).join(" | ")} |${builds.length > 1 ? " baseline / this build |" : ""}`);
console.log(`| --- | ${builds.map(() => "---").join(" | ")} |${builds.length > 1 ? " --- |" : ""}`);
for (const mode of ["arrow", "collect"]) {
  const m = builds.map(([n]) => median(samples.get(`${n}|${mode}`)));
  console.log(`| ${mode === "arrow" ? "toArrow()" : "collect()"} | ${m.map((x) => x.toFixed(3)).join(" | ")} |${builds.length > 1 ? ` ${(m[1] / m[0]).toFixed(2)}x |` : ""}`);
}
