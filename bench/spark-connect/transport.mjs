#!/usr/bin/env node
// Client CPU of the transport alone: one 8-double-column result fetched from a Spark Connect server
// through three transports, each message's bytes received whole and then dropped (nothing decoded):
//   grpc-js     gRPC-js, as the unary calls use it (its per-chunk buffers, its message reassembly)
//   node-http2  node:http2 with gRPC framing of our own (one copy from each chunk into the message)
//   quarry      Quarry's HTTP/2 client (src/backends/spark-connect/spark-connect-http2.ts): socket
//               reads into one reused buffer, one copy into each message, Arrow bytes 8-byte aligned
//
//   npm run build
//   node bench/spark-connect/transport.mjs [--url sc://127.0.0.1:15002] [--rows 2000000] [--rounds 3] [--repeats 3]
//
// Each transport runs in its own process, the order rotating per round; prints CPU seconds (user +
// system, all threads) per 1M rows and wall seconds per fetch, medians over rounds x repeats.
import { spawnSync } from "node:child_process";
import http2 from "node:http2";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : def; };
const url = arg("url", "sc://127.0.0.1:15002");
const rows = Number(arg("rows", 2_000_000));
const repeats = Number(arg("repeats", 3));
const METHOD = "/spark.connect.SparkConnectService/ExecutePlan";

if (process.argv[2] === "--child") {
  const mode = process.argv[3];
  const { Session, F } = await import("../../dist/index.js");
  const { create, toBinary } = await import("@bufbuild/protobuf");
  const pb = await import("../../dist/backends/spark-connect/gen/spark/connect/base_pb.js");
  const { Http2Connection } = await import("../../dist/backends/spark-connect/spark-connect-http2.js");
  const { arrowDataOffset } = await import("../../dist/backends/spark-connect/spark-connect-ipc.js");
  const spark = await Session.builder().remote(url).getOrCreate();
  const df = spark.range(rows).select(...Array.from({ length: 8 }, (_, i) => F.col("id").multiply(i + 1).divide(F.lit(7.0)).alias(`c${i}`)));
  const backend = spark.backend;
  const client = backend.client;
  const request = () => toBinary(pb.ExecutePlanRequestSchema, create(pb.ExecutePlanRequestSchema, { ...client.common(), operationId: randomUUID(), plan: backend.root(df.plan) }));
  const [host, port] = client.address.split(":");
  const window = 5 * 1024 * 1024;
  let conn = null;
  let session = null;
  const fetchOnce = async () => {
    let bytes = 0;
    if (mode === "grpc-js") {
      await new Promise((resolve, reject) => {
        const call = client.client.makeServerStreamRequest(METHOD, (m) => Buffer.from(m), (b) => b, request(), client.metadata(), {});
        call.on("data", (b) => { bytes += b.length; });
        call.on("end", resolve);
        call.on("error", reject);
      });
    } else if (mode === "quarry") {
      conn ??= new Http2Connection({ host, port: Number(port), tls: false, connectTimeoutMs: 10_000, window });
      for await (const m of await conn.call(METHOD, [], request(), arrowDataOffset)) bytes += m.length;
    } else {
      if (!session) {
        session = http2.connect(`http://${host}:${port}`, { settings: { initialWindowSize: window } });
        await new Promise((r) => session.once("connect", r));
        session.setLocalWindowSize(window);
      }
      await new Promise((resolve, reject) => {
        const st = session.request({ ":method": "POST", ":path": METHOD, "content-type": "application/grpc", te: "trailers" });
        const body = request();
        const framed = Buffer.alloc(5 + body.length);
        framed.writeUInt32BE(body.length, 1);
        framed.set(body, 5);
        st.end(framed);
        const prefix = Buffer.alloc(5);
        let prefixFill = 0, length = -1, message = null, fill = 0;
        st.on("data", (chunk) => {
          for (let p = 0; p < chunk.length;) {
            if (length < 0) {
              while (prefixFill < 5 && p < chunk.length) prefix[prefixFill++] = chunk[p++];
              if (prefixFill < 5) break;
              length = prefix.readUInt32BE(1);
              prefixFill = 0;
              message = new Uint8Array(length);
              fill = 0;
            }
            const n = Math.min(length - fill, chunk.length - p);
            message.set(chunk.subarray(p, p + n), fill);
            fill += n;
            p += n;
            if (fill === length) { bytes += length; length = -1; message = null; }
          }
        });
        st.on("end", resolve);
        st.on("error", reject);
      });
    }
    return bytes;
  };
  await fetchOnce(); // the server compiles the query on its first run
  const out = [];
  for (let r = 0; r < repeats; r++) {
    global.gc();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const bytes = await fetchOnce();
    const c = process.cpuUsage(c0);
    if (bytes < rows * 64) throw new Error(`${mode}: only ${bytes} bytes arrived`);
    out.push({ cpu: (c.user + c.system) / 1e6 / (rows / 1e6), wall: (performance.now() - t0) / 1000 });
  }
  conn?.close();
  session?.close();
  await spark.stop();
  console.log(JSON.stringify(out));
  process.exit(0);
}

const modes = ["grpc-js", "node-http2", "quarry"];
const rounds = Number(arg("rounds", 3));
const samples = new Map(modes.map((m) => [m, []]));
for (let r = 0; r < rounds; r++) {
  for (const mode of [...modes.slice(r % modes.length), ...modes.slice(0, r % modes.length)]) {
    const res = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", mode, "--url", url, "--rows", String(rows), "--repeats", String(repeats)], { encoding: "utf8", cwd: root });
    if (res.status !== 0) throw new Error(`${mode} failed:\n${res.stderr}`);
    samples.get(mode).push(...JSON.parse(res.stdout.trim().split("\n").pop()));
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
console.log(`\nTransport only: ${rows.toLocaleString("en")} rows x 8 doubles from ${url}, messages dropped undecoded (median of ${rounds * repeats})\n`);
console.log("| transport | client CPU s per 1M rows | wall s per fetch | CPU vs grpc-js |");
console.log("| --- | --- | --- | --- |");
const base = median(samples.get("grpc-js").map((s) => s.cpu));
for (const m of modes) {
  const cpu = median(samples.get(m).map((s) => s.cpu));
  console.log(`| ${m} | ${cpu.toFixed(3)} | ${median(samples.get(m).map((s) => s.wall)).toFixed(2)} | ${(cpu / base).toFixed(2)}x |`);
}
