// The result transport of the Spark Connect client (src/backends/spark-connect/spark-connect-http2.ts
// and spark-connect-hpack.ts): HPACK against the examples of RFC 7541 Appendix C (the expected
// header lists and table sizes are the RFC's), gRPC message framing split at every chunk boundary,
// and the HTTP/2 client against Node's own HTTP/2 server (nghttp2) acting as a gRPC server.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { create, toBinary } from "@bufbuild/protobuf";
import { HpackDecoder, huffmanDecode, huffmanEncode, encodeHeaders } from "#spark-connect-hpack";
import { GrpcMessageReader, GrpcCallError, Http2Connection } from "#spark-connect-http2";
import { arrowDataOffset } from "#spark-connect-ipc";
import { ExecutePlanResponseSchema } from "#spark-connect-proto";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

describe("HPACK: RFC 7541 Appendix C", () => {
  it("C.2: literal header fields and an indexed field", () => {
    let d = new HpackDecoder();
    assert.deepEqual(d.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")), [["custom-key", "custom-header"]]);
    assert.equal(d.tableSize, 55);
    d = new HpackDecoder();
    assert.deepEqual(d.decode(hex("040c 2f73 616d 706c 652f 7061 7468")), [[":path", "/sample/path"]]);
    assert.equal(d.tableSize, 0);
    assert.deepEqual(d.decode(hex("1008 7061 7373 776f 7264 0673 6563 7265 74")), [["password", "secret"]]);
    assert.equal(d.tableSize, 0);
    assert.deepEqual(d.decode(hex("82")), [[":method", "GET"]]);
  });

  const requests: Array<[string, string, Array<[string, string]>, number]> = [
    ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
      [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"]], 57],
    ["8286 84be 5808 6e6f 2d63 6163 6865", "8286 84be 5886 a8eb 1064 9cbf",
      [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"], ["cache-control", "no-cache"]], 110],
    ["8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65", "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
      [[":method", "GET"], [":scheme", "https"], [":path", "/index.html"], [":authority", "www.example.com"], ["custom-key", "custom-value"]], 164],
  ];
  for (const [name, column] of [["C.3: requests without Huffman coding", 0], ["C.4: requests with Huffman coding", 1]] as const) {
    it(name, () => {
      const d = new HpackDecoder();
      for (const r of requests) {
        assert.deepEqual(d.decode(hex(r[column])), r[2]);
        assert.equal(d.tableSize, r[3]);
      }
      assert.deepEqual(d.table, [["custom-key", "custom-value"], ["cache-control", "no-cache"], [":authority", "www.example.com"]]);
    });
  }

  const date1 = "Mon, 21 Oct 2013 20:13:21 GMT";
  const date2 = "Mon, 21 Oct 2013 20:13:22 GMT";
  const cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
  const responses: Array<[string, string, Array<[string, string]>, number]> = [
    ["4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
      [[":status", "302"], ["cache-control", "private"], ["date", date1], ["location", "https://www.example.com"]], 222],
    ["4803 3330 37c1 c0bf", "4883 640e ffc1 c0bf",
      [[":status", "307"], ["cache-control", "private"], ["date", date1], ["location", "https://www.example.com"]], 222],
    ["88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
      "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
      [[":status", "200"], ["cache-control", "private"], ["date", date2], ["location", "https://www.example.com"], ["content-encoding", "gzip"], ["set-cookie", cookie]], 215],
  ];
  for (const [name, column] of [["C.5: responses without Huffman coding, evicting from a 256-octet table", 0], ["C.6: responses with Huffman coding, evicting", 1]] as const) {
    it(name, () => {
      const d = new HpackDecoder(256);
      for (const r of responses) {
        assert.deepEqual(d.decode(hex(r[column])), r[2]);
        assert.equal(d.tableSize, r[3]);
      }
      assert.deepEqual(d.table, [["set-cookie", cookie], ["content-encoding", "gzip"], ["date", date2]]);
    });
  }

  it("Huffman: every octet value survives encoding and decoding; bad padding and EOS are errors", () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    assert.equal(huffmanDecode(huffmanEncode(all)), all);
    assert.equal(huffmanDecode(huffmanEncode("www.example.com")), "www.example.com");
    // "www.example.com" from C.4.1, then a byte of padding that is all ones: more than 7 bits of padding.
    assert.throws(() => huffmanDecode(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff ff")), /padding/);
    // Padding must be ones: '0' is the 5-bit code 00000, then three zero bits.
    assert.throws(() => huffmanDecode(hex("00")), /padding/);
    // EOS (thirty 1 bits) inside a string.
    assert.throws(() => huffmanDecode(hex("ffff ffff")), /EOS/);
  });

  it("our encoder's literals decode to the same fields, and size updates beyond the limit are refused", () => {
    const fields: Array<[string, string]> = [[":path", "/spark.connect.SparkConnectService/ExecutePlan"], ["authorization", `Bearer ${"x".repeat(300)}`]];
    assert.deepEqual(new HpackDecoder().decode(encodeHeaders(fields)), fields);
    assert.throws(() => new HpackDecoder(4096).decode(hex("3fe2 1f")), /exceeds/); // a size update to 4097 (31 + 98 + 31 * 128)
    assert.throws(() => new HpackDecoder().decode(hex("be")), /not in the table/);
  });
});

describe("gRPC message framing", () => {
  const frame = (msgs: Uint8Array[]) => Buffer.concat(msgs.flatMap((m) => {
    const p = Buffer.alloc(5);
    p.writeUInt32BE(m.length, 1);
    return [p, Buffer.from(m)];
  }));
  const messages = [
    Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff),
    new Uint8Array(0),
    Uint8Array.of(1, 2, 3),
    Uint8Array.from({ length: 257 }, (_, i) => 255 - (i & 0xff)),
  ];
  const stream = frame(messages);

  it("gives the same messages however the bytes are split, each placed as alignAt asks", () => {
    for (const chunk of [1, 2, 3, 4, 5, 6, 7, 255, 256, 1005, stream.length]) {
      const got: Uint8Array[] = [];
      const reader = new GrpcMessageReader((m) => got.push(m), (head) => (head.length >= 3 ? 3 : -1));
      for (let p = 0; p < stream.length; p += chunk) {
        // Every chunk arrives in the same reused buffer, as socket reads do.
        const scratch = Buffer.alloc(chunk + 11);
        const n = Math.min(chunk, stream.length - p);
        stream.copy(scratch, 11, p, p + n);
        reader.push(scratch, 11, 11 + n);
        scratch.fill(0xee);
      }
      assert.deepEqual(got.map((m) => [...m]), messages.map((m) => [...m]), `chunks of ${chunk}`);
      assert.ok(reader.atBoundary);
      for (const m of got) if (m.length >= 3) assert.equal((m.byteOffset + 3) % 8, 0, `message of ${m.length} bytes placed at ${m.byteOffset}`);
    }
  });

  it("refuses compressed messages and messages over the limit", () => {
    const reader = new GrpcMessageReader(() => undefined);
    assert.throws(() => reader.push(Uint8Array.of(1, 0, 0, 0, 1, 9), 0, 6), (e: unknown) => e instanceof GrpcCallError && /compressed/.test(e.message));
    const small = new GrpcMessageReader(() => undefined, undefined, 10);
    assert.throws(() => small.push(Uint8Array.of(0, 0, 0, 0, 11), 0, 5), /exceeds the limit of 10/);
  });

  it("finds where the Arrow IPC bytes start inside an ExecutePlanResponse", () => {
    const data = Uint8Array.from({ length: 64 }, (_, i) => 200 - i);
    const bytes = toBinary(ExecutePlanResponseSchema, create(ExecutePlanResponseSchema, {
      sessionId: "6d3b3c1e-5a36-4f39-9e2c-8f0d1f6f6f0a", operationId: "op", responseId: "r1", serverSideSessionId: "s",
      responseType: { case: "arrowBatch", value: { rowCount: 12345n, data, startOffset: 7n } },
    }));
    const expected = Buffer.from(bytes).indexOf(Buffer.from(data));
    assert.ok(expected > 0);
    assert.equal(arrowDataOffset(bytes.subarray(0, 256)), expected);
    const other = toBinary(ExecutePlanResponseSchema, create(ExecutePlanResponseSchema, { sessionId: "x", responseType: { case: "resultComplete", value: {} } }));
    assert.equal(arrowDataOffset(other), -1);
    assert.equal(arrowDataOffset(bytes.subarray(0, 20)), -1);
  });
});

/** A gRPC-like server on node:http2 whose handler the test sets. */
async function fakeServer(handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => void, settings: http2.Settings = {}) {
  const server = http2.createServer({ settings });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => { sessions.add(s); s.on("close", () => sessions.delete(s)); });
  server.on("stream", (stream, headers) => {
    const parts: Buffer[] = [];
    stream.on("data", (c: Buffer) => parts.push(c));
    stream.on("end", () => handler(stream, headers, Buffer.concat(parts)));
    stream.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port, sessions,
    close: () => { for (const s of sessions) s.destroy(); return new Promise((r) => server.close(r)); },
  };
}

const grpcFrame = (m: Uint8Array) => { const b = Buffer.alloc(5 + m.length); b.writeUInt32BE(m.length, 1); b.set(m, 5); return b; };
const target = (port: number, window = 5 * 1024 * 1024) => ({ host: "127.0.0.1", port, tls: false, connectTimeoutMs: 2000, window });

describe("HTTP/2 transport against node:http2", () => {
  const closers: Array<() => unknown> = [];
  after(async () => { for (const c of closers) await c(); });

  it("streams messages larger than the window and frame size to the end, with headers and the request intact", async () => {
    const sizes = [0, 1, 16384 * 3 + 5, 2_000_000, 70_000, 3_000_000];
    let seen: { headers: http2.IncomingHttpHeaders; body: Buffer } | null = null;
    const srv = await fakeServer((stream, headers, body) => {
      seen = { headers, body };
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "grpc-message": "" }));
      for (const [i, n] of sizes.entries()) stream.write(grpcFrame(Uint8Array.from({ length: n }, (_, k) => (k + i) & 0xff)));
      stream.end();
    });
    closers.push(srv.close);
    // A window of 64 KiB: the server must wait for our WINDOW_UPDATEs to send 5 MB.
    const conn = new Http2Connection(target(srv.port, 65536));
    closers.push(() => conn.close());
    // A request larger than the server's initial window (65535) tests our own send flow control.
    const request = Uint8Array.from({ length: 300_000 }, (_, k) => (k * 13) & 0xff);
    const s = await conn.call("/test.Service/Stream", [["authorization", "Bearer abc"], ["x-custom", "v1"]], request);
    const got: Uint8Array[] = [];
    for await (const m of s) {
      got.push(m);
      await new Promise((r) => setTimeout(r, 5)); // a slow consumer
    }
    assert.deepEqual(got.map((m) => m.length), sizes);
    for (const [i, m] of got.entries()) for (let k = 0; k < m.length; k += 997) assert.equal(m[k], (k + i) & 0xff);
    assert.ok(seen);
    const { headers, body } = seen as { headers: http2.IncomingHttpHeaders; body: Buffer };
    assert.equal(headers[":path"], "/test.Service/Stream");
    assert.equal(headers["content-type"], "application/grpc");
    assert.equal(headers.te, "trailers");
    assert.equal(headers.authorization, "Bearer abc");
    assert.equal(headers["x-custom"], "v1");
    assert.deepEqual(body.subarray(5), Buffer.from(request));
    assert.equal(body.readUInt32BE(1), request.length);
  });

  it("reports the status, message and details of the trailers, and a trailers-only error", async () => {
    const details = Buffer.from([8, 3, 18, 4, 98, 97, 100, 33]);
    const srv = await fakeServer((stream, headers) => {
      if (headers[":path"] === "/t/TrailersOnly") {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "16", "grpc-message": "bad%20token" }, { endStream: true });
        return;
      }
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "3", "grpc-message": "caf%C3%A9 100%25 wrong", "grpc-status-details-bin": details.toString("base64").replace(/=+$/, "") }));
      stream.write(grpcFrame(Uint8Array.of(42)));
      stream.end();
    });
    closers.push(srv.close);
    const conn = new Http2Connection(target(srv.port));
    closers.push(() => conn.close());
    const got: Uint8Array[] = [];
    await assert.rejects(async () => { for await (const m of await conn.call("/t/Fails", [], new Uint8Array(0))) got.push(m); }, (e: unknown) => {
      assert.ok(e instanceof GrpcCallError);
      assert.equal(e.code, 3);
      assert.equal(e.details, "café 100% wrong");
      assert.deepEqual(e.metadata.get("grpc-status-details-bin"), [details]);
      return true;
    });
    assert.deepEqual(got.map((m) => [...m]), [[42]]);
    await assert.rejects(async () => { for await (const m of await conn.call("/t/TrailersOnly", [], new Uint8Array(0))) void m; }, (e: unknown) => e instanceof GrpcCallError && e.code === 16 && e.details === "bad token");
  });

  it("a stream reset by the server, a GOAWAY and a closed connection are transport errors; cancelling resets the stream", async () => {
    let cancelled = 0;
    const srv = await fakeServer((stream, headers) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.write(grpcFrame(Uint8Array.of(1)));
      if (headers[":path"] === "/t/Reset") setTimeout(() => stream.destroy(new Error("server failure")), 20);
      if (headers[":path"] === "/t/Forever") { stream.on("close", () => { cancelled++; }); }
      if (headers[":path"] === "/t/Kill") setTimeout(() => stream.session?.destroy(), 20);
    });
    closers.push(srv.close);
    const conn = new Http2Connection(target(srv.port));
    closers.push(() => conn.close());
    await assert.rejects(async () => { for await (const m of await conn.call("/t/Reset", [], new Uint8Array(0))) void m; }, (e: unknown) => e instanceof GrpcCallError && e.code === 13 && /RST_STREAM/.test(e.message));
    for await (const m of await conn.call("/t/Forever", [], new Uint8Array(0))) { assert.deepEqual([...m], [1]); break; }
    for (let i = 0; i < 50 && cancelled === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(cancelled, 1, "the server saw the cancelled stream close");
    assert.ok(conn.usable);
    for (const s of srv.sessions) s.goaway(http2.constants.NGHTTP2_NO_ERROR, 0);
    for (let i = 0; i < 50 && conn.usable; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(conn.usable, false, "no new streams after GOAWAY");
    const fresh = new Http2Connection(target(srv.port));
    closers.push(() => fresh.close());
    await assert.rejects(async () => { for await (const m of await fresh.call("/t/Kill", [], new Uint8Array(0))) void m; }, (e: unknown) => e instanceof GrpcCallError && e.code === 14 && /closed|reset|ECONNRESET/i.test(e.message));
  });

  it("a closed port is UNAVAILABLE naming the address", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const conn = new Http2Connection(target(port));
    await assert.rejects(conn.call("/t/X", [], new Uint8Array(0)), (e: unknown) => e instanceof GrpcCallError && e.code === 14 && e.message.includes(`127.0.0.1:${port}`));
  });
});

