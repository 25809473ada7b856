// The Spark Connect client against a broken network: a TCP proxy between Quarry and a real
// server drops the connection in the middle of a result. The client must reattach and return the
// whole result, or fail with a clear error; never return part of it as if it were all.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Session, F, ExecutionError, QuarryError } from "quarry";
import { sparkRemote } from "./spark-server.js";
import { SPARK_SKIP } from "./spark-server.js";

/** A TCP proxy to the Spark server that can cut connections after some bytes. */
class Proxy {
  readonly server: net.Server;
  connections = 0;
  drops = 0;
  /** Cut each connection after this many bytes from the server (Infinity: never). */
  dropAfter = Infinity;
  /** How many connections may still be cut. */
  dropBudget = 0;
  /** Close new connections at once (a server that stays unreachable). */
  refuse = false;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => {
      this.connections++;
      if (this.refuse) { client.destroy(); return; }
      const upstream = net.connect(this.target);
      this.sockets.add(client).add(upstream);
      let bytes = 0;
      const cut = () => {
        this.drops++;
        client.resetAndDestroy();
        upstream.destroy();
      };
      // Backpressure both ways, as a network has: at most a socket buffer of data is in flight.
      upstream.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > this.dropAfter && this.dropBudget > 0) { this.dropBudget--; cut(); return; }
        if (!client.write(chunk)) upstream.pause();
      });
      client.on("drain", () => upstream.resume());
      client.on("data", (chunk: Buffer) => { if (!upstream.write(chunk)) client.pause(); });
      upstream.on("drain", () => client.resume());
      const close = () => { client.destroy(); upstream.destroy(); this.sockets.delete(client); this.sockets.delete(upstream); };
      client.on("close", close).on("error", close);
      upstream.on("close", close).on("error", close);
    });
  }
  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as net.AddressInfo).port)));
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

/** A frame of about 64 MB of Arrow data with known contents: id and id*3 for 0..n-1. */
const N = 4_000_000;
const big = (spark: Session) => spark.range(N).select(F.col("id"), F.col("id").multiply(3).alias("x"));
const sumTo = (n: number) => (n * (n - 1)) / 2;

describe("spark-connect: a dropped connection in the middle of a result", { skip: SPARK_SKIP }, () => {
  let proxy: Proxy;
  let url = "";

  before(async () => {
    const remote = new URL((await sparkRemote()).replace(/^sc:/, "http:"));
    proxy = new Proxy({ host: remote.hostname, port: Number(remote.port || 15002) });
    url = `sc://127.0.0.1:${await proxy.listen()}`;
  });
  after(async () => { await proxy.close(); });

  it("reattaches and returns the complete, correct result", async () => {
    const spark = await Session.builder().remote(url).create();
    try {
      proxy.connections = 0;
      proxy.drops = 0;
      proxy.dropAfter = 8 * 1024 * 1024;
      proxy.dropBudget = 2;
      const table = await big(spark).toArrow();
      assert.equal(proxy.drops, 2, "the proxy cut the result stream twice");
      assert.ok(proxy.connections >= 2, `the client reconnected to reattach (${proxy.connections} connections)`);
      assert.equal(table.numRows, N);
      let ids = 0, xs = 0;
      for (const batch of table.batches) {
        const id = batch.getChild("id")!.toArray() as BigInt64Array;
        const x = batch.getChild("x")!.toArray() as BigInt64Array;
        for (let i = 0; i < id.length; i++) { ids += Number(id[i]); xs += Number(x[i]); }
      }
      assert.equal(ids, sumTo(N), "every id arrived exactly once");
      assert.equal(xs, 3 * sumTo(N));
      // The session still works after the reattach.
      assert.equal(await spark.range(10).count(), 10);
    } finally {
      proxy.dropBudget = 0;
      await spark.stop();
    }
  });

  it("collect() after a drop gives every row once, in order", async () => {
    const spark = await Session.builder().remote(url).create();
    try {
      proxy.drops = 0;
      proxy.dropAfter = 4 * 1024 * 1024;
      proxy.dropBudget = 1;
      const rows = await spark.range(1_000_000).orderBy("id").collect();
      assert.equal(proxy.drops, 1);
      assert.equal(rows.length, 1_000_000);
      for (let i = 0; i < rows.length; i++) if (rows[i].id !== i) assert.fail(`row ${i} is ${JSON.stringify(rows[i])}`);
    } finally {
      proxy.dropBudget = 0;
      await spark.stop();
    }
  });

  it("fails with a clear error, not a partial result, when the server stays unreachable", async () => {
    const spark = await Session.builder().remote(url).config({ "quarry.spark.maxReattachAttempts": 3, "quarry.spark.initialBackoffMs": 20 }).create();
    try {
      proxy.drops = 0;
      proxy.dropAfter = 4 * 1024 * 1024;
      proxy.dropBudget = 1;
      const cutThenRefuse = setInterval(() => { if (proxy.drops > 0) proxy.refuse = true; }, 1);
      const t0 = Date.now();
      let err: unknown;
      try {
        await big(spark).toArrow();
      } catch (e) {
        err = e;
      } finally {
        clearInterval(cutThenRefuse);
      }
      assert.ok(err instanceof ExecutionError, `expected an ExecutionError, got ${String(err)}`);
      assert.match((err as ExecutionError).message, /incomplete|could not be resumed|Lost the connection/i);
      assert.match((err as ExecutionError).message, new RegExp(url.replace("sc://", "").replace(/\./g, "\\.")));
      assert.ok(Date.now() - t0 < 60_000, "the failure comes in bounded time");
    } finally {
      proxy.refuse = false;
      proxy.dropBudget = 0;
      await spark.stop();
    }
  });
});

describe("spark-connect: an unreachable server", () => {
  it("a closed port fails at once with an error naming the address", async () => {
    const probe = net.createServer();
    const port = await new Promise<number>((r) => probe.listen(0, "127.0.0.1", () => r((probe.address() as net.AddressInfo).port)));
    await new Promise((r) => probe.close(r));
    const t0 = Date.now();
    await assert.rejects(Session.builder().remote(`sc://127.0.0.1:${port}`).create(), (e: unknown) => {
      assert.ok(e instanceof ExecutionError, String(e));
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.match(e.message, /Cannot reach the Spark Connect server/);
      assert.equal(e.errorClass, "SPARK_CONNECT_UNREACHABLE");
      return true;
    });
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  });

  it("a server that accepts connections but never answers times out with the address", async () => {
    const accepted = new Set<net.Socket>();
    const silent = net.createServer((s) => { accepted.add(s); /* and say nothing */ });
    const port = await new Promise<number>((r) => silent.listen(0, "127.0.0.1", () => r((silent.address() as net.AddressInfo).port)));
    try {
      const t0 = Date.now();
      await assert.rejects(Session.builder().remote(`sc://127.0.0.1:${port}`).config("quarry.spark.connectTimeoutMs", 1500).create(), (e: unknown) => {
        assert.ok(e instanceof ExecutionError, String(e));
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        return true;
      });
      const took = Date.now() - t0;
      assert.ok(took >= 1000 && took < 8000, `took ${took} ms`);
    } finally {
      for (const s of accepted) s.destroy();
      silent.close();
    }
  });

  it("a malformed URL is an error naming it", async () => {
    await assert.rejects(Session.builder().remote("sc://host:notaport").create(), (e: unknown) => {
      assert.ok(e instanceof QuarryError);
      assert.match(e.message, /notaport/);
      return true;
    });
  });
});
