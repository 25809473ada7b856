/**
 * File sources (`csv`, `json`, `parquet`): a directory that new files arrive in. Each new file is
 * read once, oldest modification time first (`latestFirst` reverses), at most
 * `maxFilesPerTrigger` per batch. The files of each offset are logged in the source's checkpoint
 * directory (`sources/<i>/<offset>`), so a restart neither re-reads nor skips a file, and a batch
 * re-run after a crash reads exactly the same files.
 */
import fs from "node:fs";
import path from "node:path";
import { AnalysisError, IllegalArgumentError, q } from "../../errors.js";
import { ReadNode } from "../../plan/nodes/index.js";
import type { StreamSourceNode } from "../../plan/nodes/stream-source-node.js";
import type { StructType } from "../../plan/types.js";
import type { JsonValue, ReadLimitContext, SourceContext, StreamSource } from "../contracts.js";
import { listBatchIds, readFileOrNull, writeFileOnce } from "../files.js";

/** Options the stream reader takes itself; the rest go to the batch reader of each batch. */
const STREAM_OPTIONS = new Set(["maxfilespertrigger", "latestfirst", "filenameonly", "maxfileage", "cleansource", "path"]);

interface LogEntry { readonly files: readonly { readonly path: string; readonly mtimeMs: number }[] }

function isHidden(name: string): boolean { return name.startsWith("_") || name.startsWith("."); }

/** Creates a file source over `node.paths[0]`. */
export async function createFileSource(ctx: SourceContext, node: StreamSourceNode): Promise<StreamSource> {
  const dir = node.paths[0];
  if (!dir) throw new IllegalArgumentError(`readStream.format(${JSON.stringify(node.format)}).load(dir): give the directory that new files arrive in.`);
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) {
    throw new AnalysisError(`[PATH_NOT_FOUND] The streaming ${node.format} source directory ${abs} does not exist (or is not a directory). Create it before starting the query; files moved into it later are picked up.`, "PATH_NOT_FOUND");
  }
  const opt = (k: string) => Object.entries(node.options).find(([x]) => x.toLowerCase() === k)?.[1];
  const mfpt = opt("maxfilespertrigger");
  const maxFiles = mfpt === undefined ? Infinity : Number(mfpt);
  if (!(maxFiles >= 1) || (mfpt !== undefined && !Number.isInteger(maxFiles))) throw new IllegalArgumentError(`Option ${q("maxFilesPerTrigger")} must be a positive integer, got ${JSON.stringify(mfpt)}.`, "INVALID_OPTION");
  const lf = (opt("latestfirst") ?? "false").toLowerCase();
  if (lf !== "true" && lf !== "false") throw new IllegalArgumentError(`Option ${q("latestFirst")} must be "true" or "false", got ${JSON.stringify(opt("latestfirst"))}.`, "INVALID_OPTION");
  const latestFirst = lf === "true";
  const readOptions = Object.fromEntries(Object.entries(node.options).filter(([k]) => !STREAM_OPTIONS.has(k.toLowerCase())));

  let schema: StructType | null = node.schema;
  if (!schema) {
    const infer = ((await ctx.session.conf.get("spark.sql.streaming.schemaInference")) ?? "false").toLowerCase() === "true";
    if (!infer) {
      throw new IllegalArgumentError(`[STREAM_SCHEMA_REQUIRED] Schema must be specified when creating a streaming source DataFrame from ${node.format} files in ${abs}: use readStream.schema("name STRING, ...") (or set spark.sql.streaming.schemaInference to true to infer it from the files present at start).`, "STREAM_SCHEMA_REQUIRED");
    }
    schema = await ctx.session.read.format(node.format).options(readOptions).load(abs).schema();
  }

  const logDir = ctx.sourceDir;
  const entry = (n: number): LogEntry => JSON.parse(readFileOrNull(path.join(logDir, String(n)))!) as LogEntry;
  const seen = new Set<string>();
  for (const n of listBatchIds(logDir)) for (const f of entry(n).files) seen.add(f.path);
  let fixedFiles: Set<string> | null = null;

  const listNew = (): { path: string; mtimeMs: number }[] => {
    const out: { path: string; mtimeMs: number }[] = [];
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      if (!e.isFile() || isHidden(e.name) || e.name.endsWith(".crc") || e.name.endsWith(".tmp")) continue;
      const p = path.join(abs, e.name);
      if (seen.has(p) || (fixedFiles && !fixedFiles.has(p))) continue;
      out.push({ path: p, mtimeMs: fs.statSync(p).mtimeMs });
    }
    out.sort((a, b) => (a.mtimeMs - b.mtimeMs) || a.path.localeCompare(b.path));
    if (latestFirst) out.reverse();
    return out;
  };

  return {
    description: `FileStreamSource[${abs}]`,
    schema,
    async initialOffset() { return -1; },
    async latestOffset(start: JsonValue, _limit: ReadLimitContext) {
      const s = Number(start);
      // A log entry beyond `start` was written before a crash: it is the next batch, unchanged.
      const logged = listBatchIds(logDir).filter((n) => n > s);
      if (logged.length) return logged[0];
      const files = listNew().slice(0, maxFiles === Infinity ? undefined : maxFiles);
      if (files.length === 0) return null;
      writeFileOnce(path.join(logDir, String(s + 1)), JSON.stringify({ files }));
      for (const f of entry(s + 1).files) seen.add(f.path);
      return s + 1;
    },
    async prepareForTriggerAvailableNow() { fixedFiles = new Set(listNew().map((f) => f.path)); },
    async getBatch(start: JsonValue, end: JsonValue) {
      const files: string[] = [];
      for (let n = Number(start) + 1; n <= Number(end); n++) files.push(...entry(n).files.map((f) => f.path));
      return ReadNode.create(node.format, files, readOptions, schema);
    },
    async commit() { /* the log keeps the seen files */ },
    async metrics(end: JsonValue | null): Promise<Record<string, string>> {
      return end === null ? {} : { numFilesInBatchLog: String(listBatchIds(logDir).length) };
    },
    async stop() { /* nothing held */ },
  };
}