describe("HTTP/2 transport over TLS", () => {
  const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;
  it("fetches over TLS with ALPN h2, trusting the CA the process trusts", { skip: hasOpenssl ? false : "needs the openssl command to make a test certificate" }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "quarry-h2-tls-"));
    try {
      const key = path.join(dir, "key.pem");
      const cert = path.join(dir, "cert.pem");
      const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
        "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], { encoding: "utf8" });
      assert.equal(made.status, 0, made.stderr);
      const server = http2.createSecureServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) });
      server.on("stream", (stream) => {
        stream.on("data", () => undefined);
        stream.on("end", () => {
          stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
          stream.end(grpcFrame(Buffer.from("over tls")));
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = (server.address() as net.AddressInfo).port;
      try {
        // A child process, so that the test certificate is trusted the way a user's CA would be (NODE_EXTRA_CA_CERTS).
        const script = `
          const { Http2Connection } = await import(${JSON.stringify(import.meta.resolve("#spark-connect-http2"))});
          const conn = new Http2Connection({ host: "localhost", port: ${port}, tls: true, connectTimeoutMs: 5000, window: 1 << 20 });
          const out = [];
          for await (const m of await conn.call("/t/Tls", [], new Uint8Array(3))) out.push(Buffer.from(m).toString());
          conn.close();
          console.log(JSON.stringify(out));`;
        const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => { stdout += c; });
        child.stderr.on("data", (c: Buffer) => { stderr += c; });
        const code = await new Promise((r) => child.on("close", r));
        assert.equal(code, 0, stderr);
        assert.deepEqual(JSON.parse(stdout.trim()), ["over tls"]);
      } finally {
        await new Promise((r) => server.close(r));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
