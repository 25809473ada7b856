/**
 * File sinks (`parquet`, `csv`, `json`) with exactly-once output. Batch N writes its files into a
 * hidden directory, moves them into the output directory, then records them in the manifest
 * `<out>/_spark_metadata/<N>` (created atomically, once). Readers of a directory that has
 * `_spark_metadata` read only the files listed there, so files of an attempt that crashed before its
 * manifest are never read; a batch id already in the manifest is skipped when re-run.
 */
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { IllegalArgumentError } from "../../errors.js";
import type { DataFrame } from "../../api/dataframe.js";
import type { SinkBatchContext, StreamSink } from "../contracts.js";
import type { SinkContext } from "../formats.js";
import { writeFileOnce } from "../files.js";
import { faultPoint } from "../fault-points.js";
import { COMPACT_INTERVAL, MANIFEST_DIR, manifestEntries, manifestIds } from "../../backends/file-manifest.js";
import { writeFileAtomic } from "../files.js";

const SINK_ONLY = new Set(["checkpointlocation", "path"]);

/** Creates a file sink writing `ctx.spec.format` files under `ctx.spec.path`. */
export function createFileSink(ctx: SinkContext): StreamSink {
  const { spec } = ctx;
  if (!spec.path) throw new IllegalArgumentError(`The ${spec.format} sink needs an output directory: writeStream.format(${JSON.stringify(spec.format)}).start("out/dir") or .option("path", ...).`, "SINK_PATH_REQUIRED");
  const out = path.resolve(spec.path);
  const manifests = path.join(out, MANIFEST_DIR);
  // The manifest directory exists before any data file, so no reader ever sees unlisted files.
  fs.mkdirSync(manifests, { recursive: true });
  const writeOptions = Object.fromEntries(Object.entries(spec.options).filter(([k]) => !SINK_ONLY.has(k.toLowerCase())));
  return {
    description: `FileSink[${out}]`,
    async addBatch(data: DataFrame, b: SinkBatchContext) {
      const manifest = path.join(manifests, String(b.batchId));
      if (fs.existsSync(manifest) || b.batchId <= manifestIds(manifests).compact) return;
      const tmp = path.join(out, `_temporary-${b.batchId}-${randomUUID()}`);
      try {
        let w = data.write.mode("overwrite").format(spec.format).options(writeOptions);
        if (spec.partitionBy.length) w = w.partitionBy(...spec.partitionBy);
        await w.save(tmp);
        const files: { path: string; size: number; batchId: number }[] = [];
        const move = (dir: string, rel: string) => {
          for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const src = path.join(dir, e.name);
            const r = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory()) { move(src, r); continue; }
            if (e.name.startsWith("_") || e.name.startsWith(".")) continue;
            const dst = path.join(out, ...r.split("/"));
            fs.mkdirSync(path.dirname(dst), { recursive: true });
            fs.renameSync(src, dst);
            files.push({ path: r, size: fs.statSync(dst).size, batchId: b.batchId });
          }
        };
        move(tmp, "");
        faultPoint("sinkBeforeManifest", b.batchId);
        writeFileOnce(manifest, ["v1", ...files.map((f) => JSON.stringify(f))].join("\n") + "\n");
        if ((b.batchId + 1) % COMPACT_INTERVAL === 0) compact(manifests, b.batchId);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
    async stop() { /* every batch is complete on disk */ },
  };
}


/** Folds the manifest up to `batchId` into `<batchId>.compact`, then removes the entries it holds. */
function compact(manifests: string, batchId: number): void {
  const entries = manifestEntries(manifests).filter((e) => e.batchId <= batchId);
  writeFileAtomic(path.join(manifests, `${batchId}.compact`), ["v1", ...entries.map((e) => JSON.stringify(e))].join("\n") + "\n");
  const { plain, compact: latest } = manifestIds(manifests);
  for (const id of plain) if (id <= batchId) fs.rmSync(path.join(manifests, String(id)), { force: true });
  for (const name of fs.readdirSync(manifests)) if (/^\d+\.compact$/.test(name) && parseInt(name, 10) < latest) fs.rmSync(path.join(manifests, name), { force: true });
}
