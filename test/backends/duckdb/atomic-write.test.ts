import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Session } from "quarry";

// A write killed with SIGKILL in the middle leaves the previous output exactly as it was.
describe("duckdb backend: an interrupted write loses nothing", () => {
  let spark: Session;
  let dir: string;
  before(async () => {
    spark = await Session.builder().appName("atomic-write").create();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "quarry-atomic-"));
  });
  after(async () => { await spark.stop(); fs.rmSync(dir, { recursive: true, force: true }); });

  it("keeps the old data when the writing process is killed mid-write", async () => {
    const target = path.join(dir, "out");
    await spark.range(1000).write.mode("overwrite").parquet(target);
    const before = fs.readdirSync(target).sort();

    const script = `
      import { Session, F } from "quarry";
      const spark = await Session.builder().master("local[1]").getOrCreate();
      const big = spark.range(200000000).select(F.col("id"), F.col("id").multiply(2).alias("b"), F.expr("md5(CAST(id AS VARCHAR))").alias("h"));
      process.stdout.write("writing\\n");
      await big.write.mode("overwrite").parquet(${JSON.stringify(target)});
      process.stdout.write("finished\\n");
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => { out += b.toString(); });
    // Wait until the staging directory holds data, then kill the writer.
    const deadline = Date.now() + 60000;
    for (;;) {
      const staging = fs.readdirSync(dir).find((n) => n.startsWith(".quarry-staging-out-"));
      if (staging) {
        const files = fs.readdirSync(path.join(dir, staging));
        if (files.length > 0 && fs.statSync(path.join(dir, staging, files[0])).size > 0) break;
      }
      if (Date.now() > deadline) throw new Error(`the writer never started writing (stdout: ${out})`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    assert.ok(!out.includes("finished"), "the write finished before it could be interrupted; make it bigger");

    assert.deepEqual(fs.readdirSync(target).sort(), before);
    assert.equal(await spark.read.parquet(target).count(), 1000);
    // The half-written staging directory is hidden from readers of the parent directory.
    assert.ok(fs.readdirSync(dir).filter((n) => !n.startsWith(".")).every((n) => n === "out"));
  });
});
